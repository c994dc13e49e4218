/* The check-in form: each received count shows its difference with what was declared ("+2", "−3",
 * "0") in the <output> named by the field's data-diff, as it is typed. Without script the server
 * shows the same difference when the form comes back. */
(function () {
  "use strict";

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.dataset.diff) {
      return;
    }
    var output = document.getElementById(field.dataset.diff);
    var received = parseInt(field.value, 10);
    if (!output) {
      return;
    }
    if (isNaN(received)) {
      output.textContent = "—";
      return;
    }
    var difference = received - parseInt(field.dataset.declared, 10);
    output.textContent = difference > 0 ? "+" + difference : String(difference);
  });
})();
