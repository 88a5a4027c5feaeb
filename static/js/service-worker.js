/* The inbox's service worker, served at /service-worker.js (scope "/") by app/pwa/routes.py, which
   puts three constants in front of this file: CACHE_VERSION (a hash of what is cached and of this
   file), PRECACHE_URLS (the offline page and the static files it uses) and OFFLINE_URL.

   What it caches: PRECACHE_URLS, once, at install; nothing else, ever. No cache.put, no caching of
   answers as they pass: a person's pages, htmx fragments, /api/ answers, polls and uploads are
   never stored, so a lost or shared device keeps no customer data in its caches. Pages always come
   from the network; only when the network fails does a page navigation get the offline page. The
   precached static files are also served from the network first (never a stale stylesheet while
   online), from the cache only offline.

   It also shows Web Push notifications (app/notifications/push.py sends them, encrypted; the
   browser decrypts before `push` fires) and opens the right page when one is clicked. */
"use strict";

const CACHE_PREFIX = "inbox-static-";
const CACHE_NAME = CACHE_PREFIX + CACHE_VERSION;
const PRECACHED = new Set(PRECACHE_URLS);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE_NAME);
    // Without cookies: the offline page is the same for everyone and must never hold a person's data.
    await cache.addAll(PRECACHE_URLS.map((url) => new Request(url, { credentials: "omit", cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

function fromCache(path) {
  return caches.open(CACHE_NAME).then((cache) => cache.match(path));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // A page: the network's answer, whatever it is; the offline page only when there is none.
    event.respondWith(fetch(request).catch(() => fromCache(OFFLINE_URL)));
    return;
  }
  if (PRECACHED.has(url.pathname) && !url.search) {
    event.respondWith(fetch(request).catch(() => fromCache(url.pathname).then((hit) => hit || Response.error())));
  }
  // Anything else (fragments, polls, /api/, media, other static files) is left to the browser.
});

/* --- Web Push ------------------------------------------------------------------------------- */

function samePath(value) {
  // Only a path of this app is opened, whatever the payload says.
  try {
    const url = new URL(value || "/", self.location.origin);
    return url.origin === self.location.origin ? url.pathname + url.search : "/";
  } catch (e) {
    return "/";
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title : "Instagram Inbox";
  const options = {
    body: typeof data.body === "string" ? data.body : "",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-maskable-192.png",
    data: { url: samePath(data.url) },
  };
  if (typeof data.tag === "string" && data.tag) {
    options.tag = data.tag;      // one alert per conversation: a new message replaces the last one
    options.renotify = true;     // ...and still buzzes
  }
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = samePath(event.notification.data && event.notification.data.url);
  const target = new URL(path, self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const exact = windows.find((client) => client.url === target);
    if (exact) return exact.focus();
    // A tab of the app already open: bring it there rather than opening another.
    for (const client of windows) {
      if (new URL(client.url).origin !== self.location.origin || !("navigate" in client)) continue;
      try {
        const focused = await client.focus();
        return await focused.navigate(target);
      } catch (e) {
        // Not controlled by this worker (navigate refuses): open a window instead.
      }
    }
    return self.clients.openWindow(target);
  })());
});
