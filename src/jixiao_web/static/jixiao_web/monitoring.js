// The monitoring form: each row's warning (colour AND word, with why), the budget's and the
// department's, as the live check (editor.js, POST …/check/) computes them with the library while
// one types; the causes and measures of a row open where the rules ask for them.
(function () {
  "use strict";
  const form = document.getElementById("table-form");
  if (!form) return;
  function paint(node, alert) {
    if (!node) return;
    node.className = "warning-" + (alert.colour || "none");
    node.textContent = alert.word;
    node.title = alert.why;
  }
  function put(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text;
  }
  form.addEventListener("jixiao:checked", (event) => {
    const warnings = event.detail && event.detail.warnings;
    if (!warnings) return;
    paint(document.getElementById("budget-warning"), warnings.budget);
    put("budget-why", warnings.budget.why);
    paint(document.getElementById("department-warning"), warnings.department);
    put("department-why", warnings.department.why);
    for (const row of warnings.rows) {
      paint(form.querySelector("[data-warning-row='" + row.row + "']"), row);
      const why = form.querySelector("[data-why-row='" + row.row + "']");
      if (why) why.textContent = row.why;
    }
    for (const row of event.detail.asked || []) {
      const box = form.querySelector("[data-cause-row='" + row + "']");
      if (box) box.open = true;
    }
  });
})();
