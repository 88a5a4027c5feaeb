/* AI drafts in the composer.
 *
 * "Suggest reply" (templates/automation/_suggest_button.html) posts to
 * /conversations/<id>/suggest-reply and shows a status that polls every 1.5 s. When the draft is
 * ready, that response fires the DOM event `ai-draft-ready` (through htmx's HX-Trigger header) on
 * the status element; it bubbles, with `event.detail = {text, conversation_id, draft_id}`. The
 * draft text is also in the fragment as <template data-draft>.
 *
 * This listener puts the text into the reply box (#composer-text) for staff to edit, and fires
 * `input` so byte counters and autosizing see the change. Loaded once however often it is included.
 */
(function () {
  "use strict";
  if (window.__aiDraftListener) return;
  window.__aiDraftListener = true;
  document.addEventListener("ai-draft-ready", function (event) {
    var detail = event.detail || {};
    var box = document.getElementById("composer-text");
    if (!box || typeof detail.text !== "string") return;
    box.value = detail.text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  });
})();
