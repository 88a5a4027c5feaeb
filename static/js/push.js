/* Settings → Profile's Devices section (templates/pwa/_devices.html): Web Push on this device.
   Permission is asked only when the person clicks "Turn on push on this device", never on load.
   Turning on: permission, the service worker's PushManager subscription with the server's VAPID
   public key (the section's data-vapid-key), then the subscription's JSON to POST
   /push/subscriptions. Turning off: the browser's unsubscribe, then DELETE /push/subscriptions.
   Either way the section is fetched again (htmx, the push-changed event), and the row whose
   endpoint hash (SHA-256, as the server stores it) is this browser's says "(this device)". */
(function () {
  "use strict";

  var SECTION_ID = "push-devices";
  var lastMessage = "";

  function section() { return document.getElementById(SECTION_ID); }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function supported() {
    return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function say(text) {
    lastMessage = text;
    var box = section() && section().querySelector("[data-push-status]");
    if (box) box.textContent = text;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;  // the browser does not say: assume it is ours
    var a = new Uint8Array(current), b = keyBytes(key);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function registration() {
    return navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function currentSubscription() {
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    });
  }

  function refreshChanged() {
    if (window.htmx) window.htmx.trigger(document.body, "push-changed");
  }

  function send(method, body) {
    var el = section();
    return fetch(el.dataset.subscriptionsUrl, {
      method: method, credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.ok || (method === "DELETE" && response.status === 404)) return response;
      return response.json().catch(function () { return {}; }).then(function (data) {
        var message = data && data.error && data.error.message;
        throw new Error(message || ("The server answered " + response.status + "."));
      });
    });
  }

  function turnOn(button) {
    var key = section().dataset.vapidKey;
    button.disabled = true;
    say("Asking for permission…");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error(permission === "denied"
          ? "Notifications are blocked for this site: allow them in the browser's site settings, then try again."
          : "Push stays off: permission was not given.");
      }
      say("Turning on…");
      return registration();
    }).then(function (reg) {
      return reg.pushManager.getSubscription().then(function (existing) {
        if (existing && sameKey(existing, key)) return existing;
        // Made for an older server key: the push service would refuse our sends to it.
        var cleared = existing ? existing.unsubscribe() : Promise.resolve();
        return cleared.then(function () {
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
        });
      });
    }).then(function (subscription) {
      return send("POST", subscription.toJSON());
    }).then(function () {
      say("Push is on for this device.");
      refreshChanged();
    }).catch(function (err) {
      say(err && err.message ? err.message : "Push could not be turned on.");
    }).then(function () { button.disabled = false; });
  }

  function turnOff(button) {
    button.disabled = true;
    currentSubscription().then(function (subscription) {
      if (!subscription) return null;
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () { return send("DELETE", { endpoint: endpoint }); });
    }).then(function () {
      say("Push is off for this device.");
      refreshChanged();
    }).catch(function (err) {
      say(err && err.message ? err.message : "Push could not be turned off.");
    }).then(function () { button.disabled = false; });
  }

  // Sign out tells the server which subscription is this browser's (a hidden field of the form),
  // so a shared tablet stops getting the person's alerts once they sign out of it.
  function markSignOut() {
    var fields = document.querySelectorAll("[data-push-endpoint]");
    if (!fields.length || !supported()) return;
    currentSubscription().then(function (subscription) {
      if (!subscription) return;
      fields.forEach(function (field) { field.value = subscription.endpoint; });
    }).catch(function () {});
  }

  function setUp(el) {
    var on = el.querySelector("[data-push-on]"), off = el.querySelector("[data-push-off]");
    if (!on || !off) return;  // push is off on the server: the section says how to enable it
    if (lastMessage) say(lastMessage);
    if (!supported()) {
      say(/iPhone|iPad/.test(navigator.userAgent)
        ? "On iPhone and iPad, add the inbox to the Home Screen (Share → Add to Home Screen) and open it from there to turn on push."
        : "This browser cannot receive push notifications.");
      return;
    }
    on.addEventListener("click", function () { turnOn(on); });
    off.addEventListener("click", function () { turnOff(off); });
    currentSubscription().then(function (subscription) {
      if (!subscription) { on.hidden = false; return; }
      return crypto.subtle.digest("SHA-256", new TextEncoder().encode(subscription.endpoint)).then(function (digest) {
        var row = el.querySelector('[data-endpoint-hash="' + hex(digest) + '"]');
        if (row) {
          row.querySelector(".device-list__this").hidden = false;
          off.hidden = false;
        } else {
          on.hidden = false;  // subscribed in the browser, but not (any more) on the server
        }
      });
    }).catch(function () { on.hidden = false; });
  }

  function init(root) {
    var el = root && root.id === SECTION_ID ? root : (root || document).querySelector && (root || document).querySelector("#" + SECTION_ID);
    if (el && !el.dataset.pushReady) {
      el.dataset.pushReady = "1";
      setUp(el);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); markSignOut(); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
