/* The inbox on a phone, held in one hand (the layout is static/css/phone.css, under 768 px):
   - the keyboard: window.visualViewport says how much of the screen is left above it; the inbox
     is sized to that (--app-height) so the composer sits on the keyboard, and a thread that was
     at its newest message stays there whenever its height changes;
   - the thread header folds away while scrolling up through history and comes back on scrolling
     down or reaching the newest message; it floats over the messages, so nothing jumps;
   - the action bar's "Note" button switches the composer to a private note;
   - folds: the list's filters behind "Filters", the closed-window notice behind "Details";
   - on a touch screen, reactions hide behind a "React" button (no mis-taps next to the time).
   Nothing here runs on a desktop's width except the sizing, which changes nothing there. */
(function () {
  "use strict";

  var phone = window.matchMedia("(max-width: 767px)");
  function touchScreen() { return window.matchMedia("(pointer: coarse)").matches; }
  var touch = window.matchMedia("(hover: none)");
  var root = document.documentElement;
  var NEAR = 48;  // px from the newest message that still count as "at the newest message"

  function byId(id) { return document.getElementById(id); }

  /* ---- The keyboard (visualViewport) ---------------------------------------------------------- */

  var viewport = window.visualViewport;
  function fitViewport() {
    if (!viewport) return;
    // The keyboard shrinks the visual viewport, not the layout one: size the inbox to what is seen.
    root.style.setProperty("--app-height", Math.round(viewport.height) + "px");
    var keyboard = phone.matches && window.innerHeight - viewport.height > 120;
    root.classList.toggle("keyboard-up", keyboard);
    if (keyboard && viewport.offsetTop > 0 && document.querySelector("main.inbox")) window.scrollTo(0, 0);
  }
  if (viewport) {
    viewport.addEventListener("resize", fitViewport);
    viewport.addEventListener("scroll", fitViewport);
  }

  /* ---- The thread: keep the newest message in view, fold the header ---------------------------- */

  var watched = null, sizeObserver = null, whoObserver = null;
  var atNewest = true, lastTop = 0, travelled = 0;

  function nearNewest(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR;
  }

  function setFolded(view, folded) {
    if (view) view.classList.toggle("is-folded", folded);
  }

  function onThreadScroll(e) {
    var scroller = e.target;
    if (scroller !== watched) return;
    var top = scroller.scrollTop;
    atNewest = nearNewest(scroller);
    var view = byId("thread-view");
    if (!view || !phone.matches) { lastTop = top; return; }
    var delta = top - lastTop;
    lastTop = top;
    // A little hysteresis, so a finger's wobble does not flicker the header.
    travelled = (delta > 0) === (travelled > 0) ? travelled + delta : delta;
    if (atNewest || travelled > 24) setFolded(view, false);
    else if (travelled < -24 && top > 0) setFolded(view, true);
  }
  document.addEventListener("scroll", onThreadScroll, true);  // scroll does not bubble: capture it

  function watchThread() {
    var scroller = byId("thread-scroll");
    var who = document.querySelector("#thread-view .thread__who");
    if (scroller !== watched) {
      watched = scroller;
      var view = byId("thread-view");
      atNewest = !(view && view.dataset.focus);  // opened at a search result: not at the newest
      lastTop = scroller ? scroller.scrollTop : 0;
      travelled = 0;
      if (sizeObserver) sizeObserver.disconnect();
      if (scroller && window.ResizeObserver) {
        // The keyboard, the bar stepping aside, a growing composer: the scroller changes height;
        // at the newest message, stay there.
        sizeObserver = new ResizeObserver(function () {
          if (atNewest && watched) watched.scrollTop = watched.scrollHeight;
        });
        sizeObserver.observe(scroller);
      }
    }
    if (whoObserver) whoObserver.disconnect();
    if (who && window.ResizeObserver) {
      // The floating header's height, for the room kept above the first message.
      whoObserver = new ResizeObserver(function () {
        var view = byId("thread-view");
        if (view) view.style.setProperty("--who-height", who.offsetHeight + "px");
      });
      whoObserver.observe(who);
    }
  }

  // Focus inside the folded header (a keyboard, a screen reader) brings it back.
  document.addEventListener("focusin", function (e) {
    if (e.target.closest && e.target.closest(".thread__who")) setFolded(byId("thread-view"), false);
  });

  /* ---- The composer's buttons keep the keyboard up ---------------------------------------------- */

  // Writing, the keyboard up: a tap on Send (or Attach, a mode) must not take the focus from the
  // box first, or the keyboard drops and the layout under the finger moves before the tap lands.
  document.addEventListener("mousedown", function (e) {
    if (!phone.matches || document.activeElement !== byId("composer-text")) return;
    var control = e.target.closest && e.target.closest("#composer button, #composer label");
    if (control) e.preventDefault();
  });

  /* ---- "Note" in the action bar ------------------------------------------------------------------ */

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-note-open]");
    if (!button) return;
    var note = byId("mode-note"), box = byId("composer-text");
    if (!note || !box) return;
    if (!note.checked) {
      note.checked = true;
      note.dispatchEvent(new Event("change", { bubbles: true }));  // app.js switches the composer
    }
    box.focus();
  });

  /* ---- Folds: the list's filters, the closed-window notice --------------------------------------- */

  function activeFilters(form) {
    // A select narrows the list unless it shows its first choice ("Any status", "Newest first").
    // The DMs / Comments switch is in the fold too: anything but "All" counts.
    var kind = form.querySelector(".segmented--kind input:checked");
    var count = kind && kind.value ? 1 : 0;
    form.querySelectorAll(".filters__row select, .filters__row input").forEach(function (field) {
      if (field.type === "hidden") return;
      if (field.tagName === "SELECT") { if (field.selectedIndex > 0) count += 1; return; }
      if (field.type === "checkbox" || field.type === "radio") { if (field.checked) count += 1; return; }
      if (field.value.trim()) count += 1;
    });
    return count;
  }

  function setUpFilters() {
    var form = byId("inbox-filters");
    var toggle = form && form.querySelector("[data-filters-toggle]");
    if (!toggle) return;
    var count = toggle.querySelector("[data-filters-count]");
    var n = activeFilters(form);
    if (count) {
      count.textContent = n ? String(n) : "";
      if (n) {
        var said = document.createElement("span");
        said.className = "visually-hidden";
        said.textContent = " on";
        count.appendChild(said);
      }
    }
    if (toggle.dataset.ready) return;
    toggle.dataset.ready = "1";
    toggle.hidden = false;
    // Folded on a phone, filters on or not: open, it took almost half the screen whenever one was
    // on (Needs reply, a label), leaving three conversations; the toggle's count says what narrows
    // the list.
    setFiltersOpen(form, toggle, !phone.matches);
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      setFiltersOpen(form, toggle, open);
      // The search takes the focus for a keyboard; on a touch screen that would raise the on-screen
      // keyboard over the filters the person opened the fold to pick.
      if (open && !touchScreen()) { var search = byId("filter-q"); if (search) search.focus({ preventScroll: true }); }
    });
  }

  function setFiltersOpen(form, toggle, open) {
    form.classList.toggle("is-folded", !open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function setUpNotices() {
    document.querySelectorAll("[data-foldable]").forEach(function (notice) {
      var button = notice.querySelector("[data-fold]");
      if (!button || button.dataset.ready) return;
      button.dataset.ready = "1";
      button.hidden = false;
      var fold = function (folded) {
        notice.classList.toggle("is-folded", folded);
        button.setAttribute("aria-expanded", folded ? "false" : "true");
        button.textContent = folded ? "Details" : "Less";
      };
      fold(phone.matches);
      button.addEventListener("click", function () { fold(!notice.classList.contains("is-folded")); });
    });
  }

  /* ---- Reactions behind "React" on a touch screen ------------------------------------------------ */

  function setUpReactions() {
    if (!touch.matches || !phone.matches) return;
    document.querySelectorAll("#thread-messages .bubble__tools:not([data-react-fold])").forEach(function (tools) {
      if (!tools.querySelector(".bubble__react")) return;
      tools.setAttribute("data-react-fold", "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "linklike bubble__react-toggle";
      button.textContent = "React";
      button.setAttribute("aria-expanded", "false");
      tools.prepend(button);
    });
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest(".bubble__react-toggle");
    if (!button) return;
    var tools = button.closest(".bubble__tools");
    var open = !tools.classList.contains("is-open");
    tools.classList.toggle("is-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "Close" : "React";
  });

  /* ---- After every swap -------------------------------------------------------------------------- */

  function refresh() {
    fitViewport();
    watchThread();
    setUpFilters();
    setUpNotices();
    setUpReactions();
  }

  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("thread:header-placed", refresh);  // a teammate's change, placed by app.js
  document.addEventListener("change", function (e) {
    if (e.target.form && e.target.form.id === "inbox-filters") setUpFilters();
  });
})();
