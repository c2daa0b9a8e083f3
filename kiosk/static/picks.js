// The pick queue screens. The server sends a new queue only when it changes, so ages tick
// here between updates and turn amber past the store's target, with the words "over the
// target" beside them (colour is never the only sign).
(function () {
  "use strict";
  var skew = 0;  // the server's clock minus this screen's, read from each new queue

  function words(ms) {
    var m = Math.floor(ms / 60000);
    if (m < 1) return "under 1 min";
    if (m < 60) return m + " min";
    var r = m % 60;
    return Math.floor(m / 60) + " h " + (r < 10 ? "0" : "") + r + " min";
  }

  function tick() {
    var box = document.getElementById("pick-queue");
    if (!box) return;
    var target = Number(box.dataset.targetMinutes), now = Date.now() + skew;
    box.querySelectorAll("[data-since]").forEach(function (el) {
      var ms = now - Number(el.dataset.since), over = ms >= target * 60000;
      el.textContent = words(ms) + (over ? " · over the " + target + " min target" : "");
      el.classList.toggle("over", over);
    });
  }

  function fresh() {
    var box = document.getElementById("pick-queue");
    if (box && box.dataset.now) skew = Number(box.dataset.now) - Date.now();
  }

  document.addEventListener("DOMContentLoaded", function () {
    fresh();
    // An idle lock on this screen comes back to the queue, which anyone may watch.
    document.body.dataset.afterLock = window.location.pathname;
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "pick-queue") { fresh(); tick(); }
  });
  setInterval(tick, 5000);
})();
