/* The saved-reply picker in the composer (app/saved_replies), a picker of
   static/js/composer_picker.js (which has the keys, the listbox pattern and the status line).

   Typing "/" at the start of the reply box or after a space opens a list of the person's own and
   the workspace's saved replies, with the variables already filled in for the open conversation
   by the server (GET /conversations/<id>/saved-replies, an HTML fragment of options). Typing on
   filters it (a shortcut that starts with the query first, then one holding it, then a title
   holding it: the ranking of app/saved_replies/library.py:for_picker, change the two together).
   Inserting replaces the "/query" with the reply's text, puts its attachment (if any) in the
   composer's file input, where the composer shows its name as for a file picked by hand, and
   counts the use (POST /saved-replies/<id>/used, CSRF header). */
(function () {
  "use strict";

  if (!window.ComposerPicker) return;

  function byId(id) { return document.getElementById(id); }

  function load(root) {
    return fetch(root.dataset.url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        return template.content.querySelectorAll("[role=option]");
      });
  }

  function rank(option, query) {
    var shortcut = option.dataset.shortcut, title = option.dataset.title;
    if (shortcut.indexOf(query) === 0) return 0;
    if (shortcut.indexOf(query) > 0) return 1;
    if (title.indexOf(query) !== -1) return 2;
    return -1;
  }

  function csrfToken() {
    var field = document.querySelector("#composer input[name=csrf_token]");
    return field ? field.value : "";
  }

  function afterInsert(option, form) {
    var title = option.querySelector(".sr-option__title");
    var said = "Inserted " + (title ? title.textContent : "the saved reply") + ".";
    if (option.dataset.attachmentUrl) said += attach(option, form);
    fetch(option.dataset.usedUrl, { method: "POST", credentials: "same-origin",
                                     headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" } })
      .catch(function () { /* a use not counted is not worth interrupting the reply for */ });
    return said;
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
        picker.say("The attachment " + name + " could not be added; attach it by hand.");
      });
    return " Its attachment, " + name + ", is added.";
  }

  var picker = window.ComposerPicker.attach({
    trigger: "/",
    rootId: "saved-reply-picker",
    listboxId: "saved-reply-listbox",
    statusId: "saved-reply-status",
    load: load,
    rank: rank,
    textFor: function (option) { return option.dataset.text || ""; },
    afterInsert: afterInsert,
    words: {
      one: "saved reply",
      many: "saved replies",
      loading: "Saved replies: loading…",
      failed: "Saved replies could not be loaded. Check your connection and type / again.",
      none: function (query, any) {
        return any ? "No saved reply matches “" + query + "”." : "No saved replies yet: add them in Settings → Saved replies.";
      },
      closed: "Saved replies closed.",
    },
  });
})();
