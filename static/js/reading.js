/* Reading a thread: it opens at the newest message and stays there while pictures load, and says
   so when something new arrives below while the reader is further up.
   - "Pinned": the reader is at the bottom (or was taken there: opening a thread, sending). While
     pinned, any growth of the thread (a picture or video loading, a live message, the composer
     changing height) keeps the view at the bottom. Scrolling up unpins; back at the bottom pins.
     Only a scroll that moves up unpins: content growing above never does, so a picture that loads
     in the same moment as a scroll event cannot leave the reader stranded.
   - New messages while unpinned (the live poll, or a reply sent from elsewhere) show the
     "New messages ↓" pill (templates/inbox/_new_messages.html) and are announced politely; the
     pill takes the reader to the newest and goes away, as does scrolling to the bottom.
   - Sending from the composer takes the reader to the bottom, so the sent photo lands in view.
   static/js/app.js places live items and loads older ones; this file only moves the view. */
(function () {
  "use strict";

  var NEAR = 120;  // px from the bottom that still count as "at the bottom" (as app.js's nearBottom)

  var scroller = null, list = null, pinned = true, lastTop = 0, newest = "", unseen = 0;
  var resizes = null, additions = null;

  function byId(id) { return document.getElementById(id); }

  function atBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR; }

  function toBottom() {
    if (!scroller) return;
    scroller.scrollTop = scroller.scrollHeight;
    lastTop = scroller.scrollTop;
  }

  function newestKey() {
    var key = "";
    list.querySelectorAll(":scope > [data-key]:not(.daysep)").forEach(function (el) {
      if (el.dataset.key > key) key = el.dataset.key;
    });
    return key;
  }

  /* ---- The pill ---------------------------------------------------------------------------- */

  function hidePill() {
    unseen = 0;
    var pill = byId("new-messages");
    if (pill) pill.hidden = true;
    var status = byId("new-messages-status");
    if (status) status.textContent = "";
  }

  function showPill(count) {
    unseen += count;
    var pill = byId("new-messages");
    if (!pill) return;
    pill.hidden = false;
    var status = byId("new-messages-status");
    if (status) status.textContent = unseen === 1 ? "1 new message below." : unseen + " new messages below.";
  }

  function jumpToNewest() {
    pinned = true;
    toBottom();
    hidePill();
  }

  /* ---- Watching the open thread -------------------------------------------------------------- */

  function onScroll() {
    var top = scroller.scrollTop;
    if (atBottom()) {
      pinned = true;
      if (unseen) hidePill();
    } else if (top < lastTop) {
      pinned = false;
    }
    lastTop = top;
  }

  // Later messages loaded below a thread opened at a search result are the reader's own
  // scrolling, not news: no pill for them.
  var loadingLater = false;
  document.addEventListener("htmx:beforeSwap", function (e) { if (e.detail.elt && e.detail.elt.id === "newer-loader") loadingLater = true; });
  document.addEventListener("htmx:afterSettle", function () { loadingLater = false; });

  function onAdded(records) {
    if (loadingLater) { newest = newestKey(); return; }
    var arrived = 0, key = newest;
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        // A message or note later than any shown before; a pending reply replacing itself, a
        // day heading or older messages loaded above are not news.
        if (node.nodeType !== 1 || !node.dataset.key || node.classList.contains("daysep")) return;
        if (node.dataset.key > newest) {
          arrived += 1;
          if (node.dataset.key > key) key = node.dataset.key;
        }
      });
    });
    newest = key;
    if (!arrived) return;
    if (pinned) toBottom();
    else showPill(arrived);
  }

  function detach() {
    if (resizes) resizes.disconnect();
    if (additions) additions.disconnect();
    if (scroller) scroller.removeEventListener("scroll", onScroll);
    resizes = additions = scroller = list = null;
  }

  function attach() {
    var current = byId("thread-scroll");
    if (current === scroller) return;
    detach();
    list = byId("thread-messages");
    if (!current || !list) return;
    scroller = current;
    // Opened at a search result (data-focus, app.inbox.queries.thread_around): the reader is at
    // that message, not the newest; app.js centres it. Not pinned, so nothing pulls them down.
    var view = byId("thread-view");
    var found = view && view.dataset.focus && byId(view.dataset.focus);
    pinned = !found;
    hidePill();
    newest = newestKey();
    if (found) { found.scrollIntoView({ block: "center" }); lastTop = scroller.scrollTop; } else toBottom();
    scroller.addEventListener("scroll", onScroll, { passive: true });
    if (window.ResizeObserver) {
      resizes = new ResizeObserver(function () { if (pinned) toBottom(); });
      resizes.observe(list);
      resizes.observe(scroller);
    }
    additions = new MutationObserver(onAdded);
    additions.observe(list, { childList: true });
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("#new-messages")) jumpToNewest();
  });

  // A send from the composer: the reader wants to see it go (the bubble, then its picture).
  function isSend(elt) { return elt && elt.hasAttribute && (elt.hasAttribute("data-send") || elt.hasAttribute("data-note")); }
  document.addEventListener("htmx:beforeRequest", function (e) { if (isSend(e.detail.elt)) pinned = true; });
  document.addEventListener("htmx:afterRequest", function (e) { if (isSend(e.detail.elt) && scroller) jumpToNewest(); });

  document.addEventListener("htmx:afterSettle", attach);
  document.addEventListener("DOMContentLoaded", attach);
})();
