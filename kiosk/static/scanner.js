// Keyboard-wedge scanner capture. A USB scanner "types" its code and Enter in a few
// milliseconds; a person types far slower. Keys are caught at the window in the capture
// phase, whatever has focus, so a scan never lands in the wrong field and the scanner's
// Enter never presses a focused button. Scans are sent one at a time, each with the
// current screen's revision, and a scan whose request fails is retried, never dropped.
(function () {
  "use strict";
  var MAX_GAP = 40;   // ms between keys: faster than any person types
  var MIN_LEN = 4;    // shorter bursts are treated as typing
  var burst = [], times = [], typed = "", typedAt = -Infinity, flushTimer = null;
  var queue = [], inFlight = null;

  function typingField(el) { return el && el.matches && el.matches("input[data-typing], textarea[data-typing]"); }
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
      lastScan("Typing: " + typed + " (press Enter to send)");
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

  function submit(code, source) {
    // On a sign-off a badge scan fills the badge field; the PIN still has to be typed.
    var step = document.querySelector("#step[data-kind=sign_off]");
    var badge = step && step.querySelector("[data-scan-field=badge]");
    if (badge) {
      badge.value = code.replace(/^EMP-/i, "");
      var pin = step.querySelector('[data-keypad-input="pin"]');
      if (pin && window.kioskKeypad) window.kioskKeypad.activate(pin);
      lastScan("Badge " + badge.value + " scanned: now the PIN");
      return;
    }
    queue.push({ code: code, source: source });
    lastScan(code + " (sending…)");
    pump();
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; }
    catch (err) { return ""; }
  }

  function pump() {
    if (inFlight || !queue.length) return;
    var el = document.querySelector("[data-scan-url]");
    if (!el) { lastScan(queue.shift().code + ": nothing on this screen takes a scan"); pump(); return; }
    inFlight = queue.shift();
    var values = { value: inFlight.code, source: inFlight.source };
    var step = document.getElementById("step");
    if (step && step.dataset.rev) values.rev = step.dataset.rev;
    var failed = false;
    var onError = function () { failed = true; };
    document.body.addEventListener("htmx:sendError", onError, { once: true });
    htmx.ajax("POST", el.dataset.scanUrl, {
      target: el.dataset.scanTarget || "#step", swap: "outerHTML",
      values: values, headers: { "X-CSRF-Token": csrf() }
    }).then(function () {
      document.body.removeEventListener("htmx:sendError", onError);
      var item = inFlight; inFlight = null;
      if (failed) {
        // The request never got an answer: keep the scan and try again. If the server had
        // taken it, the retry carries the old revision and is refused, not counted twice.
        queue.unshift(item);
        lastScan(item.code + " (waiting for the server…)");
        setTimeout(pump, 2000);
      } else {
        // A refusal is on the step in words; the footer must not look as if this code counted.
        lastScan(item.code + (document.querySelector("#step [role=alert]") ? " (not recorded)" : ""));
        pump();
      }
    });
  }

  window.kioskScanner = { submit: submit, pending: function () { return queue.length + (inFlight ? 1 : 0); } };
})();
