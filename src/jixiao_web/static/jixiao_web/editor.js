// The filing form: rows added, removed and moved; 二级 choices follow 一级; the task total shown
// against 项目支出 as one types; the library's findings fetched (without saving) and shown beside
// the fields they concern; a warning before leaving with unsaved changes.
(function () {
  "use strict";
  const form = document.getElementById("table-form");
  if (!form) return;
  const levels = JSON.parse(document.getElementById("levels").textContent);
  // A form sent back by the server (a conflict, an amount it could not read) holds unsaved work.
  let dirty = document.getElementById("form-error") !== null;
  let submitting = false;
  let timer = null;
  let sequence = 0;

  function fillLevel2(row) {
    const level1 = row.querySelector("select.level1");
    const level2 = row.querySelector("select.level2");
    const current = level2.value || level2.dataset.value || "";
    const choices = levels[level1.value] || [];
    level2.innerHTML = "";
    const options = [""].concat(choices);
    if (current && options.indexOf(current) < 0) options.push(current);
    for (const name of options) {
      const option = document.createElement("option");
      option.textContent = name;
      option.value = name;
      if (name === current) option.selected = true;
      level2.appendChild(option);
    }
  }

  function taskRows() {
    return Array.from(form.querySelectorAll("#tasks-key tr.task-row, #tasks-other tr.task-row"));
  }
  function indicatorRows() {
    return Array.from(form.querySelectorAll("#indicators tr.ind-row"));
  }

  function number() {
    taskRows().forEach((row, i) => { row.querySelector("td.seq").textContent = i + 1; row.dataset.row = i + 1; });
    indicatorRows().forEach((row, i) => { row.querySelector("td.seq").textContent = i + 1; row.dataset.row = i + 1; });
  }

  // Exact decimal sum of amounts written as text (no floating point: money is exact).
  function parseAmount(text) {
    const cleaned = text.replace(/[\s,，]/g, "").replace(/万元$/, "").replace(/[０-９．]/g, (c) =>
      c === "．" ? "." : String.fromCharCode(c.charCodeAt(0) - 0xfee0));
    if (cleaned === "") return { blank: true };
    const match = /^(\d+)(?:\.(\d+))?$/.exec(cleaned);
    if (!match) return { invalid: true };
    return { whole: match[1], fraction: match[2] || "" };
  }
  function addAmounts(amounts) {
    const scale = Math.max(0, ...amounts.map((a) => a.fraction.length));
    let total = 0n;
    for (const a of amounts) total += BigInt(a.whole + a.fraction.padEnd(scale, "0"));
    let digits = total.toString().padStart(scale + 1, "0");
    if (scale === 0) return digits;
    const text = digits.slice(0, -scale) + "." + digits.slice(-scale);
    return text.replace(/\.?0+$/, "");
  }
  function showTotal() {
    const amounts = [];
    let invalid = 0;
    for (const row of taskRows()) {
      const a = parseAmount(row.querySelector("input[name=task_amount]").value);
      if (a.invalid) invalid += 1; else if (!a.blank) amounts.push(a);
    }
    const total = amounts.length ? addAmounts(amounts) : "0";
    const project = parseAmount(document.getElementById("project-expenditure").value);
    const out = document.getElementById("task-total");
    let text = "任务拟投入金额合计 " + total + " 万元";
    out.className = "total";
    if (!project.blank && !project.invalid) {
      const p = addAmounts([project]);
      text += "，项目支出 " + p + " 万元";
      if (p === total) { text += "，一致。"; out.classList.add("match"); }
      else { text += "，相差 " + difference(total, p) + " 万元。"; out.classList.add("mismatch"); }
    }
    if (invalid) text += "（" + invalid + " 个金额无法识别）";
    out.textContent = text;
  }
  function difference(a, b) {
    const pa = parseAmount(a), pb = parseAmount(b);
    const scale = Math.max(pa.fraction.length, pb.fraction.length);
    const x = BigInt(pa.whole + pa.fraction.padEnd(scale, "0"));
    const y = BigInt(pb.whole + pb.fraction.padEnd(scale, "0"));
    let d = x > y ? x - y : y - x;
    let digits = d.toString().padStart(scale + 1, "0");
    const text = scale ? digits.slice(0, -scale) + "." + digits.slice(-scale) : digits;
    return scale ? text.replace(/\.?0+$/, "") : text;
  }

  // The rows the server reads: it skips blank ones (tableform.parse_form), so a finding's row
  // number counts only rows with something typed in them.
  function filled(row, fields) {
    return fields.some((name) => {
      const field = row.querySelector("[data-field='" + name + "']");
      return field && field.value.trim() !== "";
    });
  }
  function readRows(section) {
    if (section === "tasks") return taskRows().filter((row) => filled(row, ["name", "content", "amount"]));
    return indicatorRows().filter((row) => filled(row, ["name", "value", "explanation", "unit"]));
  }

  function fieldFor(issue) {
    const loc = issue.location || {};
    if (!loc.section) return null;
    let scope;
    if (loc.row && (loc.section === "tasks" || loc.section === "indicators")) scope = readRows(loc.section)[loc.row - 1];
    else scope = form.querySelector("[data-section='" + loc.section + "']:not(h2)") || form;
    if (!scope) return null;
    if (loc.field) {
      const field = scope.querySelector("[data-field='" + loc.field + "']");
      if (field) return field;
    }
    return loc.row ? scope.querySelector("td:nth-child(2) [data-field]") : form.querySelector("h2[data-section='" + loc.section + "']");
  }

  function label(severity) { return { error: "错误", warning: "警告", info: "提示" }[severity] || severity; }

  function showIssues(issues) {
    form.querySelectorAll(".field-issue").forEach((n) => n.remove());
    form.querySelectorAll(".has-error, .has-warning").forEach((n) => n.classList.remove("has-error", "has-warning"));
    const list = document.createElement("ul");
    list.className = "findings";
    let errors = 0, warnings = 0;
    for (const issue of issues) {
      if (issue.severity === "error") errors += 1;
      if (issue.severity === "warning") warnings += 1;
      const item = document.createElement("li");
      item.className = issue.severity;
      // As _findings.html renders it: a badge, the message, the code.
      const badge = document.createElement("span");
      badge.className = "badge " + issue.severity;
      badge.textContent = label(issue.severity);
      item.append(badge, " " + issue.message + " ");
      const code = document.createElement("code"); code.textContent = issue.code; item.appendChild(code);
      list.appendChild(item);
      const field = fieldFor(issue);
      if (field && issue.severity !== "info") {
        const note = document.createElement("div");
        note.className = "field-issue " + issue.severity;
        note.setAttribute("role", issue.severity === "error" ? "alert" : "note");
        note.textContent = issue.message;
        note.dataset.code = issue.code;
        field.classList.add(issue.severity === "error" ? "has-error" : "has-warning");
        // After the field's earlier notes, so that they read in the order of the findings.
        let after = field;
        while (after.nextElementSibling && after.nextElementSibling.classList.contains("field-issue")) {
          after = after.nextElementSibling;
        }
        after.insertAdjacentElement("afterend", note);
      }
    }
    const box = document.getElementById("findings");
    box.innerHTML = "";
    if (issues.length) box.appendChild(list); else box.innerHTML = "<p class='ok'>没有发现问题。</p>";
    document.getElementById("error-count").textContent = errors;
    document.getElementById("warning-count").textContent = warnings;
  }

  function check() {
    const mine = ++sequence;
    fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => { if (data && mine === sequence) showIssues(data.issues); })
      .catch(() => {});
  }

  function changed() {
    dirty = true;
    document.getElementById("save-state").textContent = "有未保存的修改";
    showTotal();
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", (event) => {
    if (event.target.matches("select.level1")) fillLevel2(event.target.closest("tr"));
    changed();
  });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    if (button.classList.contains("remove")) { row.remove(); }
    else if (button.classList.contains("move-up") && row.previousElementSibling) { row.parentNode.insertBefore(row, row.previousElementSibling); }
    else if (button.classList.contains("move-down") && row.nextElementSibling) { row.parentNode.insertBefore(row.nextElementSibling, row); }
    else return;
    number(); changed();
  });
  document.querySelectorAll("button.add-row").forEach((button) => button.addEventListener("click", () => {
    const template = document.getElementById(button.dataset.template);
    const row = template.content.firstElementChild.cloneNode(true);
    document.getElementById(button.dataset.target).appendChild(row);
    if (row.classList.contains("ind-row")) fillLevel2(row);
    number(); changed();
    const first = row.querySelector("textarea, input:not([type=hidden]), select");
    if (first) first.focus();
  }));
  form.addEventListener("submit", () => { submitting = true; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });

  // The reviewers' comments on rows, repeated beside the rows as they were when commented on.
  function placeComments() {
    document.querySelectorAll(".comments li[data-row]").forEach((comment) => {
      const row = Number(comment.dataset.row);
      if (!row) return;
      const rows = comment.dataset.section === "tasks" ? taskRows() : comment.dataset.section === "indicators" ? indicatorRows() : [];
      const target = rows[row - 1];
      if (!target) return;
      const note = document.createElement("div");
      note.className = "row-comment";
      note.textContent = "审核意见：" + (comment.querySelector(".comment-text") || comment).textContent;
      const name = target.querySelector("[data-field=name]");
      (name ? name.parentElement : target.querySelector("td:nth-child(2)")).appendChild(note);
    });
  }

  indicatorRows().forEach(fillLevel2);
  number();
  placeComments();
  showTotal();
  check();
})();
