/* The inbox's small amount of JavaScript, on top of htmx:
   - the viewer's time zone for server-rendered times (a cookie);
   - a readable message in place when an htmx request fails, instead of a silent nothing;
   - live updates: out-of-band fragments land in hidden staging areas and are put in their place
     here (list rows by newest activity, thread items by time), so a row or message the browser
     already shows is replaced, never duplicated, and the composer is never touched;
   - the unread count in the tab title, the composer (UTF-8 byte counter, Enter to send, note mode),
     the thread's scroll position. */
(function () {
  "use strict";

  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) && document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }

  function byId(id) { return document.getElementById(id); }

  /* ---- Errors ------------------------------------------------------------------------------ */

  var STATUS_TEXT = {
    0: "The server could not be reached. Check your connection and try again.",
    400: "The request was not understood. Reload the page and try again.",
    403: "You are not allowed to do this.",
    404: "This is no longer here: it may have been deleted, or it belongs to another workspace.",
    413: "That is larger than allowed.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on the server. Try again in a moment.",
    503: "The service is temporarily unavailable. Try again in a moment."
  };

  function serverMessage(xhr) {
    // Our error pages say what went wrong in one sentence: use it when there is one.
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var p = doc.querySelector("main [role=alert] h1 + p");
      return p ? p.textContent.trim() : "";
    } catch (e) { return ""; }
  }

  function errorSlot(elt) {
    var region = elt && elt.closest ? elt.closest("[data-error-region]") : null;
    return (region && region.querySelector(".region-error")) || byId("global-error");
  }

  function isBackground(elt) {
    // Polls (the live poll, a pending message's status) retry by themselves: a banner, not an error.
    return elt && elt.matches && elt.matches("[data-live-poller], .bubble--pending");
  }

  function showFailure(elt, xhr, target) {
    var status = xhr ? xhr.status : 0;
    if (isBackground(elt)) {
      byId("net-status").hidden = false;
      return;
    }
    var text = (xhr && status >= 400 && serverMessage(xhr)) ||
      STATUS_TEXT[status] || STATUS_TEXT[status >= 500 ? 500 : 0];
    if (elt && elt.hasAttribute && elt.hasAttribute("data-retryable")) {
      // A "load more" that failed: say so where it was, with a way to try again.
      elt.textContent = text + " ";
      var again = document.createElement("button");
      again.type = "button";
      again.className = "btn btn--sm";
      again.textContent = "Try again";
      again.addEventListener("click", function () { elt.textContent = "Loading…"; htmx.trigger(elt, "retry"); });
      elt.appendChild(again);
      return;
    }
    // In place: next to where the answer would have gone (or the control), else at the top.
    var slot = errorSlot(target && target.isConnected ? target : elt);
    if (slot.offsetParent === null && slot.id !== "global-error") {
      slot.hidden = false;
      if (slot.offsetParent === null) { slot.hidden = true; slot = byId("global-error"); }
    }
    slot.textContent = text;
    slot.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (e) { showFailure(e.detail.elt, e.detail.xhr, e.detail.target); });
  document.addEventListener("htmx:sendError", function (e) { showFailure(e.detail.elt, null, e.detail.target); });
  document.addEventListener("htmx:timeout", function (e) { showFailure(e.detail.elt, null, e.detail.target); });

  // Leaving the page cuts off a poll in flight; that is not an error worth reporting.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function (e) {
    leaving = false;
    // A page that lists what the visit changed (the notifications, read once opened) is asked for
    // again when the browser restores it from its back/forward cache as it was.
    if (e.persisted && document.querySelector("[data-fresh-on-back]")) window.location.reload();
  });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var xhr = e.detail.xhr, onabort = xhr.onabort;
    xhr.onabort = function () { if (!leaving) return onabort.apply(this, arguments); };
  });

  function accepted(e) {
    // A 422 counts as "successful" for htmx (its fragment is swapped) but nothing was done.
    return e.detail.successful && e.detail.xhr && e.detail.xhr.status < 300;
  }

  document.addEventListener("htmx:afterRequest", function (e) {
    if (!e.detail.successful) return;
    byId("net-status").hidden = true;
    if (accepted(e) && !isBackground(e.detail.elt)) {
      var slot = errorSlot(e.detail.elt);
      if (slot && slot.id !== "composer-error") { slot.hidden = true; slot.textContent = ""; }
    }
  });

  document.addEventListener("htmx:beforeSwap", function (e) {
    var elt = e.detail.elt;
    // A 422 is a refusal the server explains in a fragment; some controls show it elsewhere
    // (the composer's note above the textarea) instead of in their usual target.
    if (e.detail.xhr.status === 422 && elt && elt.getAttribute) {
      var where = elt.getAttribute("data-refusal-target");
      if (where && document.querySelector(where)) {
        e.detail.target = document.querySelector(where);
        e.detail.swapOverride = "innerHTML";
        e.detail.target.hidden = false;
      }
    }
    // Older messages go above what the reader sees: remember their place to restore it.
    if (elt && elt.id === "older-loader") {
      var scroller = byId("thread-scroll");
      if (scroller) scroller.dataset.fromBottom = String(scroller.scrollHeight - scroller.scrollTop);
    }
  });

  /* ---- Placing live items -------------------------------------------------------------------- */

  // placeRows and placeThreadItems order items by comparing their data-key attributes as strings.
  // The keys are built in app/inbox/display.py (list_key, item_key, day_key), whose format is made
  // to sort as strings exactly as the items sort: change the two together.

  function childrenById(list) {
    var map = {};
    for (var el = list.firstElementChild; el; el = el.nextElementSibling) { if (el.id) map[el.id] = el; }
    return map;
  }

  function replaceKeepingFocus(old, item) {
    var hadFocus = old.contains(document.activeElement);
    old.replaceWith(item);
    if (hadFocus) {
      var target = item.querySelector("a, button, [tabindex]") || item;
      target.focus({ preventScroll: true });
    }
  }

  function placeRows() {
    var staging = byId("live-rows");
    var staged = staging && staging.querySelector("ul");
    var list = byId("conversation-list");
    if (!staged) return;
    if (list && staged.dataset.filters === list.dataset.filters) {
      var updateOnly = staged.hasAttribute("data-update-only");
      var existing = childrenById(list);
      var items = Array.prototype.slice.call(staged.children);
      for (var i = items.length - 1; i >= 0; i--) {  // oldest first, so each lands above the last
        var item = items[i];
        var old = existing[item.id];
        if (item.hasAttribute("data-remove")) { if (old) old.remove(); continue; }
        if (old && old.dataset.key === item.dataset.key) { replaceKeepingFocus(old, item); continue; }
        if (updateOnly && !old) continue;
        var ref = null, more = null;
        for (var el = list.firstElementChild; el; el = el.nextElementSibling) {
          if (el === old) continue;
          if (el.hasAttribute("data-more")) { more = el; break; }
          if (el.dataset.key && el.dataset.key < item.dataset.key) { ref = el; break; }
        }
        if (old) old.remove();
        if (!ref && more) continue;  // belongs to a page not loaded yet
        list.insertBefore(item, ref);
        var empty = list.parentNode.querySelector(".convlist-empty");
        if (empty) empty.remove();
      }
    }
    staging.replaceChildren();
    syncActiveRow();
  }

  function nearBottom(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  }

  function scrollToBottom() {
    var scroller = byId("thread-scroll");
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  // A thread opened at a search result (data-focus on #thread-view) shows that message in the
  // middle of the view and focuses it, instead of the newest at the bottom.
  function scrollToFocus(view) {
    var found = view && view.dataset.focus && byId(view.dataset.focus);
    if (!found) return false;
    markTerm(found.querySelector(".bubble__text"), view.dataset.focusTerm);
    found.scrollIntoView({ block: "center" });
    found.focus({ preventScroll: true });
    return true;
  }

  // The search's words in the found message, marked as the list marks them: text nodes only are
  // split (the message is already escaped and linkified), and a second call finds them marked.
  function markTerm(el, term) {
    if (!el || !term || el.querySelector("mark")) return;
    var lower = term.toLowerCase(), walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var text = node.nodeValue, at = text.toLowerCase().indexOf(lower);
      // (Lower-casing that changes a text's length, as "İ" does, would shift the marks: left as is.)
      if (at < 0 || text.toLowerCase().length !== text.length) return;
      var parts = document.createDocumentFragment(), from = 0;
      for (; at >= 0; at = text.toLowerCase().indexOf(lower, from)) {
        parts.appendChild(document.createTextNode(text.slice(from, at)));
        var mark = document.createElement("mark");
        mark.textContent = text.slice(at, at + term.length);
        parts.appendChild(mark);
        from = at + term.length;
      }
      parts.appendChild(document.createTextNode(text.slice(from)));
      node.parentNode.replaceChild(parts, node);
    });
  }

  function placeThreadItems(list, items) {
    // Returns whether a customer's message the thread did not show yet was put in.
    var existing = childrenById(list);
    var arrived = false;
    items.forEach(function (item) {
      var old = existing[item.id];
      if (old) {
        if (!item.classList.contains("daysep")) replaceKeepingFocus(old, item);
        return;
      }
      var ref = null, first = null;
      for (var el = list.lastElementChild; el; el = el.previousElementSibling) {
        if (!el.dataset.key) continue;  // the "earlier messages" loader
        if (el.dataset.key <= item.dataset.key) break;
        ref = el;
      }
      first = list.querySelector("[data-key]");
      if (ref && ref === first && byId("older-loader")) return;  // older than what is loaded
      list.insertBefore(item, ref);
      if (item.classList.contains("bubble--in")) arrived = true;
    });
    var none = document.querySelector(".thread__none");
    if (none && list.querySelector(".bubble")) none.remove();
    return arrived;
  }

  function placeThread() {
    var staging = byId("live-thread");
    var staged = staging && staging.firstElementChild;
    if (!staged) return;
    var view = byId("thread-view");
    var list = byId("thread-messages");
    if (view && staged.hasAttribute("data-gone") && view.dataset.conversation === staged.dataset.conversation) {
      // Deleted while open (e.g. a data deletion request): say so, and stop asking about it.
      var gone = document.createElement("div");
      gone.className = "empty-state thread__empty";
      gone.setAttribute("role", "status");
      gone.innerHTML = "<h2>This conversation no longer exists</h2><p>It was deleted, or its Instagram account was removed.</p>";
      byId("thread").replaceChildren(gone);
    } else if (view && list && view.dataset.conversation === staged.dataset.conversation) {
      var scroller = byId("thread-scroll");
      var stick = scroller && nearBottom(scroller);
      var items = Array.prototype.slice.call(staged.querySelectorAll("ol > li"));
      var arrived = placeThreadItems(list, items);
      byId("thread-state").value = staged.dataset.state;
      var header = staged.querySelector("template[data-thread-header]");
      var status = staged.querySelector("template[data-thread-status]");
      var slot = byId("thread-status");
      if (header) pendingHeader = { conversation: staged.dataset.conversation, node: header.content.firstElementChild };
      if (!placePendingHeader() && status && slot) slot.replaceWith(status.content.firstElementChild);
      placeReplyWindow(staged.querySelector("template[data-reply-window]"));
      // Read what arrived while I look; but an unread with nothing new is someone's "Mark as
      // unread" (mine on another device, or this one's click still on its way back), not to undo.
      if (arrived && staged.hasAttribute("data-unread")) markReadWhenSeen();
      if (stick) scrollToBottom();
    }
    staging.replaceChildren();
  }

  // "Reply queued" under a comment (templates/comments/): said until the reply's own bubble shows
  // it went, or that it failed (the bubble says so then); left there it read as still on its way.
  function dropSentConfirmations() {
    document.querySelectorAll("[data-until-sent]").forEach(function (line) {
      var bubble = byId(line.getAttribute("data-until-sent"));
      if (bubble && !bubble.classList.contains("bubble--pending")) line.remove();
    });
  }

  // A teammate's change (resolved, snoozed, reassigned, labelled), or the customer writing again
  // (reopened), reaches the open thread's header with the live poll. It replaces the header only
  // while nobody is using it: no menu open, no field being typed in or chosen from, no action of its
  // own on the way; else it waits until then. Focus merely left on a button (Reopen, after clicking
  // Resolve) is not using it: the header was kept stale for as long as focus stayed there, and the
  // button's counterpart in the new header takes the focus.
  var pendingHeader = null;

  // A press on one of its controls (a pointer down, Space held) is using it too: a header replaced
  // between the press and its release would swallow the click.
  var pressing = false;

  function headerBusy(header) {
    var active = document.activeElement;
    return pressing || (header.contains(active) && active.matches("input, select, textarea")) ||
      header.querySelector("details[open]") || header.querySelector(".htmx-request") ||
      header.classList.contains("htmx-request");
  }

  // Where the keyboard is in the header, said so that it can be found again in a new one: a menu's
  // button, or an action form's control (Resolve becomes Reopen in the same form).
  function focusInHeader(header) {
    var active = document.activeElement;
    if (!active || !header.contains(active)) return null;
    var menu = active.closest("details[id]");
    var form = active.closest("form[hx-post]");
    if (menu) return { menu: menu.id };
    if (form) return { action: form.getAttribute("hx-post") };
    return { header: true };
  }

  function restoreFocus(header, want) {
    if (!want || !header || header.contains(document.activeElement)) return;
    var target = null;
    if (want.menu) {
      target = header.querySelector("#" + want.menu + " > summary");
    } else if (want.action) {
      header.querySelectorAll("form[hx-post]").forEach(function (form) {
        if (!target && form.getAttribute("hx-post") === want.action) target = form.querySelector("select, button:not([hidden])");
      });
    }
    (target || byId("thread-title")).focus();
  }

  function placePendingHeader() {
    var header = byId("thread-header");
    var view = byId("thread-view");
    if (!pendingHeader) return false;
    if (!header || !view || view.dataset.conversation !== pendingHeader.conversation) { pendingHeader = null; return false; }
    if (headerBusy(header)) return false;
    var fresh = pendingHeader.node;
    pendingHeader = null;
    // Never an older state over a newer one (a poll answered before my own action committed, but
    // arriving after its answer): each header carries its conversation's last change.
    if (Number(fresh.dataset.changed) < Number(header.dataset.changed)) return false;
    // What the person's own last action said ("Conversation resolved.") stays said, unless the
    // conversation has left that state since (the customer wrote again and reopened it).
    var said = header.querySelector(".thread__status"), slot = fresh.querySelector(".thread__status");
    if (said && slot && fresh.dataset.status === header.dataset.status) slot.replaceWith(said);
    var focus = focusInHeader(header);
    header.replaceWith(fresh);
    htmx.process(fresh);
    restoreFocus(fresh, focus);
    document.dispatchEvent(new CustomEvent("thread:header-placed"));  // phone.js measures it again
    return true;
  }

  // An action's own answer replaces the header: it is newer than what a poll left waiting. And the
  // keyboard stays where it was (Resolve becomes Reopen in the same form; a menu's item closes
  // the menu, so its button), where the swap would have dropped it to the page.
  var headerFocus = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var header = byId("thread-header");
    if (!header || !header.contains(e.detail.target)) return;
    pendingHeader = null;  // the answer to my own action in it (its labels too) is the newer state
    if (e.detail.target !== header) return;
    headerFocus = focusInHeader(header);
    if (headerFocus && headerFocus.header) headerFocus = null;  // elsewhere in it: as the swap leaves it
  });
  document.addEventListener("htmx:afterSettle", function () {
    var want = headerFocus;
    headerFocus = null;
    if (want) restoreFocus(byId("thread-header"), want);
  });
  // Once the person is done with it (the header's controls are served by delegated listeners,
  // so a header placed outside a swap needs no setting up).
  function settleHeader() { if (pendingHeader) setTimeout(placePendingHeader, 0); }
  function pressStarts(e) {
    var header = byId("thread-header");
    if (header && header.contains(e.target) && (e.type === "pointerdown" || e.key === " ")) pressing = true;
  }
  function pressEnds(e) {
    if (!pressing || (e.type === "keyup" && e.key !== " ")) return;
    pressing = false;
  }
  // Nothing is placed on the release itself: the click it makes, and the request that click starts
  // (which marks the header busy), may come in later tasks; a header placed before them took the
  // click's answer with it. The next poll (or focus change) places what still waits.
  document.addEventListener("pointerdown", pressStarts, true);
  document.addEventListener("keydown", pressStarts, true);
  ["pointerup", "pointercancel", "keyup"].forEach(function (type) { document.addEventListener(type, pressEnds, true); });
  document.addEventListener("focusout", settleHeader);
  document.addEventListener("toggle", settleHeader, true);
  document.addEventListener("htmx:afterRequest", settleHeader);

  // The customer wrote again (Instagram's window opens) or the window ended: the composer follows.
  // A note the window forced stays a note while it holds text (sending it to the customer instead
  // would publish what was written for the team); an empty one turns back into a reply.
  function placeReplyWindow(template) {
    var form = byId("composer");
    var slot = byId("reply-window");
    if (!template || !form || !slot) return;
    var fresh = template.content.firstElementChild;
    if (fresh.dataset.window === slot.dataset.window) return;  // unchanged: keep it (and how it is folded)
    var was = slot.dataset.canReply === "true";
    var open = fresh.dataset.canReply === "true";
    slot.replaceWith(fresh);
    form.classList.toggle("composer--closed", !open);
    var file = form.querySelector("input[type=file]");
    if (file) file.disabled = !open;
    var send = form.querySelector("[data-send]");
    if (send) send.disabled = !open;
    var text = form.querySelector("textarea");
    var mode = form.dataset.mode;
    if (was && !open && mode === "reply") {
      mode = "note";
      form.dataset.forcedNote = "1";
    } else if (!was && open && mode === "note" && form.dataset.forcedNote) {
      if (!text.value.trim()) {
        mode = "reply";  // with the reply's draft, put aside while the window was closed
        delete form.dataset.forcedNote;
      } else {
        var hint = document.createElement("p");
        hint.className = "notice notice--open";
        hint.setAttribute("role", "status");
        hint.setAttribute("data-note-only", "");
        hint.textContent = "The customer wrote again: choose Reply to answer them.";
        fresh.appendChild(hint);
      }
    }
    switchMode(form, mode);
  }

  function markReadWhenSeen() {
    // New messages arrived in the conversation on screen: they are read, once the tab is visible.
    var reader = byId("thread-read");
    if (!reader) return;
    if (document.visibilityState === "visible") { htmx.trigger(reader, "mark-read"); return; }
    reader.dataset.pending = "1";
  }
  document.addEventListener("visibilitychange", function () {
    var reader = byId("thread-read");
    if (reader && reader.dataset.pending && document.visibilityState === "visible") {
      delete reader.dataset.pending;
      htmx.trigger(reader, "mark-read");
    }
  });

  function dedupeThread() {
    // A reply can arrive twice (its own response and a live update): keep the newest copy;
    // a day heading can arrive twice (older messages of the same day): keep the first.
    var list = byId("thread-messages");
    if (!list) return;
    var seen = {};
    var items = Array.prototype.slice.call(list.children);
    for (var i = items.length - 1; i >= 0; i--) {
      var el = items[i];
      if (!el.id) continue;
      if (seen[el.id]) {
        if (el.classList.contains("daysep")) { seen[el.id].remove(); seen[el.id] = el; }
        else el.remove();
      } else seen[el.id] = el;
    }
  }

  function syncActiveRow() {
    var view = byId("thread-view");
    var open = view ? "conv-" + view.dataset.conversation : null;
    document.querySelectorAll("#conversation-list .convrow").forEach(function (a) {
      var active = a.parentNode.id === open;
      a.classList.toggle("is-active", active);
      if (active) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
  }

  function syncTitle() {
    var badge = byId("unread-badge");
    if (!badge) return;
    var count = badge.dataset.count || "0";  // a number, or "99+"
    var view = byId("thread-view");
    var page = document.querySelector("[data-page-title]");
    var base = view ? view.dataset.title : page ? page.dataset.pageTitle : null;
    var rest = document.title.replace(/^\(\d+\+?\) /, "");
    if (base) rest = base + " · Instagram Inbox";
    document.title = (count !== "0" ? "(" + count + ") " : "") + rest;
  }

  /* ---- After every swap ---------------------------------------------------------------------- */

  var lastThread = null;

  function afterSwap() {
    placeRows();
    placeThread();
    dropSentConfirmations();
    dedupeThread();
    syncActiveRow();
    syncTitle();
    var view = byId("thread-view");
    var current = view ? view.dataset.conversation : null;
    // A new composer every time one is swapped in (the same conversation opened again brings a
    // new one too); it sets itself up once (data-ready).
    setUpComposer();
    if (current !== lastThread) {
      lastThread = current;
      var focused = scrollToFocus(view);
      if (!focused) scrollToBottom();
      var list = document.querySelector(".inbox__list");
      if (view && !focused && list && list.offsetParent === null) {
        // On a phone the list is gone: take the reader to the conversation's name.
        var title = byId("thread-title");
        if (title) title.focus({ preventScroll: true });
      }
    }
  }

  document.addEventListener("htmx:afterSettle", afterSwap);
  document.addEventListener("htmx:afterSwap", function (e) {
    // A refusal the server retargeted into an error slot (HX-Retarget) must be seen.
    var target = e.detail.target;
    if (target && target.classList && target.classList.contains("region-error") && target.textContent.trim()) target.hidden = false;
    var scroller = byId("thread-scroll");
    if (scroller && scroller.dataset.fromBottom) {
      dedupeThread();
      scroller.scrollTop = scroller.scrollHeight - parseInt(scroller.dataset.fromBottom, 10);
      delete scroller.dataset.fromBottom;
    }
  });

  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!accepted(e) || !elt || !elt.closest) return;
    var form = elt.closest("#composer");
    if (form && (elt.hasAttribute("data-send") || elt.hasAttribute("data-note"))) {
      var mode = form.dataset.mode;
      form.reset();
      byId("mode-" + mode).checked = true;
      byId("composer-error").hidden = true;
      setMode(form, mode);
      updateCount(form);
      showFileName(form);
      scrollToBottom();
      byId("composer-text").focus();
    }
    var note = elt.closest("form[data-comment-note]");  // a comments thread's private note: added, so cleared
    if (note) {
      note.reset();
      byId("comment-note-error").hidden = true;
      scrollToBottom();
    }
    var menu = elt.closest("details.menu");
    if (menu) menu.open = false;
  });

  /* ---- Composer ------------------------------------------------------------------------------ */

  var encoder = new TextEncoder();

  function updateCount(form) {
    var text = form.querySelector("textarea");
    var out = byId("byte-count");
    var send = form.querySelector("[data-send]");
    if (!text || !out) return;
    var limit = parseInt(text.dataset.byteLimit, 10);
    var bytes = encoder.encode(text.value).length;
    out.textContent = bytes + " / " + limit + " bytes";
    var over = bytes > limit;
    out.classList.toggle("is-over", over);
    if (over) out.textContent += " — too long for Instagram";
    if (send && !form.classList.contains("composer--closed")) send.disabled = over;
  }

  function showFileName(form) {
    var input = form.querySelector("input[type=file]");
    var label = byId("composer-file-name");
    var remove = byId("composer-file-remove");
    var name = input && input.files && input.files.length ? input.files[0].name : "";
    if (label) label.textContent = name;
    if (remove) {
      remove.hidden = !name;
      remove.querySelector(".visually-hidden").textContent = name ? "Remove the attachment " + name : "Remove the attachment";
    }
  }

  // A reply and a private note are two texts in one box: switching shows the other one, and the
  // one put aside waits in form.stash (a half-written reply to the customer must not become a
  // note, nor a note for the team a reply). static/js/drafts.js keeps the reply as the draft.
  function switchMode(form, mode) {
    var text = form.querySelector("textarea");
    var from = form.dataset.mode;
    if (from && from !== mode) {
      form.stash[from] = text.value;
      text.value = form.stash[mode] || "";
      form.stash[mode] = "";
    }
    byId("mode-" + mode).checked = true;
    setMode(form, mode);
    updateCount(form);
  }
  window.Composer = {
    // The reply's text wherever it is (the box, or put aside while a note is written).
    replyText: function (form) { return form.dataset.mode === "note" ? form.stash.reply || "" : form.querySelector("textarea").value; },
    setReplyText: function (form, value) {
      if (form.dataset.mode === "note") form.stash.reply = value;
      else form.querySelector("textarea").value = value;
    }
  };

  function setMode(form, mode) {
    form.dataset.mode = mode;
    form.querySelectorAll("[data-reply-only]").forEach(function (el) { el.hidden = mode !== "reply"; });
    form.querySelectorAll("[data-note-only]").forEach(function (el) { el.hidden = mode !== "note"; });
    var text = form.querySelector("textarea");
    text.placeholder = mode === "note" ? "Write a private note for your team…" :
      (form.classList.contains("composer--closed") ? "Replies are closed for this conversation" : "Write a reply…");
  }

  function activeButton(form) {
    return form.querySelector(form.dataset.mode === "note" ? "[data-note]" : "[data-send]");
  }

  function setUpComposer() {
    var form = byId("composer");
    // Only the inbox's composer, with its Reply / Private note switch (a page may show a reply box
    // of its own under the same id).
    if (!form || form.dataset.ready || !form.querySelector("[name=mode]")) return;
    form.dataset.ready = "1";
    var text = form.querySelector("textarea");
    form.stash = { reply: "", note: "" };
    form.dataset.mode = "reply";  // the box holds the reply's draft, as the server rendered it
    if (form.classList.contains("composer--closed")) {
      switchMode(form, "note");
      form.dataset.forcedNote = "1";  // not the person's choice: undone when replies open (placeReplyWindow)
    }
    setMode(form, form.querySelector("[name=mode]:checked").value);
    updateCount(form);
    text.addEventListener("input", function () { updateCount(form); });
    // On a touch screen Return is the on-screen keyboard's only way to a new line, and a thumb
    // taps it mid-message: there it adds a line and the Send button sends (its keyboard shows a
    // return key, not a send key). With a real keyboard Enter sends, Shift and Enter adds a line.
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    text.setAttribute("enterkeyhint", touch ? "enter" : "send");
    text.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.altKey) return;
      // Ctrl or Cmd and Enter sends everywhere (a tablet with a keyboard is a touch screen too).
      if (touch && !(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      var button = activeButton(form);
      if (button && !button.disabled && (text.value.trim() || form.dataset.mode === "reply" && hasFile(form))) button.click();
    });
    form.addEventListener("change", function (e) {
      if (e.target.name === "mode") { delete form.dataset.forcedNote; switchMode(form, e.target.value); text.focus(); }
      if (e.target.type === "file") showFileName(form);
    });
    form.addEventListener("click", function (e) {
      if (!e.target.closest("#composer-file-remove")) return;
      var input = form.querySelector("input[type=file]");
      input.value = "";
      showFileName(form);
      text.focus();
    });
    form.addEventListener("submit", function (e) {
      // htmx sends through the buttons; a bare submit (e.g. from the file picker) must not reload.
      if (window.htmx) { e.preventDefault(); var b = activeButton(form); if (b && !b.disabled) b.click(); }
    });
  }

  function hasFile(form) {
    var input = form.querySelector("input[type=file]");
    return input && input.files && input.files.length > 0;
  }

  /* ---- Pictures and players that fail to load ----------------------------------------------- */

  // Instagram's CDN links expire. No inline onerror handlers (the CSP allows no inline script):
  // one listener in the capture phase (load errors do not bubble) sees every <img>, <video> and
  // <audio> marked data-broken, including those htmx swaps in later. "gone" shows the media's
  // placeholder; "remove" drops the picture (an avatar's initials show through).
  function broken(el) {
    if (el.getAttribute("data-broken") === "remove") { el.remove(); return; }
    var media = el.closest(".media");
    if (media) media.classList.add("is-gone");
  }
  document.addEventListener("error", function (e) {
    var el = e.target;
    if (el && el.nodeType === 1 && el.hasAttribute("data-broken")) broken(el);
  }, true);
  function markAlreadyBroken() {
    // Those that failed before this script ran (it is deferred).
    document.querySelectorAll("[data-broken]").forEach(function (el) {
      if (el.tagName === "IMG" ? el.complete && el.naturalWidth === 0 && el.getAttribute("src")
                               : el.error || el.networkState === 3 /* NETWORK_NO_SOURCE */) broken(el);
    });
  }

  /* ---- Filters -------------------------------------------------------------------------------- */

  // The inbox filters apply on any change except the search box's own (it has its debounced
  // `input` trigger). htmx's inline event filter for this needs eval, which the CSP forbids.
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.id === "inbox-filters" && e.target.type !== "search" && window.htmx) htmx.trigger(form, "filters-changed");
  });

  /* ---- Menus --------------------------------------------------------------------------------- */

  // Menus, and disclosures marked [data-closable] that are not menus (a confirmation that opens
  // in place, as the Accounts page's Disconnect…), close on Escape and on a click elsewhere.
  var CLOSABLE = "details.menu[open], details.usermenu[open], details[data-closable][open]";
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    document.querySelectorAll(CLOSABLE).forEach(function (d) {
      d.open = false;
      var summary = d.querySelector("summary");
      if (summary && d.contains(document.activeElement)) summary.focus();
    });
  });
  document.addEventListener("click", function (e) {
    document.querySelectorAll(CLOSABLE).forEach(function (d) {
      if (!d.contains(e.target)) d.open = false;
    });
  });

  /* ---- Reply-window countdowns ([data-closes-at]) and waits ([data-waiting-since]): kept current between server renders */

  function countdownText(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "under a minute";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    return hours ? hours + " h " + (minutes < 10 ? "0" : "") + minutes + " min" : minutes + " min";
  }
  // How long a customer has waited ([data-waiting-since]): the words of app.messages.waiting.waited.
  function waitedText(ms) {
    var minutes = Math.max(0, Math.floor(ms / 60000));
    if (minutes < 1) return "under a minute";
    if (minutes < 60) return minutes + " min";
    if (minutes < 48 * 60) return Math.floor(minutes / 60) + " h";
    return Math.floor(minutes / 1440) + " d";
  }
  function tickCountdowns() {
    document.querySelectorAll("[data-closes-at]").forEach(function (el) {
      var left = Date.parse(el.dataset.closesAt) - Date.now();
      var text = el.querySelector("[data-countdown]");
      if (left <= 0) { el.textContent = "Window closed"; el.removeAttribute("data-closes-at"); }
      else if (text) text.textContent = countdownText(left);
    });
    document.querySelectorAll("[data-waiting-since]").forEach(function (el) {
      var text = el.querySelector("[data-waited]");
      if (text) text.textContent = waitedText(Date.now() - Date.parse(el.dataset.waitingSince));
    });
  }
  setInterval(tickCountdowns, 30000);

  /* ---- Copy what is shown once (team invites, password links, API tokens) -------------------- */

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy-target]");
    if (!button) return;
    var field = byId(button.dataset.copyTarget);
    if (!field) return;
    var value = field.value !== undefined ? field.value : field.textContent.trim();  // an input, or a <code>
    if (field.select) field.select();
    else window.getSelection().selectAllChildren(field);
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value).then(done, function () {});
    else if (document.execCommand && document.execCommand("copy")) done();
  });

  // What a form's answer shows once, below the fold (a new API token): in view, and announced.
  document.addEventListener("DOMContentLoaded", function () {
    var shown = document.querySelector("[data-show-on-load]");
    if (!shown) return;
    shown.scrollIntoView({ block: "center" });
    shown.focus({ preventScroll: true });
  });

  // A form sent without htmx comes back as a whole page with the field to fix marked (aria-invalid)
  // and the reason beside it: that field in view and focused. Loaded at its top, the page showed
  // nothing wrong (the business hours' error sat 1,200 px down on a laptop, 2,800 on a phone).
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-show-on-load], [autofocus]")) return;
    var field = document.querySelector("main form [aria-invalid=true]");
    if (!field) return;
    // The reason too, when it fits on screen with the field (it may sit above the form).
    var reason = byId((field.getAttribute("aria-describedby") || "").split(" ")[0]);
    (reason || field).scrollIntoView({ block: "center" });
    var box = field.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });

  document.addEventListener("DOMContentLoaded", afterSwap);
  document.addEventListener("DOMContentLoaded", markAlreadyBroken);
})();
