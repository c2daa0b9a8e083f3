// Keyboard-wedge scanner capture. A USB scanner "types" its code and Enter in a few
// milliseconds; a person types far slower. Keys are caught at the window in the capture
// phase, whatever has focus, so a scan never lands in the wrong field and the scanner's
// Enter never presses a focused button.
//
// Scans are sent one at a time, in order. A scan at a run's step is kept in the browser's
// storage (per station, run and person) until the server has answered it, so a reload or a
// restarted browser still sends it; while the server does not answer, it is tried again
// every few seconds and the screen says so. Each scan goes with its own id and the step and
// revision it was first sent to: sent again after an answer that was lost, it is known for
// the one already taken (the server answers with that outcome) and never counted twice.
//
// This file is loaded first and not deferred, so its keys are caught from the moment a page
// is shown: a scan made while the page's other scripts still load is held, then sent once
// the page is ready, after the scans kept from before it.
(function () {
  "use strict";
  var MAX_GAP = 40;   // ms between keys: faster than any person types
  var MIN_LEN = 4;    // shorter bursts are treated as typing
  var RETRY = 2000, PATIENCE = 10000;  // ms: try again after; give up waiting for an answer after
  var burst = [], times = [], typed = "", typedAt = -Infinity, flushTimer = null;
  var queue = [], sending = false, down = false, troubled = false, seq = 0;
  var ready = false, early = [];  // scans made before the page was ready, in order

  function typingField(el) { return el && el.matches && el.matches("input[data-typing], textarea[data-typing]"); }
  function say(english, places) { return window.kioskSay ? window.kioskSay(english, places) : english; }
  function lastScan(text) { var el = document.getElementById("last-scan"); if (el) el.textContent = text; }

  function flushHuman() {
    clearTimeout(flushTimer);
    if (!burst.length) return;
    var chars = burst.join(""), last = times[times.length - 1]; burst = []; times = [];
    var field = document.activeElement;
    if (typingField(field)) {
      field.value += chars;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    } else {
      typed += chars; typedAt = last;
      lastScan(say("Typing: {typed} (press Enter to send)", { typed: typed }));
    }
  }

  function isBurst() {
    if (burst.length < MIN_LEN) return false;
    var span = times[times.length - 1] - times[0];
    return span / (times.length - 1) <= MAX_GAP;
  }

  window.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    // When the key arrived, not when this handler got to run: a busy page must not make a
    // scanner's steady keys look like slow human typing.
    var now = e.timeStamp || performance.now();
    if (e.key === "Enter") {
      if (isBurst()) {
        e.preventDefault(); e.stopPropagation();
        var code = burst.join("");
        // One late key can split a scan; keys set aside as "typing" just before belong to it.
        if (typed && times[0] - typedAt <= MAX_GAP * 4) { code = typed + code; typed = ""; }
        burst = []; times = []; clearTimeout(flushTimer);
        submit(code, "scanner");
        return;
      }
      flushHuman();
      if (typingField(document.activeElement)) return;  // Enter in a text box submits its own form
      e.preventDefault(); e.stopPropagation();           // never let Enter press a focused button
      if (typed) { var t = typed; typed = ""; submit(t, "keyboard"); }
      return;
    }
    if (e.key === "Backspace" && typingField(document.activeElement)) { flushHuman(); return; }
    if (e.key.length !== 1) return;
    e.preventDefault(); e.stopPropagation();
    if (times.length && now - times[times.length - 1] > MAX_GAP) flushHuman();
    burst.push(e.key); times.push(now);
    clearTimeout(flushTimer);
    flushTimer = setTimeout(flushHuman, MAX_GAP * 3);
  }, true);

  // Where scans are kept: the run on screen (at a step, or ended), if any.
  function runStep() { return document.querySelector("#step[data-run][data-step]"); }
  function runShown() { var el = document.querySelector("#step[data-run]"); return el ? el.dataset.run : ""; }
  function storeKey(run) {
    var b = document.body.dataset;
    return "kiosk:scans:" + (b.station || "") + ":" + run + ":" + (b.employee || "");
  }
  function keep() {
    var run = runShown();
    if (!run) return;
    var mine = queue.filter(function (s) { return s.run === run; });
    try {
      if (mine.length) localStorage.setItem(storeKey(run), JSON.stringify(mine));
      else localStorage.removeItem(storeKey(run));
    } catch (err) { /* storage full or off: the scans still wait in this page */ }
  }

  function submit(code, source) {
    if (!ready) { early.push([code, source]); return; }
    // On a sign-off a badge scan fills the badge field; the PIN still has to be typed.
    var step = document.querySelector("#step[data-kind=sign_off]");
    var badge = step && step.querySelector("[data-scan-field=badge]");
    if (badge) {
      badge.value = code.replace(/^EMP-/i, "");
      var pin = step.querySelector('[data-keypad-input="pin"]');
      if (pin && window.kioskKeypad) window.kioskKeypad.activate(pin);
      lastScan(say("Badge {badge} scanned: now the PIN", { badge: badge.value }));
      return;
    }
    var run = runStep();
    var id = Date.now().toString(36) + "-" + (seq++) + "-" + Math.random().toString(36).slice(2, 8);
    queue.push({ code: code, source: source, run: run ? run.dataset.run : "", id: id });
    keep();
    pump();
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; }
    catch (err) { return ""; }
  }

  // What the screen says about scans on their way: the footer always, the overlay while the
  // server does not answer.
  function status() {
    var first = queue[0], more = queue.length - 1;
    var waiting = more > 0 ? say(" · {count} more waiting", { count: more }) : "";
    if (down) {
      var scans = say(queue.length === 1 ? "{count} scan" : "{count} scans", { count: queue.length });
      lastScan(say("Connection lost — retrying · {count} waiting", { count: scans }));
      var trouble = document.getElementById("trouble");
      if (trouble) {
        document.getElementById("trouble-title").textContent = say("Connection lost — retrying");
        document.getElementById("trouble-text").textContent = say((queue.length === 1 ?
          "{count} is waiting" : "{count} are waiting") + " and will be sent in order as soon " +
          "as the kiosk server answers. Nothing you scanned is lost; keep scanning.", { count: scans });
        trouble.hidden = false; troubled = true;
      }
    } else {
      if (troubled) { document.getElementById("trouble").hidden = true; troubled = false; }
      if (first) lastScan(say("{code} (sending…){waiting}", { code: first.code, waiting: waiting }));
    }
  }

  function answered(item, response, html) {
    var redirect = response.headers.get("HX-Redirect");
    if (redirect) { window.location.href = redirect; return; }  // log in again; the scan waits
    queue.shift(); keep(); sending = false;
    if (!response.ok) {
      // The server answered but took nothing (an error, or a screen out of date): say so.
      lastScan(say("{code} was not recorded: scan it again", { code: item.code }));
      document.getElementById("trouble-title").textContent = say("Something went wrong");
      document.getElementById("trouble-text").textContent = say("{code} was not recorded; " +
        "nothing was saved from it. Scan it again; if it happens again, get a manager.", { code: item.code });
      document.getElementById("trouble").hidden = false;
      pump();
      return;
    }
    var target = document.querySelector(item.target);
    if (target) htmx.swap(target, html, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 20 });
    var cues = response.headers.get("HX-Trigger");
    if (cues) {
      try {
        var all = JSON.parse(cues);
        Object.keys(all).forEach(function (name) { htmx.trigger(document.body, name, all[name]); });
      } catch (err) { /* no cue: the swapped step still says what happened */ }
    }
    status();
    // A refusal is on the step in words; the footer must not look as if this code counted.
    lastScan(document.querySelector("#step [role=alert]") ? say("{code} (not recorded)", { code: item.code }) : item.code);
    pump();
  }

  function pump() {
    if (sending || !queue.length) return;
    var item = queue[0];
    if (!item.url) {
      // First try: pin where it goes and the revision of the screen it was scanned at.
      var step = runStep();
      var el = step && item.run === step.dataset.run ? step : document.querySelector("[data-scan-url]");
      if (item.run && item.run !== runShown()) return;  // not on screen: its scans wait for it
      if (!el || (item.run && el !== step)) {
        queue.shift(); keep();
        lastScan(say(item.run ? "{code}: not recorded, this run has ended"
                              : "{code}: nothing on this screen takes a scan", { code: item.code }));
        pump(); return;
      }
      item.url = el.dataset.scanUrl; item.target = el.dataset.scanTarget || "#step";
      item.rev = step && el === step ? step.dataset.rev : "";
      keep();
    }
    sending = true;
    status();
    var body = new URLSearchParams({ value: item.code, source: item.source, scan_id: item.id });
    if (item.rev) body.set("rev", item.rev);
    var stop = new AbortController(), timer = setTimeout(function () { stop.abort(); }, PATIENCE);
    fetch(item.url, { method: "POST", body: body, credentials: "same-origin", signal: stop.signal,
                      headers: { "HX-Request": "true", "X-CSRF-Token": csrf() } })
      .then(function (response) {
        if (response.status >= 502 && response.status <= 504) throw new Error("no answer");
        return response.text().then(function (html) {
          clearTimeout(timer); down = false; answered(item, response, html);
        });
      })
      .catch(function () {
        // No answer: the scan stays first in line and goes again, with the same id and
        // revision, until the server answers.
        clearTimeout(timer); sending = false; down = true; status();
        setTimeout(pump, RETRY);
      });
  }

  function stored(run) {
    try { return JSON.parse(localStorage.getItem(storeKey(run))) || []; }
    catch (err) { return []; }
  }

  // Scans kept from before this page are sent now, in order. If the run has ended meanwhile,
  // one already sent still goes (the server says whether it was taken before the end); one
  // never sent is named as not recorded, not dropped in silence.
  document.addEventListener("DOMContentLoaded", function () {
    ready = true;
    var run = runShown();
    if (run) queue = stored(run);
    if (queue.length) { status(); pump(); }
    early.splice(0).forEach(function (scan) { submit(scan[0], scan[1]); });
  });

  window.kioskScanner = { submit: submit, pending: function () { return queue.length; } };
})();
