// The self-evaluation form: each row's score, the execution score, the total and the grade, as
// the live check (editor.js, POST …/check/) computes them with the library's scoring while one
// types.  Numbers arrive as text (exact decimals) and are shown as they come.
(function () {
  "use strict";
  const form = document.getElementById("table-form");
  if (!form) return;
  function put(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text;
  }
  form.addEventListener("jixiao:checked", (event) => {
    const scores = event.detail && event.detail.scores;
    if (!scores) return;
    put("total-score", scores.total);
    put("total-grade", scores.grade);
    put("execution-score", scores.execution.score);
    put("execution-rate", scores.execution.rate ? scores.execution.rate + "%" : "—");
    const execution = document.getElementById("execution-score");
    if (execution) execution.title = scores.execution.why;
    for (const row of scores.rows) {
      const cell = form.querySelector("[data-score-row='" + row.row + "']");
      if (cell) { cell.textContent = row.score; cell.title = row.why; }
      const why = form.querySelector("[data-why-row='" + row.row + "']");
      if (why) why.textContent = row.why;
      const points = form.querySelector("tr[data-row='" + row.row + "'] input[name=ind_points]");
      if (points) points.placeholder = row.points;
    }
  });
})();
