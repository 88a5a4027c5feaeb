/* Select mode of the conversation list (templates/inbox/_bulk_bar.html, app/inbox/bulk.py):
   - "Select" in the list's head shows a checkbox on every row and the bulk bar (sticky at the
     bottom of the list; on a phone, of the screen); "Done" or Escape leaves it;
   - "Select all on this page" checks every row shown (half-checked when some are);
   - the selection survives live updates that re-render rows (it is kept here by id, and rows
     that leave the list leave the selection); after an action it is cleared;
   - the bar's buttons are plain submit buttons of one form, whose fields are the checkboxes
     (form="bulk-form"), so keyboard users tab from a row's checkbox to the bar and back.
   Without JavaScript the bar stays hidden: each conversation's own actions remain. */
(function () {
  "use strict";

  var selected = new Set();

  function bar() { return document.getElementById("bulk-form"); }
  function listSection() { return document.querySelector(".inbox__list"); }
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#conversation-list [data-bulk-id]"));
  }
  function selecting() {
    var section = listSection();
    return !!section && section.classList.contains("is-selecting");
  }

  function sync() {
    var form = bar();
    if (!form) return;
    var shown = boxes();
    var present = new Set(shown.map(function (box) { return box.value; }));
    selected.forEach(function (id) { if (!present.has(id)) selected.delete(id); });
    shown.forEach(function (box) {
      box.checked = selected.has(box.value);
      box.closest(".convlist__item").classList.toggle("is-selected", box.checked);
    });
    var all = form.querySelector("[data-bulk-all]");
    if (all) {
      all.checked = shown.length > 0 && selected.size === shown.length;
      all.indeterminate = selected.size > 0 && selected.size < shown.length;
    }
    var count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = selected.size ? selected.size + " selected" : "None selected";
    form.querySelectorAll("[data-bulk-action]").forEach(function (button) { button.disabled = selected.size === 0; });
  }

  function setMode(on) {
    var section = listSection();
    var form = bar();
    if (!section || !form) return;
    section.classList.toggle("is-selecting", on);
    form.hidden = !on;
    document.querySelectorAll("[data-bulk-toggle]").forEach(function (button) {
      if (button.hasAttribute("aria-pressed")) button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    if (!on) selected.clear();
    var status = document.getElementById("bulk-status");
    if (status) status.textContent = "";
    sync();
  }

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest && e.target.closest("[data-bulk-toggle]");
    if (!toggle) return;
    var on = !selecting();
    setMode(on);
    if (on) {
      var first = bar().querySelector("[data-bulk-all]");
      if (first) first.focus();
    } else {
      var opener = document.querySelector(".list__head [data-bulk-toggle]");
      if (opener) opener.focus();
    }
  });

  document.addEventListener("change", function (e) {
    var target = e.target;
    if (target.matches && target.matches("[data-bulk-id]")) {
      if (target.checked) selected.add(target.value); else selected.delete(target.value);
      sync();
    } else if (target.matches && target.matches("[data-bulk-all]")) {
      boxes().forEach(function (box) { if (target.checked) selected.add(box.value); else selected.delete(box.value); });
      sync();
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !selecting()) return;
    var inside = e.target.closest && (e.target.closest("#bulk-form") || e.target.closest("#conversation-list"));
    if (!inside || e.target.closest("details[open]")) return;
    setMode(false);
    var opener = document.querySelector(".list__head [data-bulk-toggle]");
    if (opener) opener.focus();
  });

  // An action done: the rows it changed came back out of band; start a new selection.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = bar();
    if (!form || e.detail.elt !== form || e.detail.xhr.status >= 300) return;  // a refusal keeps the selection
    selected.clear();
    sync();
  });

  document.addEventListener("htmx:afterSettle", sync);
  document.addEventListener("DOMContentLoaded", function () {
    // Select mode needs this file: the button is hidden until it is here.
    document.querySelectorAll(".list__head [data-bulk-toggle]").forEach(function (button) { button.hidden = false; });
    sync();
  });
})();
