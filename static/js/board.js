/* The pipeline board (templates/leads/board.html), on top of htmx:
   - drag and drop: a card (draggable) dropped on another column submits that card's own Move to…
     form for the column, so a drag and the menu are one path to the server. Won and lost need
     more than a drop (the value to confirm, the reason): the drop opens that step of the card's
     menu with the focus in its first field. HTML5 drag events work with a mouse; on a touch
     screen the Move to… menu is the way.
   - after a move, the card comes back (out of band) at the top of its new column: the focus goes
     to its Move to… button, so a keyboard user goes on from the card they moved.
   - opening a menu step (Won…, Lost…) puts the focus in its first field.
   - live (app/leads/board_live.py): what teammates change lands in #board-live as templates; a
     card is replaced in place, or moved to its spot in its column (newest move first, as the
     server orders a column, and said in the live region), or left out when its spot is below the
     column's "Show more"; one the filters no longer keep goes; never an older version over a
     newer one. A card being dragged or with its menu open waits until that is done; the focus
     goes along with a card that moves (to its neighbour when it leaves the board). An answer made
     for other filters than the board shows now is dropped.
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

  /* ---- Live: what teammates changed ------------------------------------------------------------ */

  var waiting = {};  // card id -> its template (or null: gone), held while the card is in use here
  var waitingHeads = null;  // the newest heads, held while a card waits

  // Dragged, or a menu open: moving it now would pull it from under the pointer or the keys.
  // (The focus alone does not hold a card: it would wait for as long as the page sat there; the
  // focus goes along with the card instead.)
  function inUse(card) {
    return card === dragged || !!card.querySelector("details[open]");
  }

  function focusOn(card) {
    var summary = card && card.querySelector(".board-move > summary");
    if (!summary) return;
    summary.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // Newer move first, then the higher id: the order of app/leads/board.py's columns.
  function comesBefore(a, b) {
    var am = Number(a.dataset.moved) || 0, bm = Number(b.dataset.moved) || 0;
    return am !== bm ? am > bm : (Number(a.dataset.leadId) || 0) > (Number(b.dataset.leadId) || 0);
  }

  function tidy(list) {
    if (!list) return;
    var hasCards = !!list.querySelector(":scope > .board-card");
    var empty = list.querySelector(":scope > [data-board-empty]");
    if (hasCards && empty) empty.remove();
    if (!hasCards && !empty && !list.querySelector(":scope > .board-more")) {
      var li = document.createElement("li");
      li.className = "board-empty muted small";
      li.setAttribute("data-board-empty", "");
      li.textContent = "No leads here";
      list.appendChild(li);
    }
  }

  // Takes a card off the board; the focus, if it was in it, goes to its neighbour in the column.
  function takeAway(old) {
    var list = old.parentNode;
    var hadFocus = old.contains(document.activeElement);
    var neighbour = old.nextElementSibling;
    while (neighbour && !neighbour.classList.contains("board-card")) neighbour = neighbour.nextElementSibling;
    if (!neighbour) neighbour = old.previousElementSibling;
    old.remove();
    tidy(list);
    if (hadFocus) focusOn(neighbour);
    return hadFocus;
  }

  // Returns the sentence for the board's live region when the card moved to another column.
  // `mine`: the answer to this board's own move, placed even though its menu is still open.
  function placeCard(id, template, mine) {
    var old = document.getElementById(id);
    if (old && inUse(old) && !mine) { waiting[id] = template; return null; }
    delete waiting[id];
    if (!template) {
      if (old) takeAway(old);
      return null;
    }
    var card = document.importNode(template.content, true).firstElementChild;
    // What the board has is as new or newer (my own move answered first, or a poll that read the
    // database before it arrives after it): leave it.
    if (old && Number(card.dataset.changed) <= Number(old.dataset.changed)) return null;
    if (old && old.dataset.status === card.dataset.status && old.dataset.moved === card.dataset.moved) {
      var focused = old.contains(document.activeElement);
      old.replaceWith(card);
      htmx.process(card);
      if (focused) focusOn(card);
      return null;
    }
    var moved = !!old;
    var hadFocus = old ? takeAway(old) : false;
    var list = document.getElementById("board-cards-" + card.dataset.status);
    if (!list) return null;
    var next = null;
    var cards = list.querySelectorAll(":scope > .board-card");
    for (var i = 0; i < cards.length; i++) {
      if (comesBefore(card, cards[i])) { next = cards[i]; break; }
    }
    var more = list.querySelector(":scope > .board-more");
    if (!next && more) return null;  // its spot is below what the column shows: "Show more" brings it
    var empty = list.querySelector(":scope > [data-board-empty]");
    if (empty) empty.remove();
    list.insertBefore(card, next);
    htmx.process(card);
    if (hadFocus) focusOn(card);
    if (!moved) return null;
    var name = card.querySelector(".board-card__name");
    var column = document.getElementById("board-head-" + card.dataset.status + "-title");
    return (name ? name.textContent.trim() : "A lead") + " moved to " +
      (column ? column.firstChild.textContent.trim() : card.dataset.status) + ".";
  }

  function placeLive(e) {
    // This board's own move answered: its heads are newer than any the poll left waiting.
    if (e && e.detail && e.detail.target && e.detail.target.id === "board-announce") waitingHeads = null;
    var staging = document.getElementById("board-live");
    var answer = staging && staging.firstElementChild;
    var board = document.querySelector("[data-board]");
    if (answer) {
      staging.replaceChildren();
      // Made for other filters than the board now shows (they changed while it was on its way).
      if (board && answer.getAttribute("data-board-filters") === board.getAttribute("data-board-filters")) {
        if (answer.hasAttribute("data-board-reload")) {
          var form = document.getElementById("board-filters");
          if (form) htmx.trigger(form, "submit");  // a bulk change: the columns again, as a filter does
          return;
        }
        var mine = answer.hasAttribute("data-board-move");
        var said = [];
        answer.querySelectorAll("template[data-board-card], template[data-board-gone]").forEach(function (t) {
          var sentence = t.dataset.boardCard ? placeCard(t.dataset.boardCard, t, mine) : placeCard(t.dataset.boardGone, null);
          if (sentence && !mine) said.push(sentence);
        });
        var heads = answer.querySelectorAll("template[data-board-head]");
        if (heads.length) waitingHeads = heads;
        var announce = document.getElementById("board-announce");
        if (announce && said.length) announce.textContent = said.length > 3 ? said.length + " leads moved." : said.join(" ");
      }
    }
    Object.keys(waiting).forEach(function (id) {
      var card = document.getElementById(id);
      if (!card || !inUse(card)) placeCard(id, waiting[id]);
    });
    // The heads count what the columns will show once every held card is placed: they wait too,
    // or a column would say 10 above 11 cards.
    if (waitingHeads && !Object.keys(waiting).length) {
      waitingHeads.forEach(function (t) {
        var head = document.getElementById(t.dataset.boardHead);
        if (head) head.replaceWith(document.importNode(t.content, true).firstElementChild);
      });
      waitingHeads = null;
    }
  }
  document.addEventListener("htmx:afterSettle", placeLive);
  document.addEventListener("toggle", function (e) { if (!e.target.open) setTimeout(function () { placeLive(); }, 0); }, true);
  document.addEventListener("dragend", function () { setTimeout(function () { placeLive(); }, 0); });

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
