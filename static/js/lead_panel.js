/* The lead panel beside a thread (templates/leads/_panel.html).
   - Below 1100 px it is a drawer: the header's Lead link opens it (without JavaScript the link
     goes to the panel's own page), ×, Escape or the browser's Back closes it and gives the focus
     back (it is an entry in the history, as a page would be: on a phone Back left the conversation).
   - A stage select (the panel's, the leads table's) saves at once for a plain move; lost and, in
     the panel, won first show their questions (why, what value; shown by static/css/lead_panel.css)
     and wait for their button. */
(function () {
  "use strict";

  // A plain move saves itself: the panel's "Save stage" is only for the moves that wait for it
  // (static/css/lead_panel.css shows it then; without this script it is always there).
  document.documentElement.classList.add("stage-autosave");

  var wide = window.matchMedia("(min-width: 1100px)");

  function host() { return document.getElementById("lead-panel-host"); }
  function opener() { return document.querySelector("[data-lead-panel-open]"); }

  function open() {
    var panel = host();
    if (!panel) return false;
    if (!panel.classList.contains("is-open")) {
      // Same URL, htmx's own state kept (so a later Back past it restores as htmx expects).
      history.pushState(Object.assign({}, history.state, { leadPanel: true }), "", location.href);
      panel.dataset.inHistory = "1";
    }
    panel.classList.add("is-open");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    var button = opener();
    if (button) button.setAttribute("aria-expanded", "true");
    var title = panel.querySelector("#lead-panel-title");
    if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
    return true;
  }

  function close() {
    var panel = host();
    if (!panel || !panel.classList.contains("is-open")) return;
    if (panel.dataset.inHistory) {
      history.back();  // takes its history entry out; the popstate below closes it
      return;
    }
    shut(panel);
  }

  // Back while the drawer is open closes the drawer and nothing else: this listener runs before
  // htmx's (a capturing one on window runs first), which would restore the previous page.
  window.addEventListener("popstate", function (e) {
    var panel = host();
    if (!panel || !panel.dataset.inHistory) return;
    delete panel.dataset.inHistory;
    if (!panel.classList.contains("is-open")) return;
    e.stopImmediatePropagation();
    shut(panel);
  }, true);

  function shut(panel) {
    panel.classList.remove("is-open");
    panel.removeAttribute("role");
    panel.removeAttribute("aria-modal");
    var button = opener();
    if (button) { button.setAttribute("aria-expanded", "false"); button.focus(); }
  }

  document.addEventListener("click", function (e) {
    var target = e.target.closest ? e.target : e.target.parentElement;
    if (target.closest("[data-lead-panel-open]")) {
      if (!wide.matches && open()) e.preventDefault();
      return;
    }
    if (target.closest("[data-lead-panel-close]")) {
      e.preventDefault();
      close();
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var panel = host();
    if (panel && panel.classList.contains("is-open") && panel.contains(document.activeElement)) {
      e.preventDefault();
      close();
    }
  });

  document.addEventListener("change", function (e) {
    var select = e.target;
    if (!select.matches || !select.matches("[data-stage-select]")) return;
    var form = select.form;
    var reason = form.querySelector("[name=lost_reason]");
    var value = form.querySelector("[name=value]");
    if (select.value === "lost" && reason && select.getAttribute("data-current") !== "lost") {
      reason.focus();
    } else if (select.value === "won" && value) {
      value.focus();
      value.select();
    } else if (select.value !== select.getAttribute("data-current")) {
      form.requestSubmit();
    }
  });

  // The leads table keeps its form after a save: what was saved is the stage it compares with now.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches("[data-stage-form]") || !e.detail.xhr || e.detail.xhr.status >= 300) return;
    var select = form.querySelector("[data-stage-select]");
    if (select) select.setAttribute("data-current", select.value);
  });
})();
