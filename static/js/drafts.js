/* Drafts (app/inbox/drafts.py): what I type in a conversation's reply box is kept on the server,
   so it survives switching conversations and a reload, and follows me to my phone.
   - Saved ~800 ms after the last keystroke, and at once when the box loses focus, the tab is
     hidden or left, or another conversation opens: PUT /conversations/<id>/draft (empty = delete).
   - One request at a time per conversation, so they land in the order typed; a failure (offline,
     a 5xx) is retried quietly with a growing pause. Nothing here ever blocks typing.
   - The server renders the draft into the box when the thread opens; a text typed here but not
     yet confirmed by the server wins over it (switching back quickly must not undo typing), also
     across a reload of the tab (kept in sessionStorage until the server confirms it).
   - Sending a reply clears it on the server in the same request; here the box empties and the
     list row's "Draft:" line goes.
   - Only the reply is the draft: a private note being written is its own text in the same box
     (static/js/app.js puts the other one aside, window.Composer), never saved, and adding it
     leaves the reply's draft as it was.
   The textarea itself is never replaced by live updates (see static/js/app.js): only a
   conversation being opened brings a new one. */
(function () {
  "use strict";

  var DELAY = 800;
  var RETRY_FIRST = 2000, RETRY_MOST = 30000;
  var encoder = new TextEncoder();
  var states = {};  // conversation id -> its draft's state, kept while the page lives

  function byId(id) { return document.getElementById(id); }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function stateFor(box) {
    var id = box.dataset.conversation;
    var state = states[id];
    if (!state) {
      state = states[id] = { id: id, url: box.dataset.draftUrl, limit: parseInt(box.dataset.byteLimit, 10) || 1000,
                             value: null, saved: null, timer: null, inflight: false, again: false, delay: RETRY_FIRST };
      // Typed in this tab before a reload, and not confirmed by the server then: the reload's page
      // may have been rendered before that last save landed (it is sent as the page goes).
      var kept = pending(id);
      if (kept !== null) state.value = kept;
    }
    return state;
  }

  // The tab's unconfirmed text per conversation (sessionStorage: this tab only, gone with it),
  // so a reload right after typing does not bring back the older draft the server still had.
  function pending(id) {
    try { return window.sessionStorage.getItem("draft:" + id); } catch (e) { return null; }
  }
  function keep(id, value) {
    try {
      if (value === null) window.sessionStorage.removeItem("draft:" + id);
      else window.sessionStorage.setItem("draft:" + id, value);
    } catch (e) { /* storage off or full: the in-page state still holds it */ }
  }

  /* ---- Saving ------------------------------------------------------------------------------ */

  function schedule(state, wait) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { save(state); }, wait);
  }

  function save(state) {
    clearTimeout(state.timer);
    state.timer = null;
    if (state.value === null || state.value === state.saved || state.value === state.refused) return;
    // Longer than a message: the server would refuse it; the box already says "too long",
    // and the text stays here (and in the box) until it is shortened.
    if (encoder.encode(state.value).length > state.limit) return;
    if (state.inflight) { state.again = true; return; }
    var value = state.value;
    state.inflight = true;
    var body = new URLSearchParams();
    body.set("text", value);
    fetch(state.url, {
      method: "PUT", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" }
    }).then(function (response) {
      if (response.status === 204) {
        state.saved = value;
        if (state.value === value) keep(state.id, null);
        state.delay = RETRY_FIRST;
        showOnRow(state.id, value);
      } else if (response.redirected || response.status < 500 && response.status !== 429) {
        // Refused for good (signed out, an expired form, gone, too long): do not insist. The
        // text stays in the box, and here, until it changes.
        state.refused = value;
      } else {
        retry(state);
      }
    }, function () { retry(state); }).then(function () {
      state.inflight = false;
      if (state.again) { state.again = false; save(state); }
    });
  }

  function retry(state) {
    schedule(state, state.delay);
    state.delay = Math.min(state.delay * 2, RETRY_MOST);
  }

  function flushAll() {
    Object.keys(states).forEach(function (id) { save(states[id]); });
  }

  /* ---- The list row's "Draft:" line ------------------------------------------------------------ */

  function showOnRow(id, value) {
    var row = byId("conv-" + id);
    var preview = row && row.querySelector(".convrow__preview");
    if (!preview) return;
    var marker = row.querySelector("[data-draft-marker]");
    var text = value.slice(0, 80).split(/\s+/).join(" ").trim();  // as app/inbox/drafts.py shows it
    if (!text) { if (marker) marker.remove(); return; }
    if (!marker) {
      marker = document.createElement("span");
      marker.className = "convrow__draft";
      marker.setAttribute("data-draft-marker", "");
      var label = document.createElement("span");
      label.className = "convrow__draft-label";
      label.textContent = "Draft:";
      marker.append(label, " ", document.createElement("bdi"));
      // Under the preview's line, where the server puts it.
      var line = preview;
      while (line.parentNode && !line.parentNode.classList.contains("convrow__body")) line = line.parentNode;
      line.after(marker);
    }
    marker.querySelector("bdi").textContent = text;
  }

  /* ---- The box ----------------------------------------------------------------------------------- */

  function setUp() {
    var box = byId("composer-text");
    if (!box || !box.dataset.draftUrl || box.dataset.draftReady) return;
    box.dataset.draftReady = "1";
    var state = stateFor(box);
    var form = box.form;
    var fromServer = window.Composer.replyText(form);  // put aside already if the window is closed
    // The form's reset (after a send, in app.js) must empty the box, not bring the draft back.
    box.defaultValue = "";
    var unconfirmed = state.value !== null && state.value !== state.saved;
    if (unconfirmed && state.value !== fromServer) {
      window.Composer.setReplyText(form, state.value);
      box.dispatchEvent(new Event("input", { bubbles: true }));  // the byte counter
    } else {
      window.Composer.setReplyText(form, fromServer);  // setting defaultValue above emptied a pristine box
      state.value = state.saved = fromServer;
      keep(state.id, null);
    }
  }

  document.addEventListener("input", function (e) {
    var box = e.target;
    if (box.id !== "composer-text" || !box.dataset.draftReady) return;
    if (box.form.dataset.mode === "note") return;  // a note is not the draft
    var state = stateFor(box);
    state.value = box.value;
    if (state.value !== state.saved) {
      keep(state.id, state.value);
      schedule(state, DELAY);
    }
  });

  // Leaving the box, the tab or the page: save now rather than in 800 ms.
  document.addEventListener("focusout", function (e) { if (e.target.id === "composer-text") flushAll(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flushAll(); });
  window.addEventListener("pagehide", flushAll);
  window.addEventListener("online", flushAll);

  function isSend(elt) { return elt && elt.hasAttribute && elt.hasAttribute("data-send") && elt.closest("#composer"); }

  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt, target = e.detail.target;
    // Another conversation opens (its row, the back control, "mark unread"): save this one first.
    if (target && target.id === "thread") { flushAll(); return; }
    if (isSend(elt)) {
      // What is being sent is not a draft any more: no late autosave of it after the send.
      var box = byId("composer-text");
      if (!box) return;
      var state = stateFor(box);
      clearTimeout(state.timer);
      state.timer = null;
      state.again = false;
      state.sending = { raced: state.inflight };
    }
  });

  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!isSend(elt)) return;  // a note added (or refused) leaves the reply's draft as it was
    var box = byId("composer-text");
    if (!box) return;
    var state = stateFor(box);
    var sending = state.sending;
    state.sending = null;
    var accepted = e.detail.successful && e.detail.xhr && e.detail.xhr.status < 300;
    if (!accepted) {
      // Refused or failed: the text is still in the box and still a draft.
      state.value = box.value;
      if (state.value !== state.saved) schedule(state, DELAY);
      return;
    }
    // app.js has emptied the box (form.reset, to the empty default set above).
    state.value = box.value;
    if (isSend(elt)) {
      // The send cleared the server's copy; an autosave in flight meanwhile may have put it back.
      state.saved = sending && sending.raced ? null : "";
      keep(state.id, null);  // sent: a reload must not bring it back
      showOnRow(state.id, "");
    }
    if (state.value !== state.saved) save(state);
  });

  document.addEventListener("htmx:afterSettle", setUp);
  document.addEventListener("DOMContentLoaded", setUp);
})();
