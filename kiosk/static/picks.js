// The pick queue screens. The kiosk's change stream (data-events) says the queue's version
// the moment it changes; when it differs from the one on the screen, the queue asks the
// kiosk for the new one ("pick-changed", see picks/_queue.html). Ages tick here between
// updates and turn amber past the store's target, with words beside the colour.
(function () {
  "use strict";
  var skew = 0;  // the server's clock minus this screen's, read from each new queue
  var source = null;

  function queue() { return document.getElementById("pick-queue"); }

  // The queue gives its age words in the screen's language (data-words); English is kept
  // here for a key it does not give.
  function say(box, english, places) {
    var given = {};
    try { given = JSON.parse(box.dataset.words || "{}"); } catch (err) { given = {}; }
    var text = given[english] || english;
    Object.keys(places || {}).forEach(function (k) { text = text.split("{" + k + "}").join(places[k]); });
    return text;
  }

  function words(box, ms) {
    var m = Math.floor(ms / 60000);
    if (m < 1) return say(box, "under 1 min");
    if (m < 60) return say(box, "{minutes} min", {minutes: m});
    var r = m % 60;
    return say(box, "{hours} h {minutes} min", {hours: Math.floor(m / 60), minutes: (r < 10 ? "0" : "") + r});
  }

  function tick() {
    var box = queue();
    if (!box) return;
    var target = Number(box.dataset.targetMinutes), now = Date.now() + skew;
    box.querySelectorAll("[data-since]").forEach(function (el) {
      var ms = now - Number(el.dataset.since), over = ms >= target * 60000;
      el.textContent = words(box, ms) + (over ? say(box, " · over the {target} min target", {target: target}) : "");
      el.classList.toggle("over", over);
    });
  }

  function fresh() {
    var box = queue();
    if (box && box.dataset.now) skew = Number(box.dataset.now) - Date.now();
  }

  function liveUpdates(on) {
    var note = document.querySelector(".events-off");
    if (note) note.hidden = on;
  }

  function listen() {
    var box = queue();
    if (source || !box || !box.dataset.events || !window.EventSource) return;
    source = new EventSource(box.dataset.events);
    source.onopen = function () { liveUpdates(true); };
    source.onerror = function () { liveUpdates(false); };  // it tries again by itself
    source.onmessage = function (e) {
      var now = queue();
      liveUpdates(true);
      if (now && e.data && e.data !== now.dataset.version) htmx.trigger(now, "pick-changed");
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    fresh();
    listen();
    // An idle lock on this screen comes back to the queue, which anyone may watch.
    document.body.dataset.afterLock = window.location.pathname;
  });
  document.addEventListener("htmx:afterSwap", function () { fresh(); tick(); });
  setInterval(tick, 5000);
})();
