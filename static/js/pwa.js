/* Registers the service worker (/service-worker.js, scope "/": app/pwa/routes.py serves it,
   static/js/service-worker.js is its source) once the page has loaded, so installing it never
   competes with the page's own requests. Without service workers (an old browser, plain http on a
   host other than localhost) the app works as before, only without the offline page. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;

  function register() {
    navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch(function (err) {
      console.warn("The service worker could not be registered:", err && err.message);
    });
  }

  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
})();
