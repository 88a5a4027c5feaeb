/* Desktop alerts and their sound (issue 18, part 4).
 *
 * The bell's poll (templates/notifications/_bell_poll.html, app.notifications.routes.bell) answers
 * with an HX-Trigger event `notifications:new` carrying the new unread notifications that go to
 * the desktop: {items: [{id, title, body, url, tag}]}. While this tab is in the background and
 * the person turned alerts on in this browser, each becomes a system notification (tagged with
 * its conversation, so a busy chat replaces its previous one) and a short beep plays. Clicking
 * one brings the tab forward and opens the conversation (opening it marks it read).
 *
 * The browser's permission is asked only from the "Turn on desktop alerts" button, never on load.
 * Both choices are this browser's: localStorage `igdm.desktopAlerts` ("on"/"off") and
 * `igdm.alertSound` ("on"/"off", on unless turned off). */
(function () {
  "use strict";

  var ALERTS_KEY = "igdm.desktopAlerts";
  var SOUND_KEY = "igdm.alertSound";
  var supported = "Notification" in window;
  var audio = null;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: this page only */ }
  }

  function alertsOn() {
    return supported && Notification.permission === "granted" && stored(ALERTS_KEY) === "on";
  }

  function soundOn() {
    return stored(SOUND_KEY) !== "off";
  }

  // WebAudio needs a user gesture before it may play: the context is made (or resumed) on the
  // first click or key press of the page, so a later alert can beep.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) {
      try { audio = new Context(); } catch (e) { audio = null; return; }
    }
    if (audio.state === "suspended") audio.resume().catch(function () {});
  }

  function beep() {
    if (!audio || audio.state !== "running") return;
    var now = audio.currentTime;
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.setValueAtTime(880, now);
    tone.frequency.setValueAtTime(660, now + 0.12);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
    tone.connect(gain).connect(audio.destination);
    tone.start(now);
    tone.stop(now + 0.32);
  }

  function show(item) {
    var shown = new Notification(item.title, {
      body: item.body || "",
      tag: item.tag,
      renotify: true,
      icon: document.querySelector("link[rel=icon]") ? document.querySelector("link[rel=icon]").href : undefined,
    });
    shown.onclick = function () {
      window.focus();
      shown.close();
      window.location.assign(item.url);
    };
    return shown;
  }

  document.addEventListener("notifications:new", function (event) {
    var items = (event.detail && event.detail.items) || [];
    if (!items.length || !document.hidden || !alertsOn()) return;
    // Oldest first, so the newest of a burst is the one left on top.
    items.slice().reverse().forEach(function (item) {
      try { show(item); } catch (e) { /* a browser that refuses page-made notifications */ }
    });
    if (soundOn()) beep();
  });

  // -- The "Alerts in this browser" box (templates/notifications/_desktop_alerts.html) ----------

  function describe(box) {
    var status = box.querySelector("[data-desktop-status]");
    var button = box.querySelector("[data-desktop-enable]");
    var permission = Notification.permission;
    button.disabled = permission === "denied";
    if (permission === "denied") {
      status.textContent = "Desktop alerts are blocked for this site in the browser's settings; allow notifications there to use them.";
      button.textContent = "Turn on desktop alerts";
    } else if (alertsOn()) {
      status.textContent = "Desktop alerts are on in this browser: new notifications show while this tab is in the background.";
      button.textContent = "Turn off desktop alerts";
    } else {
      status.textContent = "Desktop alerts are off in this browser.";
      button.textContent = "Turn on desktop alerts";
    }
  }

  function setUpBox(box) {
    if (!supported || box.dataset.ready) return;
    box.dataset.ready = "1";
    box.hidden = false;
    var button = box.querySelector("[data-desktop-enable]");
    var sound = box.querySelector("[data-alert-sound]");
    sound.checked = soundOn();
    sound.addEventListener("change", function () {
      store(SOUND_KEY, sound.checked ? "on" : "off");
      if (sound.checked) { unlockAudio(); beep(); }  // a sample of what it sounds like
    });
    button.addEventListener("click", function () {
      unlockAudio();
      if (alertsOn()) {
        store(ALERTS_KEY, "off");
        describe(box);
        return;
      }
      // Asked here, on the person's click, and only here.
      Promise.resolve(Notification.requestPermission()).then(function (permission) {
        if (permission === "granted") store(ALERTS_KEY, "on");
        describe(box);
      });
    });
    describe(box);
  }

  function setUp() {
    document.querySelectorAll("[data-desktop-alerts]").forEach(setUpBox);
  }

  document.addEventListener("pointerdown", unlockAudio, { once: true, capture: true });
  document.addEventListener("keydown", unlockAudio, { once: true, capture: true });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
