// In-page keypad for badge numbers, PINs and counts: no OS keyboard on a kiosk.
// The keypad types into the active [data-keypad-input] of its form.
(function () {
  "use strict";
  function inputsOf(form) { return Array.from(form.querySelectorAll("[data-keypad-input]")); }
  function active(form) {
    return form.querySelector("[data-keypad-input].active") || inputsOf(form).slice(-1)[0];
  }
  function activate(input) {
    inputsOf(input.form).forEach(function (i) { i.classList.remove("active"); });
    input.classList.add("active");
  }
  document.addEventListener("click", function (e) {
    var key = e.target.closest("[data-key]");
    if (key) {
      var input = active(key.closest("form"));
      if (!input) return;
      var k = key.dataset.key;
      if (k === "back") input.value = input.value.slice(0, -1);
      else if (k === "clear") input.value = "";
      else if (k === "." && input.value.indexOf(".") >= 0) return;
      else if (input.value.length < 32) input.value += k;
      return;
    }
    var focus = e.target.closest("[data-keypad-focus]");
    if (focus) {
      var target = focus.closest("form").querySelector('[data-keypad-input="' + focus.dataset.keypadFocus + '"]');
      if (target) activate(target);
      return;
    }
    var field = e.target.closest("[data-keypad-input]");
    if (field) activate(field);
  });
  // A form with several fields starts on its first empty one.
  function init(root) {
    root.querySelectorAll("form").forEach(function (form) {
      var inputs = inputsOf(form);
      if (inputs.length) activate(inputs.find(function (i) { return !i.value; }) || inputs[0]);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(document); });
  window.kioskKeypad = { activate: activate };
})();
