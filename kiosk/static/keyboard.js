// The in-page keyboard (_keyboard.html) for the few free-text fields: a reason, a driver's
// name, a code typed by hand. It opens when a [data-typing] field gets focus and types into
// that field; Enter sends the field's own form, as a real keyboard's Enter would. Keys never
// take the focus, so the field stays the one being typed into, and a scanner's burst is still
// caught by scanner.js whatever is open.
(function () {
  "use strict";
  var board = null, field = null, caps = false;

  function typingField(el) {
    return el && el.matches && el.matches("input[data-typing], textarea[data-typing]");
  }

  // Letters show as they will type: capitals when Caps is on, or for the first letter of an
  // empty field (a reason or a name starts with one).
  function label() {
    var upper = caps || (field && !field.value);
    board.querySelectorAll("[data-kb]").forEach(function (key) {
      var k = key.dataset.kb;
      if (k.length === 1 && /[A-Z]/i.test(k)) key.textContent = upper ? k.toUpperCase() : k.toLowerCase();
    });
    board.querySelector('[data-kb="shift"]').setAttribute("aria-pressed", caps ? "true" : "false");
  }

  function show(target) {
    field = target;
    caps = (field.getAttribute("autocapitalize") || "") === "characters";
    board.hidden = false;
    document.body.classList.add("keyboard-open");
    label();
    field.scrollIntoView({ block: "center" });
  }

  function hide() {
    if (!board || board.hidden) return;
    board.hidden = true;
    document.body.classList.remove("keyboard-open");
    if (field && document.activeElement === field) field.blur();
    field = null;
  }

  function put(text) {
    var max = field.maxLength > 0 ? field.maxLength : 500;
    if (field.value.length + text.length > max) return;
    field.value += text;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function press(k) {
    if (k === "hide") { hide(); return; }
    if (k === "enter") {
      var form = field.form;
      hide();
      if (form) form.requestSubmit();
      return;
    }
    if (k === "shift") caps = !caps;
    else if (k === "back") { field.value = field.value.slice(0, -1); field.dispatchEvent(new Event("input", { bubbles: true })); }
    else if (/[A-Z]/i.test(k)) put(caps || !field.value ? k.toUpperCase() : k.toLowerCase());
    else put(k);
    label();
  }

  document.addEventListener("DOMContentLoaded", function () {
    board = document.getElementById("keyboard");
    if (!board) return;
    // A tap on a key must not move the focus out of the field being typed into.
    board.addEventListener("pointerdown", function (e) { e.preventDefault(); });
    board.addEventListener("mousedown", function (e) { e.preventDefault(); });
    board.addEventListener("click", function (e) {
      var key = e.target.closest("[data-kb]");
      if (key && field) press(key.dataset.kb);
    });
    document.addEventListener("focusin", function (e) { if (typingField(e.target)) show(e.target); });
    // A box focused before this script ran (autofocus on a freshly loaded page) gets no
    // focusin when tapped: the tap opens the keyboard.
    document.addEventListener("click", function (e) {
      if (typingField(e.target) && (board.hidden || field !== e.target)) show(e.target);
    });
    // A reason button fills its form's reason field; the person can still change the words.
    document.addEventListener("click", function (e) {
      var reason = e.target.closest("[data-reason]");
      if (!reason) return;
      var input = reason.closest("form").querySelector("[name=reason]");
      if (input) { input.value = reason.dataset.reason; input.focus(); }
    });
    // The step it was typing into was replaced (sent, or another screen's answer came in).
    document.addEventListener("htmx:afterSwap", function () {
      if (field && !document.body.contains(field)) hide();
    });
  });
})();
