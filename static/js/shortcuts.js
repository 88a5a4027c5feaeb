/* Keyboard shortcuts (the sheet that lists them: templates/shortcuts/_sheet.html).
   - j / k, and ↓ / ↑ while the conversation list has the focus: open the next / previous conversation;
   - r reply, n private note (the composer's modes), e resolve, a assign to me, l the Label menu;
   - ? opens the sheet (also "Keyboard shortcuts" in the user menu): a modal dialog that keeps the
     focus, closes on Esc, and gives the focus back to where it was.
   None of them acts while the person types in a field (input, textarea, select, contenteditable)
   or holds Ctrl, Alt or ⌘. Each action presses the control the mouse would (marked data-shortcut
   in the templates), so the same htmx request goes out and every rule of the server applies. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }
  function find(name) { return document.querySelector('[data-shortcut="' + name + '"]'); }

  // Inputs that take no typing: a key on them is not a character for the field.
  var UNTYPED = ["checkbox", "radio", "button", "submit", "reset", "file", "color", "range", "image"];

  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && UNTYPED.indexOf((el.type || "text").toLowerCase()) === -1;
  }

  /* ---- Conversations ----------------------------------------------------------------------- */

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#conversation-list > li > a.convrow"));
  }

  function openConversation(step, focusRow) {
    var list = rows();
    if (!list.length) return false;
    var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest("a.convrow") : null;
    var from = (focusRow && focused) || document.querySelector("#conversation-list a.convrow.is-active") || focused;
    var i = list.indexOf(from);
    var next = i === -1 ? list[step > 0 ? 0 : list.length - 1] : list[i + step];
    if (!next) return true;  // at an end: nothing further (the list loads more when scrolled there)
    // Marked at once, so a second key press before the answer moves on from here (app.js's
    // syncActiveRow sets the same after the swap).
    list.forEach(function (a) { a.classList.toggle("is-active", a === next); });
    next.click();
    if (focusRow) next.focus();
    next.scrollIntoView({ block: "nearest" });
    return true;
  }

  /* ---- In a conversation ------------------------------------------------------------------- */

  function write(mode) {
    var text = byId("composer-text");
    var choice = find(mode);
    var form = byId("composer");
    if (!text || !form) return false;
    // Replies may be closed (the composer then only takes notes): r still opens the box.
    if (choice && !choice.checked && !(mode === "reply" && form.classList.contains("composer--closed"))) choice.click();
    text.focus();
    return true;
  }

  function press(name) {
    var control = find(name);
    if (!control || control.disabled) return false;
    control.click();
    return true;
  }

  function assignToMe() {
    var select = find("assign");
    if (!select || select.disabled) return false;
    if (select.value !== "me") {
      select.value = "me";
      select.dispatchEvent(new Event("change", { bubbles: true }));  // the form's hx-trigger
    }
    return true;
  }

  /* ---- The sheet ----------------------------------------------------------------------------- */

  var returnTo = null;

  function focusables(root) {
    return Array.prototype.slice.call(root.querySelectorAll(
      "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"
    )).filter(function (el) { return el.offsetParent !== null; });
  }

  function openSheet() {
    var sheet = byId("shortcuts-sheet");
    if (!sheet || sheet.open) return false;
    returnTo = document.activeElement;
    var menu = returnTo && returnTo.closest ? returnTo.closest("details[open]") : null;
    if (menu) {  // opened from the user menu: the focus goes back to the menu's button
      menu.open = false;
      returnTo = menu.querySelector("summary");
    }
    sheet.showModal();
    var close = sheet.querySelector("[data-shortcuts-close]");
    if (close) close.focus();
    return true;
  }

  function closeSheet() {
    var sheet = byId("shortcuts-sheet");
    if (sheet && sheet.open) sheet.close();
  }

  function setUpSheet() {
    var sheet = byId("shortcuts-sheet");
    if (!sheet || sheet.dataset.ready) return;
    sheet.dataset.ready = "1";
    sheet.addEventListener("close", function () {
      var target = returnTo;
      returnTo = null;
      if (target && target.isConnected && typeof target.focus === "function") target.focus();
    });
    sheet.addEventListener("click", function (e) {
      if (e.target.closest("[data-shortcuts-close]")) { closeSheet(); return; }
      if (e.target !== sheet) return;
      // A click on the backdrop (outside the dialog's box) closes it.
      var box = sheet.getBoundingClientRect();
      if (e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom) closeSheet();
    });
    sheet.addEventListener("keydown", function (e) {
      if (e.key !== "Tab") return;
      // Tab and Shift+Tab go round within the sheet, never out to the browser's bar.
      var items = focusables(sheet);
      if (!items.length) { e.preventDefault(); return; }
      var first = items[0], last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
  }

  document.addEventListener("click", function (e) {
    var opener = e.target.closest && e.target.closest("[data-shortcuts-open]");
    if (opener) { e.preventDefault(); openSheet(); }
  });

  /* ---- Keys ---------------------------------------------------------------------------------- */

  var KEYS = {
    j: function () { return openConversation(1, false); },
    k: function () { return openConversation(-1, false); },
    r: function () { return write("reply"); },
    n: function () { return write("note"); },
    e: function () { return press("resolve"); },
    a: assignToMe,
    l: function () { return press("labels"); },
    "?": openSheet
  };

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
    var sheet = byId("shortcuts-sheet");
    if (sheet && sheet.open) return;  // the dialog has the keyboard (Esc closes it)
    var target = e.target;
    if (typing(target)) return;
    var inList = target && target.closest && target.closest("#conversation-list");
    if (inList && (e.key === "ArrowDown" || e.key === "ArrowUp") && !e.shiftKey) {
      if (openConversation(e.key === "ArrowDown" ? 1 : -1, true)) e.preventDefault();
      return;
    }
    var action = KEYS.hasOwnProperty(e.key) ? KEYS[e.key] : null;
    // Letters only unshifted (Shift+J is not j); "?" needs Shift on most keyboards.
    if (!action || (e.shiftKey && e.key !== "?")) return;
    // Handled: no character, no scrolling, no browser find (a key typed into the box r opens
    // must not land in it).
    if (action()) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", setUpSheet);
  document.addEventListener("htmx:afterSettle", setUpSheet);
})();
