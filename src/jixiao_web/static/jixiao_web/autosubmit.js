// A choice marked data-autosubmit sends its form as soon as it changes (the queue's year).
// In a file, not an on* attribute: the Content-Security-Policy runs no inline script.
"use strict";
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-autosubmit]") && field.form) {
    field.form.requestSubmit();
  }
});
