/* @mentions in a private note (app/inbox/mentions.py), a picker of static/js/composer_picker.js.

   In note mode (the DM composer's, or a comments thread's note form), typing "@" at the start of the box or after a space lists the workspace's active
   teammates (the <template id="mention-options"> the composer carries: no request, no inline
   script). Typing on filters by name: names that start with the query first, then a later word
   that does, then names holding it. Choosing one puts "@Display Name " in the text and the
   person's id in a hidden `mentions` field; the server keeps an id only while its "@Display Name"
   is still in the text, so deleting the name un-mentions them. The ids go once the note is added. */
(function () {
  "use strict";

  if (!window.ComposerPicker) return;

  function load(root) {
    var template = document.getElementById(root.dataset.options);
    var options = template ? template.content.cloneNode(true).querySelectorAll("[role=option]") : [];
    return Promise.resolve(options);
  }

  function rank(option, query) {
    var name = (option.dataset.name || "").toLowerCase();
    if (name.indexOf(query) === 0) return 0;
    if (name.split(/\s+/).some(function (word) { return word.indexOf(query) === 0; })) return 1;
    if (name.indexOf(query) !== -1) return 2;
    return -1;
  }

  function idsOf(form) { return form && form.querySelector("[data-mention-ids]"); }

  function afterInsert(option, form) {
    var ids = idsOf(form), id = option.dataset.userId;
    if (ids && !ids.querySelector("input[value='" + id + "']")) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "mentions";
      input.value = id;
      ids.appendChild(input);
    }
    return "Mentioned " + option.dataset.name + ". They are told when the note is added.";
  }

  window.ComposerPicker.attach({
    trigger: "@",
    rootId: "mention-picker",
    listboxId: "mention-listbox",
    statusId: "mention-status",
    enabled: function (form) { return form && form.dataset.mode === "note"; },
    load: load,
    rank: rank,
    textFor: function (option) { return "@" + option.dataset.name + " "; },
    afterInsert: afterInsert,
    words: {
      one: "teammate",
      many: "teammates",
      loading: "Teammates: loading…",
      failed: "Teammates could not be listed. Reload the page and type @ again.",
      none: function (query, any) {
        return any ? "No teammate is called “" + query + "”." : "No teammates to mention yet: invite them in Settings → Team.";
      },
      closed: "Teammates closed.",
    },
  });

  // The note was added: its mentions were sent with it, the next note starts with none. (The DM
  // composer posts from its Add note button, a comments thread's note form from the form itself.)
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    if (!elt || !elt.hasAttribute || !xhr || xhr.status >= 300) return;
    var form = elt.hasAttribute("data-note") ? elt.form : (elt.hasAttribute("data-comment-note") ? elt : null);
    var ids = idsOf(form);
    if (ids) ids.replaceChildren();
  });
})();
