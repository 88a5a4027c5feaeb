/* The thread header's "Label" menu (templates/labels/_label_menu.html), on top of htmx:
   - opening the menu puts the cursor in its box; typing filters the workspace's labels (names are
     compared as the server stores them: lower case, spaces as "-"), and for admins offers
     "Create …" when no label has the typed name;
   - ↓/↑ move through the box and the visible choices, Enter in the box picks the label of that
     name, else "Create …", else the first match; Escape closes the menu (static/js/app.js);
   - after an add or remove (the header's chips and the menu are re-rendered) the focus goes back
     to the "Label" button, so a keyboard user can go on from where they were.
   The choices are plain submit buttons of one form, so without this file the menu still works. */
(function () {
  "use strict";

  function normalize(text) {
    return (text || "").normalize("NFKC").trim().toLowerCase().replace(/\s+/g, "-");
  }

  function parts(form) {
    return {
      box: form.querySelector("[data-label-filter]"),
      options: Array.prototype.slice.call(form.querySelectorAll("[data-label-option]")),
      create: form.querySelector("[data-label-create]"),
      none: form.querySelector("[data-label-none]")
    };
  }

  function visible(form) {
    var p = parts(form);
    var items = p.options.filter(function (o) { return !o.hidden; });
    if (p.create && !p.create.hidden) items.push(p.create);
    return items;
  }

  function filter(form) {
    var p = parts(form);
    var typed = normalize(p.box.value);
    var exact = false, shown = 0;
    p.options.forEach(function (option) {
      var name = option.getAttribute("data-label-option");
      option.hidden = typed !== "" && name.indexOf(typed) === -1;
      if (!option.hidden) shown += 1;
      if (name === typed) exact = true;
    });
    if (p.create) {
      p.create.hidden = typed === "" || exact;
      var slot = p.create.querySelector("[data-label-typed]");
      if (slot) slot.textContent = typed;
    }
    if (p.none && p.options.length) p.none.hidden = shown > 0 || (p.create && !p.create.hidden);
  }

  function pick(form) {
    var p = parts(form);
    var typed = normalize(p.box.value);
    var exact = p.options.filter(function (o) { return o.getAttribute("data-label-option") === typed; })[0];
    var choice = exact || (p.create && !p.create.hidden ? p.create : visible(form)[0]);
    if (choice) choice.click();
  }

  function move(form, from, step) {
    var items = visible(form);
    var at = items.indexOf(from);
    var next = at + step;
    if (next < 0) { parts(form).box.focus(); return; }
    if (next >= items.length) next = items.length - 1;
    if (items[next]) items[next].focus();
  }

  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (!menu.classList || !menu.classList.contains("labelmenu") || !menu.open) return;
    var form = menu.querySelector("[data-label-form]");
    if (!form) return;
    parts(form).box.value = "";
    filter(form);
    // On a touch screen the search box's focus would raise the on-screen keyboard over the labels
    // the menu was opened to pick from; there the search is a tap away.
    if (!window.matchMedia("(pointer: coarse)").matches) parts(form).box.focus();
  }, true);

  document.addEventListener("input", function (e) {
    if (!e.target.hasAttribute("data-label-filter")) return;
    filter(e.target.form);
  });

  document.addEventListener("keydown", function (e) {
    var el = e.target;
    var form = el.closest && el.closest("[data-label-form]");
    if (!form || e.altKey || e.ctrlKey || e.metaKey) return;
    if (el.hasAttribute("data-label-filter")) {
      if (e.key === "Enter") { e.preventDefault(); pick(form); }
      else if (e.key === "ArrowDown") { e.preventDefault(); move(form, null, 1); }
      return;
    }
    if (el.hasAttribute("data-label-option") || el.hasAttribute("data-label-create")) {
      if (e.key === "ArrowDown") { e.preventDefault(); move(form, el, 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(form, el, -1); }
      else if (e.key === "Home") { e.preventDefault(); parts(form).box.focus(); }
      else if (e.key === "End") { e.preventDefault(); var items = visible(form); if (items.length) items[items.length - 1].focus(); }
    }
  });

  // The chips and the menu are replaced by the answer: keep the keyboard user's place.
  var refocus = false;
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "thread-labels") {
      var active = document.activeElement;
      refocus = !!(active && active.closest && active.closest("#thread-labels, #label-menu"));
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    refocus = false;
    var button = document.querySelector("#label-menu > summary");
    if (button) button.focus();
  });

  // The list's label filter comes back with the answer (a label may be new: labels/_label_filter.html),
  // drawn from the filters the thread was opened with. What the person has chosen since stays chosen.
  var chosen = null;
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "label-filter-slot") return;
    var select = document.getElementById("filter-label");
    chosen = select ? select.value : null;
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (chosen === null || !e.detail.target || e.detail.target.id !== "label-filter-slot") return;
    var select = document.getElementById("filter-label"), value = chosen;
    chosen = null;
    if (select && Array.prototype.some.call(select.options, function (o) { return o.value === value; })) select.value = value;
  });
})();
