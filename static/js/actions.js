/* What inline handlers (onsubmit=, onclick=, onfocus=) used to do: the Content-Security-Policy runs
 * no inline script (docs/deploy.md, "Security headers"), so pages say it with data attributes.
 *
 * - data-confirm="Question?" on a form, or on one of its submit buttons: ask before sending; "Cancel"
 *   stops it. Listening in the capture phase, this runs before the other submit listeners
 *   (upload-progress.js, checkout.js), which leave a cancelled submit alone (defaultPrevented).
 *   data-confirm-with="<field>" on the form: the chosen option of that field replaces its name in
 *   capitals in the question ("ORGANISATION"); with nothing chosen the form is sent unasked and
 *   the server says what is missing.
 * - data-fill="<field id>" data-fill-value="…" on a button: clicking it puts the value in the field.
 * - data-select-on-focus on a text field: focusing it selects its text, ready to copy.
 * Listeners sit on the document, so content swapped in by htmx behaves the same.
 */
(function () {
  "use strict";

  function question(form, submitter) {
    var text = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    var name = form.dataset.confirmWith;
    if (!text || !name) {
      return text;
    }
    var field = form.elements[name];
    if (!field || !field.value) {
      return "";
    }
    var chosen = field.options ? field.options[field.selectedIndex].text : field.value;
    return text.replace(name.toUpperCase(), chosen);
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || event.defaultPrevented) {
        return;
      }
      var text = question(form, event.submitter || null);
      if (text && !window.confirm(text)) {
        event.preventDefault();
      }
    },
    true
  );

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-fill]") : null;
    var field = button && document.getElementById(button.dataset.fill);
    if (field) {
      field.value = button.dataset.fillValue;
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-select-on-focus")) {
      event.target.select();
    }
  });
})();
