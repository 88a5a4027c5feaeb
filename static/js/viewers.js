/* Who else has this conversation open, and who is typing (app/inbox/viewers.py).
   - The open thread's #thread-viewers says "still here" every few seconds (its data-every) and
     shows the answer: the teammates with the thread open, what they are typing. A screen reader
     is told (#thread-viewers-said, role="status") when the people change, not when typing starts
     or stops: that would talk over someone writing their own reply every few seconds.
   - Typing in the thread's boxes (the reply or note composer, a comment's reply) is told at once,
     then at most every TYPING_EVERY while keys are pressed; sending it (or emptying the box) says
     "stopped", so the line under a teammate's eyes does not go on saying "typing" after it came.
   - Leaving says so (another conversation, back to the list, the tab hidden or closed), with
     navigator.sendBeacon when the page is going away, and again when a heartbeat that was on its
     way then has landed (it could land after the goodbye and put the row back); a tab that could
     not say it drops out on the server after a few missed heartbeats.
   - A hidden tab says nothing: "viewing" means someone is looking. */
(function () {
  "use strict";

  var TYPING_EVERY = 3000;
  var current = null;  // the open thread's state, or null

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function schedule(state) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { beat(state); }, state.every);
  }

  function beat(state) {
    if (state !== current) return;
    clearTimeout(state.timer);
    state.timer = null;
    if (document.visibilityState !== "visible" || state.gone) return;  // told again when the tab is back
    state.left = false;  // here (again): a goodbye still to repeat is not
    if (state.inflight) { state.again = true; return; }
    var body = new URLSearchParams();
    if (state.typed) {
      body.set("typing", state.typed);
      // After a "stopped" the next key starts a new spell of typing, told at once: the note
      // begun a second after a reply was sent waited for a heartbeat otherwise.
      state.typingSentAt = state.typed === "stopped" ? 0 : Date.now();
    }
    state.typed = null;
    state.inflight = true;
    fetch(state.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" }
    }).then(function (response) {
      // The conversation is gone (deleted meanwhile): nothing more to say about it, not even goodbye.
      if (response.status === 404) state.gone = state.left = true;
      // Signed out meanwhile, the fetch followed a redirect to the sign-in page: nothing to show.
      return response.ok && !response.redirected ? response.text() : null;
    }).then(function (html) {
      if (html !== null && state === current) place(state, html.trim());
    }).catch(function () { /* offline for a moment: the next heartbeat tries again */ })
      .then(function () {
        state.inflight = false;
        if (state.gone) return;
        if (state.left) { sendLeave(state); return; }  // left while this was on its way
        if (state !== current) return;
        if (state.again) { state.again = false; beat(state); } else schedule(state);
      });
  }

  function place(state, html) {
    if (html === state.html) return;
    state.html = html;
    state.el.innerHTML = html;  // our own fragment (templates/inbox/_viewers.html), names escaped there
    var present = state.el.querySelector("[data-present]");
    var people = present ? present.getAttribute("data-present") : "";
    var said = document.getElementById("thread-viewers-said");
    if (people !== state.people && said) {
      said.textContent = people || (state.people ? "Nobody else has this conversation open now." : "");
    }
    state.people = people;
  }

  function leave(state) {
    clearTimeout(state.timer);
    state.timer = null;
    if (state.left) return;
    state.left = true;
    sendLeave(state);
  }

  function sendLeave(state) {
    var body = new FormData();
    body.set("leaving", "1");
    body.set("csrf_token", csrfToken());  // a beacon carries no headers
    if (navigator.sendBeacon && navigator.sendBeacon(state.url, body)) return;
    fetch(state.url, { method: "POST", body: body, credentials: "same-origin", keepalive: true }).catch(function () {});
  }

  // The thread on screen changed (opened, another one, none): follow it.
  function follow() {
    var el = document.getElementById("thread-viewers");
    if (current && current.el === el) return;
    var previous = current;
    current = null;
    if (previous) {
      clearTimeout(previous.timer);
      if (!el || el.dataset.conversation !== previous.id) leave(previous);
    }
    if (!el) return;
    current = { el: el, id: el.dataset.conversation, url: el.dataset.viewingUrl, every: parseInt(el.dataset.every, 10) || 5000,
                timer: null, typed: null, typingSentAt: 0, html: "", people: "", inflight: false, again: false, left: false };
    beat(current);
  }

  function inThread(node) {
    return current && current.el.isConnected && current.el.parentNode.contains(node);
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box || box.tagName !== "TEXTAREA" || !inThread(box)) return;
    if (!box.value.trim()) { current.typed = "stopped"; return; }  // emptied: told with the next heartbeat
    current.typed = box.form && box.form.dataset.mode === "note" ? "note" : "reply";
    if (Date.now() - current.typingSentAt >= TYPING_EVERY) beat(current);
  });

  // Sent (a reply, a note, a comment's answer): no longer typing. The composer's buttons post
  // through htmx, which cancels the browser's submit, so the request is what is watched.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !(elt.tagName === "FORM" || elt.type === "submit")) return;
    var form = elt.tagName === "FORM" ? elt : elt.form;
    if (!form || !inThread(form) || !form.querySelector("textarea")) return;
    current.typed = "stopped";
    beat(current);
  });

  document.addEventListener("visibilitychange", function () {
    if (!current) return;
    if (document.visibilityState === "visible") beat(current);
    else leave(current);
  });
  // A page about to be left for another (a link, a reload) says goodbye before the navigation
  // starts: said only at pagehide, the goodbye was often lost (the service worker, woken for it
  // while the page went away, dropped most of them), and the name stayed on a teammate's screen.
  window.addEventListener("beforeunload", function () { if (current) leave(current); });
  window.addEventListener("pagehide", function () { if (current) leave(current); });
  window.addEventListener("pageshow", function (event) { if (event.persisted && current) beat(current); });

  document.addEventListener("DOMContentLoaded", follow);
  document.addEventListener("htmx:afterSettle", follow);
  document.addEventListener("htmx:historyRestore", follow);
})();
