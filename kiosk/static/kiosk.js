// Screen glue: scan/tap feedback (tone + colour + words), the idle warning and lock,
// and the full-screen notice when the server can't be reached. No framework.
(function () {
  "use strict";
  var audio = null;
  // The page gives the scripts' words in the screen's language; English stays as written.
  window.kioskSay = function (english, places) {
    var words = {};
    try { words = JSON.parse(document.body.dataset.words || "{}"); } catch (err) { words = {}; }
    var text = words[english] || english;
    Object.keys(places || {}).forEach(function (k) { text = text.split("{" + k + "}").join(places[k]); });
    return text;
  };
  var say = window.kioskSay;
  function tone(freqs, ms) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var t = audio.currentTime;
      freqs.forEach(function (f, i) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = f; osc.type = "square"; gain.gain.value = 0.08;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(t + i * (ms + 60) / 1000); osc.stop(t + (i * (ms + 60) + ms) / 1000);
      });
    } catch (err) { /* no audio device: colour and words still tell */ }
  }
  function flash(kind) {
    document.body.classList.remove("flash-ok", "flash-warn", "flash-error");
    document.body.classList.add("flash-" + kind);
    setTimeout(function () { document.body.classList.remove("flash-" + kind); }, 600);  // one flash only
  }
  document.addEventListener("kiosk:feedback", function (e) {
    var d = e.detail || {};
    if (d.tone === "ok") { tone([1320], 90); flash("ok"); }
    else if (d.tone === "error") { tone([330, 330], 160); flash("error"); }
    else if (d.tone === "warn") { tone([660], 160); flash("warn"); }  // taken, a problem recorded
  });

  // The idle lock: warn after idle_seconds, lock after the warning runs out.
  var idleTimer = null, countTimer = null;
  function loggedIn() { return document.body.dataset.loggedIn === "yes"; }
  function warning() { var o = document.getElementById("idle"); return o && !o.hidden; }
  function resetIdle() {
    if (!loggedIn()) return;
    // While the warning shows, only a tap on it (a click, not the finger going down) or a
    // key dismisses it: hiding it on pointerdown would send the rest of the tap to
    // whatever lies underneath.
    if (warning()) return;
    clearTimeout(idleTimer); clearInterval(countTimer);
    idleTimer = setTimeout(warn, Number(document.body.dataset.idleSeconds) * 1000);
  }
  function stay() {
    if (!warning()) return;
    document.getElementById("idle").hidden = true;
    clearInterval(countTimer);
    htmx.ajax("POST", "/session/ping", { swap: "none" });
    resetIdle();
  }
  function warn() {
    var overlay = document.getElementById("idle"), left = Number(document.body.dataset.warningSeconds);
    overlay.hidden = false;
    document.getElementById("idle-count").textContent = left;
    countTimer = setInterval(function () {
      left -= 1;
      document.getElementById("idle-count").textContent = left;
      if (left <= 0) { clearInterval(countTimer); lock(); }
    }, 1000);
  }
  function lock() {
    var step = document.getElementById("step");
    var run = step && step.dataset.run && step.dataset.step ? step.dataset.run : "";
    htmx.ajax("POST", "/logout", { swap: "none", values: { reason: "idle", resume: run } })
      .then(function () { window.location.href = document.body.dataset.afterLock || "/"; });
  }
  window.addEventListener("pointerdown", resetIdle, true);
  window.addEventListener("keydown", function () { stay(); resetIdle(); }, true);
  document.addEventListener("DOMContentLoaded", function () {
    resetIdle();
    var overlay = document.getElementById("idle");  // "I'm here", or anywhere on the warning
    if (overlay) overlay.addEventListener("click", stay);
    var close = document.getElementById("trouble-close");
    if (close) close.addEventListener("click", function () { document.getElementById("trouble").hidden = true; });
  });

  function trouble(title, text) {
    document.getElementById("trouble-title").textContent = title;
    document.getElementById("trouble-text").textContent = text;
    document.getElementById("trouble").hidden = false;
  }
  document.addEventListener("htmx:sendError", function () {
    trouble(say("Connection lost"), say("The kiosk server is not answering. Retrying; nothing you scanned is lost."));
  });
  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    trouble(say("Something went wrong"),
      status === 400 ? say("This screen was out of date. Press Home and try again; nothing was saved.")
                     : say("The kiosk hit an error and saved nothing from that action. Try again; if it happens again, get a manager."));
    tone([330, 330], 160);
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful) document.getElementById("trouble").hidden = true;
  });
  // No context menu, no long-press callout on a kiosk.
  document.addEventListener("contextmenu", function (e) { e.preventDefault(); });
})();
