/* The saved-reply picker in the composer (app/saved_replies).

   Typing "/" at the start of the reply box or after a space opens a list of the person's own and
   the workspace's saved replies, with the variables already filled in for the open conversation
   by the server (GET /conversations/<id>/saved-replies, an HTML fragment of options). Typing on
   filters it (a shortcut that starts with the query first, then one holding it, then a title
   holding it: the ranking of app/saved_replies/library.py:for_picker, change the two together);
   ↑/↓ move, Enter or Tab inserts, Esc closes, a click or tap inserts. Inserting replaces the
   "/query" with the reply's text, puts its attachment (if any) in the composer's file input,
   where the composer shows its name as for a file picked by hand, and counts the use
   (POST /saved-replies/<id>/used, CSRF header).

   Accessibility: the listbox/option pattern, driven from the reply box with aria-controls,
   aria-autocomplete="list" and aria-activedescendant (all allowed on the textarea's own textbox
   role; a textarea may not take role="combobox" or aria-expanded), and a polite status line that
   says when the list opens, how many replies match and what was inserted. */
(function () {
  "use strict";

  var picker = null;       // the open picker's state, or null when closed
  var dismissed = null;    // {box, at}: the "/" that Esc closed stays closed until it changes
  var inserting = false;

  function byId(id) { return document.getElementById(id); }

  function parts() {
    var box = byId("composer-text"), root = byId("saved-reply-picker");
    if (!box || !root) return null;
    return { box: box, root: root, listbox: byId("saved-reply-listbox"), status: byId("saved-reply-status"),
             empty: root.querySelector("[data-picker-empty]"), form: box.form };
  }

  function prepare() {
    var p = parts();
    if (!p || p.box.dataset.savedReplies) return;
    p.box.dataset.savedReplies = "1";
    p.box.setAttribute("aria-autocomplete", "list");
    p.box.setAttribute("aria-controls", p.listbox.id);
  }

  /* ---- Where the "/query" is -------------------------------------------------------------- */

  function slashAt(box) {
    // The "/" that starts the word the caret is in: at the start of the box or after whitespace.
    if (box.selectionStart !== box.selectionEnd) return -1;
    var caret = box.selectionStart, value = box.value, i = caret;
    while (i > 0 && !/\s/.test(value.charAt(i - 1))) i--;
    return value.charAt(i) === "/" && i < caret ? i : -1;
  }

  function currentQuery() {
    // While open, the query may hold spaces (a title's words); it ends at the caret.
    var box = picker.box, caret = box.selectionStart;
    if (box.selectionStart !== box.selectionEnd || caret <= picker.start || box.value.charAt(picker.start) !== "/") return null;
    var query = box.value.slice(picker.start + 1, caret);
    return /\n/.test(query) ? null : query;
  }

  /* ---- Opening, filtering, closing ---------------------------------------------------------- */

  function open(p, start) {
    picker = { box: p.box, root: p.root, listbox: p.listbox, status: p.status, empty: p.empty, form: p.form,
               start: start, all: null, shown: [], active: -1, chooseWhenLoaded: false };
    p.listbox.replaceChildren();
    p.empty.hidden = true;
    p.root.hidden = false;
    say("Saved replies: loading…");
    load(picker);
  }

  function load(state) {
    fetch(state.root.dataset.url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (picker !== state) return;  // closed or reopened meanwhile
        var template = document.createElement("template");
        template.innerHTML = html;
        state.all = Array.prototype.slice.call(template.content.querySelectorAll("[role=option]"));
        refresh();
        if (picker === state && state.chooseWhenLoaded && state.shown.length) choose(state.shown[state.active]);
      })
      .catch(function () {
        if (picker !== state) return;
        state.all = [];
        state.failed = true;
        state.empty.textContent = "Saved replies could not be loaded. Check your connection and type / again.";
        state.empty.hidden = false;
        say(state.empty.textContent);
      });
  }

  function rank(option, query) {
    var shortcut = option.dataset.shortcut, title = option.dataset.title;
    if (shortcut.indexOf(query) === 0) return 0;
    if (shortcut.indexOf(query) > 0) return 1;
    if (title.indexOf(query) !== -1) return 2;
    return -1;
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
      var r = q ? rank(option, q) : 0;
      if (r >= 0) ranked.push({ r: r, index: index, option: option });
    });
    ranked.sort(function (a, b) { return a.r - b.r || a.index - b.index; });
    if (!ranked.length && /\s/.test(query)) { close(); return; }  // a "/" in a sentence, not a search
    var previous = picker.shown[picker.active];
    picker.shown = ranked.map(function (item) { return item.option; });
    picker.listbox.replaceChildren.apply(picker.listbox, picker.shown);
    var keep = picker.shown.indexOf(previous);
    setActive(keep >= 0 ? keep : (picker.shown.length ? 0 : -1));
    if (!picker.failed) {
      picker.empty.textContent = picker.all.length ? "No saved reply matches “" + query + "”." :
        "No saved replies yet: add them in Settings → Saved replies.";
      picker.empty.hidden = picker.shown.length > 0;
    }
    say(picker.shown.length ? picker.shown.length + (picker.shown.length === 1 ? " saved reply" : " saved replies") +
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
    picker.box.removeAttribute("aria-activedescendant");
    picker.listbox.replaceChildren();
    picker = null;
  }

  var sayTimer = null;
  function say(text) {
    // One polite announcement after typing pauses, not one per key.
    var p = parts();
    if (!p || !p.status) return;
    clearTimeout(sayTimer);
    sayTimer = setTimeout(function () { p.status.textContent = text; }, 250);
  }

  /* ---- Inserting -------------------------------------------------------------------------- */

  function csrfToken() {
    var field = document.querySelector("#composer input[name=csrf_token]");
    return field ? field.value : "";
  }

  function choose(option) {
    if (!picker || !option) return;
    var box = picker.box, form = picker.form, end = box.selectionStart;
    var text = option.dataset.text || "";
    box.focus();
    box.setRangeText(text, picker.start, Math.max(end, picker.start + 1), "end");
    close();
    inserting = true;
    box.dispatchEvent(new Event("input", { bubbles: true }));  // the byte counter, a draft, …
    inserting = false;
    var title = option.querySelector(".sr-option__title");
    var said = "Inserted " + (title ? title.textContent : "the saved reply") + ".";
    if (option.dataset.attachmentUrl) said += attach(option, form);
    say(said);
    fetch(option.dataset.usedUrl, { method: "POST", credentials: "same-origin",
                                     headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" } })
      .catch(function () { /* a use not counted is not worth interrupting the reply for */ });
  }

  function attach(option, form) {
    var input = form && form.querySelector("input[type=file]");
    var name = option.dataset.attachmentName;
    if (!input || input.disabled || form.dataset.mode !== "reply") {
      return " Its attachment, " + name + ", was not added: it can only go with a reply.";
    }
    var label = byId("composer-file-name");
    if (label) label.textContent = "Adding " + name + "…";
    fetch(option.dataset.attachmentUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.blob();
      })
      .then(function (blob) {
        if (!input.isConnected) return;  // another conversation was opened meanwhile
        var file = new File([blob], name, { type: option.dataset.attachmentType || blob.type });
        var files = new DataTransfer();
        files.items.add(file);
        input.files = files.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));  // the composer shows the file's name
      })
      .catch(function () {
        if (label) label.textContent = "";
        say("The attachment " + name + " could not be added; attach it by hand.");
      });
    return " Its attachment, " + name + ", is added.";
  }

  /* ---- Events --------------------------------------------------------------------------- */

  document.addEventListener("input", function (e) {
    if (inserting || !e.target || e.target.id !== "composer-text") return;
    var p = parts();
    if (!p) return;
    prepare();
    if (picker && picker.box !== p.box) close();
    if (picker) { refresh(); if (picker) return; }  // closed: this input may start another "/"
    var at = slashAt(p.box);
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
      else { close(); handled = false; }  // nothing to insert: the key does what it always does
    } else if (e.key === "Escape") {
      dismissed = { box: picker.box, at: picker.start };
      close();
      say("Saved replies closed.");
    } else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  }, true);

  document.addEventListener("keyup", function (e) {
    if (picker && e.target === picker.box && /^(ArrowLeft|ArrowRight|Home|End)$/.test(e.key)) refresh();
  });

  document.addEventListener("mousedown", function (e) {
    // Keep the focus (and the caret) in the reply box while an option is clicked or tapped.
    if (picker && e.target.closest && e.target.closest("#saved-reply-picker")) e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    if (!picker || !e.target.closest) return;
    var option = e.target.closest("#saved-reply-listbox [role=option]");
    if (option) { choose(option); return; }
    if (e.target === picker.box) { refresh(); return; }
    if (!e.target.closest("#saved-reply-picker")) close();
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
})();
