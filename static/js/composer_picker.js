/* A picker that a character typed in the reply box opens: the composer's "/" saved replies
   (static/js/saved_replies.js) and "@" teammates in a note (static/js/mentions.js) are two of
   them. This file is what they share; each says where its options come from, how they rank, what
   choosing one inserts, and what the status line says.

   A box is a textarea marked [data-picker-box]: the DM composer's, and a comments thread's private
   note. A picker serves a box whose form holds the picker's wrapper (rootId), so each box gets the
   pickers its template includes and no other.

   The trigger counts at the start of the box or after whitespace, and the query runs from it to
   the caret (it may hold spaces: a title's or a name's words). Typing on filters; ↑/↓ move (and
   wrap), Enter or Tab inserts, Esc closes (that trigger stays closed until it changes; Enter when nothing
   matches closes it until the next keystroke), a click or
   tap inserts. Inserting replaces the trigger and the query with the option's text. A button
   marked data-picker-open="<trigger>" in the box's form types the trigger for whoever cannot
   (the composer's "Saved" button: a phone's keyboard hides "/").

   Accessibility: the listbox/option pattern, driven from the reply box with aria-controls,
   aria-autocomplete="list" and aria-activedescendant (all allowed on the textarea's own textbox
   role; a textarea may not take role="combobox" or aria-expanded), and a polite status line that
   says when the list opens, how many options match and what was inserted.

   window.ComposerPicker.attach(config), config:
     trigger    "/" or "@"
     rootId, listboxId, statusId   the picker's wrapper (with [data-picker-empty]), list and status line
     enabled(form)     optional: whether the picker may open now (e.g. only in note mode)
     load(root)        a Promise of the option elements (role=option, each with an id)
     rank(option, q)   0 best, higher worse, -1 hidden; q is lower case and trimmed
     textFor(option)   the text that replaces the trigger and the query
     afterInsert(option, form)   optional: side effects; returns more words for the status line
     words             {one, many, loading, failed, none(query, any), closed}: the status line's words */
(function () {
  "use strict";

  var inserting = false;  // shared: one picker's insertion must not open or move another

  function byId(id) { return document.getElementById(id); }

  function attach(config) {
    var picker = null;       // the open picker's state, or null when closed
    var dismissed = null;    // {box, at}: the trigger that Esc closed stays closed until it changes

    function isBox(el) { return !!(el && el.matches && el.matches("textarea[data-picker-box]")); }

    function parts(box) {
      var root = box && box.form ? box.form.querySelector("#" + config.rootId) : null;
      if (!root) return null;
      return { box: box, root: root, listbox: byId(config.listboxId), status: byId(config.statusId),
               empty: root.querySelector("[data-picker-empty]"), form: box.form };
    }

    function prepare() {
      document.querySelectorAll("textarea[data-picker-box]").forEach(function (box) {
        var p = parts(box);
        if (!p) return;
        p.box.setAttribute("aria-autocomplete", "list");
        // The first picker's list is the box's default; an open picker points the box at its own.
        if (!p.box.hasAttribute("aria-controls")) p.box.setAttribute("aria-controls", p.listbox.id);
      });
    }

    /* ---- Where the trigger and its query are ---------------------------------------------- */

    function triggerAt(box) {
      // The trigger that starts the word the caret is in: at the start of the box or after whitespace.
      if (box.selectionStart !== box.selectionEnd) return -1;
      var caret = box.selectionStart, value = box.value, i = caret;
      while (i > 0 && !/\s/.test(value.charAt(i - 1))) i--;
      return value.charAt(i) === config.trigger && i < caret ? i : -1;
    }

    function currentQuery() {
      var box = picker.box, caret = box.selectionStart;
      if (box.selectionStart !== box.selectionEnd || caret <= picker.start ||
          box.value.charAt(picker.start) !== config.trigger) return null;
      var query = box.value.slice(picker.start + 1, caret);
      return /\n/.test(query) ? null : query;
    }

    /* ---- Opening, filtering, closing -------------------------------------------------------- */

    function expanded(form, value) {
      // The button that opens this picker (if the form has one) says whether the list is open.
      if (!form) return;
      form.querySelectorAll("button[data-picker-open]").forEach(function (button) {
        if (button.dataset.pickerOpen === config.trigger) button.setAttribute("aria-expanded", value ? "true" : "false");
      });
    }

    function open(p, start) {
      picker = { box: p.box, root: p.root, listbox: p.listbox, status: p.status, empty: p.empty, form: p.form,
                 start: start, all: null, shown: [], active: -1, chooseWhenLoaded: false,
                 controls: p.box.getAttribute("aria-controls") };
      p.box.setAttribute("aria-controls", p.listbox.id);
      p.listbox.replaceChildren();
      p.empty.hidden = true;
      p.root.hidden = false;
      expanded(p.form, true);
      say(config.words.loading);
      var state = picker;
      config.load(p.root).then(function (options) {
        if (picker !== state) return;  // closed or reopened meanwhile
        state.all = Array.prototype.slice.call(options);
        refresh();
        if (picker === state && state.chooseWhenLoaded && state.shown.length) choose(state.shown[state.active]);
      }).catch(function () {
        if (picker !== state) return;
        state.all = [];
        state.failed = true;
        state.empty.textContent = config.words.failed;
        state.empty.hidden = false;
        say(state.empty.textContent);
      });
    }

    function refresh() {
      // The caret moved or the text changed: follow the query, or close.
      if (!picker) return;
      var query = currentQuery();
      if (query === null) { close(); return; }
      if (!picker.all) return;  // still loading
      var q = query.trim().toLowerCase();
      var ranked = [];
      picker.all.forEach(function (option, index) {
        var r = q ? config.rank(option, q) : 0;
        if (r >= 0) ranked.push({ r: r, index: index, option: option });
      });
      ranked.sort(function (a, b) { return a.r - b.r || a.index - b.index; });
      if (!ranked.length && /\s/.test(query)) { close(); return; }  // the trigger in a sentence, not a search
      var previous = picker.shown[picker.active];
      picker.shown = ranked.map(function (item) { return item.option; });
      picker.listbox.replaceChildren.apply(picker.listbox, picker.shown);
      var keep = picker.shown.indexOf(previous);
      setActive(keep >= 0 ? keep : (picker.shown.length ? 0 : -1));
      if (!picker.failed) {
        picker.empty.textContent = config.words.none(query, picker.all.length > 0);
        picker.empty.hidden = picker.shown.length > 0;
      }
      var n = picker.shown.length;
      say(n ? n + " " + (n === 1 ? config.words.one : config.words.many) +
          ". Up and down arrows to choose, Enter to insert, Escape to close." : picker.empty.textContent);
    }

    function setActive(index) {
      picker.shown.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      picker.active = index;
      var option = picker.shown[index];
      if (option) {
        picker.box.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        picker.box.removeAttribute("aria-activedescendant");
      }
    }

    function move(step) {
      if (!picker.shown.length) return;
      var n = picker.shown.length;
      setActive(((picker.active < 0 ? (step > 0 ? -1 : 0) : picker.active) + step + n) % n);
    }

    function close() {
      if (!picker) return;
      picker.root.hidden = true;
      expanded(picker.form, false);
      picker.box.removeAttribute("aria-activedescendant");
      if (picker.controls) picker.box.setAttribute("aria-controls", picker.controls);
      picker.listbox.replaceChildren();
      picker = null;
    }

    var sayTimer = null;
    function say(text) {
      // One polite announcement after typing pauses, not one per key.
      var status = byId(config.statusId);
      if (!status) return;
      clearTimeout(sayTimer);
      sayTimer = setTimeout(function () { status.textContent = text; }, 250);
    }

    /* ---- Inserting ------------------------------------------------------------------------ */

    function choose(option) {
      if (!picker || !option) return;
      var box = picker.box, form = picker.form, end = box.selectionStart;
      box.focus();
      box.setRangeText(config.textFor(option), picker.start, Math.max(end, picker.start + 1), "end");
      close();
      inserting = true;
      try {
        box.dispatchEvent(new Event("input", { bubbles: true }));  // the byte counter, a draft, …
      } finally {
        inserting = false;
      }
      say(config.afterInsert ? config.afterInsert(option, form) : "");
    }

    /* ---- Events ------------------------------------------------------------------------- */

    document.addEventListener("input", function (e) {
      if (inserting || !isBox(e.target)) return;
      var p = parts(e.target);
      if (!p) return;
      prepare();
      if (picker && picker.box !== p.box) close();
      if (picker) { refresh(); if (picker) return; }  // closed: this input may start another trigger
      if (config.enabled && !config.enabled(p.form)) return;
      var at = triggerAt(p.box);
      if (at < 0) { dismissed = null; return; }
      if (dismissed && dismissed.box === p.box && dismissed.at === at) return;
      dismissed = null;
      open(p, at);
      refresh();
    });

    // Capture phase: the picker's keys must not also send the reply (static/js/app.js sends on Enter).
    document.addEventListener("keydown", function (e) {
      if (!picker || e.target !== picker.box || e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
      var handled = true;
      if (e.key === "ArrowDown") move(1);
      else if (e.key === "ArrowUp") move(-1);
      else if ((e.key === "Enter" && !e.shiftKey) || (e.key === "Tab" && !e.shiftKey)) {
        if (!picker.all) picker.chooseWhenLoaded = true;  // typed faster than the list arrived
        else if (picker.shown.length) choose(picker.shown[picker.active]);
        else if (e.key === "Enter") {
          // Nothing matches: Enter closes the list and sends nothing. Sending was what the key
          // "always does", and it sent the customer the "/typo" itself. A second Enter sends (the
          // list is closed); typing on reopens it, so the typo can still be corrected into a match.
          close();
          say(config.words.closed);
        } else { close(); handled = false; }  // Tab with nothing to insert moves on as always
      } else if (e.key === "Escape") {
        dismissed = { box: picker.box, at: picker.start };
        close();
        say(config.words.closed);
      } else handled = false;
      if (handled) { e.preventDefault(); e.stopPropagation(); }
    }, true);

    document.addEventListener("keyup", function (e) {
      if (picker && e.target === picker.box && /^(ArrowLeft|ArrowRight|Home|End)$/.test(e.key)) refresh();
    });

    document.addEventListener("mousedown", function (e) {
      // Keep the focus (and the caret, and a phone's keyboard) in the reply box while an option,
      // or the button that opens the list, is clicked or tapped.
      if (!e.target.closest) return;
      var button = e.target.closest("button[data-picker-open]");
      if ((button && button.dataset.pickerOpen === config.trigger) ||
          (picker && e.target.closest("#" + config.rootId))) e.preventDefault();
    });

    var typedByButton = null;  // {box, at, text}: what the button put in, to take back if it closes the list

    function openFromButton(button) {
      // A button marked data-picker-open="<trigger>" in the box's form does what typing the
      // trigger does (a phone's keyboard hides "/"): the trigger goes in at the caret (at the end
      // when the box was not being written in), after a space when a word ends there, and the
      // list opens; pressed again, it closes the list and takes back what it put in, if nothing
      // was typed after it.
      var box = button.form && button.form.querySelector("textarea[data-picker-box]");
      if (!box || box.disabled) return;
      if (picker && picker.box === box) {
        var start = picker.start, mine = typedByButton;
        close();
        if (mine && mine.box === box && mine.at + mine.text.length === box.value.length &&
            box.value.slice(mine.at) === mine.text && start === box.value.length - 1) {
          box.value = box.value.slice(0, mine.at);
          box.dispatchEvent(new Event("input", { bubbles: true }));
        } else {
          dismissed = { box: box, at: start };  // the trigger stays, closed until it changes (as Esc)
        }
        typedByButton = null;
        say(config.words.closed);
        box.focus();
        return;
      }
      if (document.activeElement !== box) {
        box.focus();
        box.setSelectionRange(box.value.length, box.value.length);  // a restored draft: after it
      }
      var at = box.selectionStart, before = box.value.slice(0, at);
      var text = (before && !/\s$/.test(before) ? " " : "") + config.trigger;
      box.setRangeText(text, at, box.selectionEnd, "end");
      typedByButton = { box: box, at: at, text: text };
      dismissed = null;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }

    document.addEventListener("click", function (e) {
      if (!e.target.closest) return;
      var button = e.target.closest("button[data-picker-open]");
      if (button && button.dataset.pickerOpen === config.trigger) { openFromButton(button); return; }
      if (!picker) return;
      var option = e.target.closest("#" + config.listboxId + " [role=option]");
      if (option) { choose(option); return; }
      if (e.target === picker.box) { refresh(); return; }
      if (!e.target.closest("#" + config.rootId)) close();
    });

    document.addEventListener("focusout", function (e) {
      if (!picker || e.target !== picker.box) return;
      var state = picker;
      // A tap on an option may move the focus for a moment on touch screens: let its click land first.
      setTimeout(function () { if (picker === state && document.activeElement !== state.box) close(); }, 200);
    });

    document.addEventListener("htmx:afterSettle", function () {
      if (picker && !picker.box.isConnected) picker = null;  // another conversation opened
      prepare();
    });
    document.addEventListener("DOMContentLoaded", prepare);
    return { say: say };
  }

  window.ComposerPicker = { attach: attach };
})();
