/* The pipeline board (templates/leads/board.html), on top of htmx:
   - drag and drop: a card (draggable) dropped on another column submits that card's own Move to…
     form for the column, so a drag and the menu are one path to the server. Won and lost need
     more than a drop (the value to confirm, the reason): the drop opens that step of the card's
     menu with the focus in its first field. HTML5 drag events work with a mouse; on a touch
     screen the Move to… menu is the way.
   - after a move, the card comes back (out of band) at the top of its new column: the focus goes
     to its Move to… button, so a keyboard user goes on from the card they moved.
   - opening a menu step (Won…, Lost…) puts the focus in its first field.
   Without this file every move still works through the menus (plain forms). */
(function () {
  "use strict";

  var dragged = null;

  function board() { return document.querySelector("[data-board]"); }

  function columnOf(el) { return el && el.closest ? el.closest("[data-drop-status]") : null; }

  function openStep(card, status) {
    var menu = card.querySelector("details.board-move");
    var step = card.querySelector('details[data-step="' + status + '"]');
    if (!menu || !step) return;
    menu.open = true;
    step.open = true;
    var field = step.querySelector("input:not([type=hidden]), select");
    if (field) field.focus();
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function moveCard(card, status) {
    if (!card || card.getAttribute("data-status") === status) return;
    var form = card.querySelector('form[data-move="' + status + '"]');
    if (form && form.closest("[data-step]")) { openStep(card, status); return; }
    if (form) form.requestSubmit();
  }

  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".board-card");
    if (!card || !board()) return;
    dragged = card;
    card.classList.add("is-dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    document.querySelectorAll(".board-col.is-over").forEach(function (c) { c.classList.remove("is-over"); });
  });

  document.addEventListener("dragover", function (e) {
    var column = columnOf(e.target);
    if (!dragged || !column) return;
    e.preventDefault();  // allows the drop
    e.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-col.is-over").forEach(function (c) { if (c !== column) c.classList.remove("is-over"); });
    if (column.getAttribute("data-drop-status") !== dragged.getAttribute("data-status")) column.classList.add("is-over");
  });

  document.addEventListener("drop", function (e) {
    var column = columnOf(e.target);
    if (!dragged || !column) return;
    e.preventDefault();
    column.classList.remove("is-over");
    var card = dragged;
    dragged = null;
    card.classList.remove("is-dragging");
    moveCard(card, column.getAttribute("data-drop-status"));
  });

  // A menu step opened by a click or Enter on its summary: straight to its first field.
  document.addEventListener("toggle", function (e) {
    var step = e.target;
    if (!step.matches || !step.matches("details[data-step]") || !step.open) return;
    var field = step.querySelector("input:not([type=hidden]), select");
    var active = document.activeElement;
    var inField = active && active !== step.querySelector("summary") && step.contains(active);
    if (field && !inField) field.focus();
  }, true);

  document.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail.target;
    if (!target || target.id !== "board-announce") return;
    var moved = target.querySelector("[data-moved-card]");
    var card = moved && document.getElementById(moved.getAttribute("data-moved-card"));
    if (!card) return;
    var summary = card.querySelector(".board-move > summary");
    if (summary) summary.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  });
})();
