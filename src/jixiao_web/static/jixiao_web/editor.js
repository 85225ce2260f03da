// The filing form: rows added, removed and moved; 二级 choices follow 一级; the task total shown
// against 项目支出 as one types; the library's findings fetched (without saving) and shown beside
// the fields they concern; a warning before leaving with unsaved changes.
// Nothing typed is lost: the live check notices a signed-out session (JSON 401) or a stale CSRF
// token (JSON 403) and says so beside the toolbar, a save is then held back in the page; the table
// is kept in localStorage as one types and offered back when the page is opened again; a deleted
// row can be undone until the next save.
// Optional fields (部门职能概述, 期望达到的目标, 指标权重 …) are switched on and off by their "show"
// checkboxes: off, their fields are hidden and disabled, so the table keeps them absent.
// The self-evaluation's form uses this script too: its rows are fixed (no row is added, removed
// or moved), it has no 指标 levels and no task total; each check's answer is also announced as a
// "jixiao:checked" event on the form (selfeval.js shows the scores from it).
(function () {
  "use strict";
  const form = document.getElementById("table-form");
  if (!form) return;
  const levelsData = document.getElementById("levels");
  const levels = levelsData ? JSON.parse(levelsData.textContent) : {};
  // A form sent back by the server (a conflict, an amount it could not read) holds unsaved work.
  let dirty = document.getElementById("form-error") !== null;
  let submitting = false;
  let timer = null;
  let sequence = 0;

  function fillLevel2(row) {
    const level1 = row.querySelector("select.level1");
    const level2 = row.querySelector("select.level2");
    if (!level1 || !level2) return;
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
    if (!document.getElementById("task-total")) return;
    const amounts = [];
    let invalid = 0;
    for (const row of taskRows()) {
      const a = parseAmount(row.querySelector("input[name=task_amount]").value);
      if (a.invalid) invalid += 1; else if (!a.blank) amounts.push(a);
    }
    const total = amounts.length ? addAmounts(amounts) : "0";
    const project = parseAmount(document.getElementById("project-expenditure").value);
    const out = document.getElementById("task-total");
    // Numbers in their own spans, which never break across lines (a phone's narrow screen).
    const parts = ["任务拟投入金额合计 ", [total], " 万元"];
    out.className = "total";
    if (!project.blank && !project.invalid) {
      const p = addAmounts([project]);
      parts.push("，项目支出 ", [p], " 万元");
      if (p === total) { parts.push("，一致。"); out.classList.add("match"); }
      else { parts.push("，相差 ", [difference(total, p)], " 万元。"); out.classList.add("mismatch"); }
    }
    if (invalid) parts.push("（", [String(invalid)], " 个金额无法识别）");
    out.replaceChildren(...parts.map((part) => {
      if (typeof part === "string") return part;
      const number = document.createElement("span");
      number.className = "num";
      number.textContent = part[0];
      return number;
    }));
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
  // The fields that make a row a row are the server's (data-filled); a switched-off column's
  // fields are disabled and not posted.
  function filled(row, fields) {
    return fields.some((name) => {
      const field = row.querySelector("[data-field='" + name + "']");
      return field && !field.disabled && field.value.trim() !== "";
    });
  }
  function readRows(section) {
    const rows = section === "tasks" ? taskRows() : indicatorRows();
    const filledBy = form.querySelector("table[data-section='" + section + "']").dataset.filled;
    if (!filledBy) return rows;  // fixed rows (the self-evaluation's): every row counts
    const fields = filledBy.split(" ");
    return rows.filter((row) => filled(row, fields));
  }

  // --- Optional fields (部门职能概述, 期望达到的目标, 指标权重 …): shown when switched on ----------
  // Switched off, a field is hidden and disabled, so it is not posted and stays absent.
  function switches() { return Array.from(form.querySelectorAll("input[data-switch]")); }
  function applyColumns(scope) {
    for (const box of switches()) {
      scope.querySelectorAll("[data-optional='" + box.value + "']").forEach((part) => {
        part.hidden = !box.checked;
        part.querySelectorAll("input, textarea, select").forEach((field) => { field.disabled = !box.checked; });
      });
    }
  }

  function fieldFor(issue) {
    const loc = issue.location || {};
    if (!loc.section) return null;
    let scope;
    if (loc.row && (loc.section === "tasks" || loc.section === "indicators")) scope = readRows(loc.section)[loc.row - 1];
    else if (loc.row) scope = form.querySelector("[data-section='" + loc.section + "'] tr[data-row='" + loc.row + "']");
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
      item.dataset.code = issue.code; item.title = "代码：" + issue.code;  // the code only as a tooltip
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

  // --- The live check, and what it tells about the session -------------------------------------
  const tokenField = form.querySelector("input[name=csrfmiddlewaretoken]");
  function cookieToken() {
    const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }
  // Signing in again (in another window) changes the CSRF token: use the current one.
  function syncToken(token) {
    const current = token || cookieToken();
    if (current) tokenField.value = current;
  }

  // Resolves to "ok", "expired" (signed out), "csrf" (stale token even after refreshing it),
  // "offline" (no answer) or "error" (the server failed: saving is not held back for that).
  function check(retried) {
    const mine = ++sequence;
    syncToken();
    return fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": tokenField.value } })
      .then((r) => {
        const json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (r.status === 401 || (r.redirected && r.url.indexOf(form.dataset.loginUrl) >= 0)) return "expired";
        if (!json) return "error";
        return r.json().then((data) => {
          if (r.status === 403 && data.error === "csrf") {
            syncToken(data.csrf_token);
            return retried ? "csrf" : check(true);
          }
          if (!r.ok) return "error";
          syncToken(data.csrf_token);
          if (mine === sequence) {
            showIssues(data.issues);
            form.dispatchEvent(new CustomEvent("jixiao:checked", { detail: data }));
          }
          return "ok";
        });
      })
      .catch(() => "offline")
      .then((state) => { session(state); return state; });
  }

  const alertBox = document.getElementById("session-alert");
  let expired = false;
  let held = false;
  let poll = null;
  // Shows the alert's parts for ``kind`` (their words are in edit.html), and whether a save waits.
  function say(kind) {
    const shown = [kind, held ? (kind === "back" ? "back-held" : "held") : ""];
    alertBox.querySelectorAll("[data-say]").forEach((part) => {
      part.hidden = !part.dataset.say.split(" ").some((word) => shown.indexOf(word) >= 0);
    });
    alertBox.className = "session-alert " + kind;
    alertBox.hidden = false;
  }
  function session(state) {
    if (state === "expired" || state === "csrf" || state === "offline") {
      expired = true;
      say(state);
      // Notice the sign-in in the other window: ask again now and then, and when back here.
      if (!poll) poll = setInterval(() => check(), 5000);
    } else if (expired) {
      expired = false;
      clearInterval(poll); poll = null;
      say("back");
      held = false;
    }
  }
  window.addEventListener("focus", () => { if (expired) check(); });

  function changed() {
    dirty = true;
    document.getElementById("save-state").textContent = "有未保存的修改";
    showTotal();
    keep();
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", (event) => {
    if (event.target.matches("select.level1")) fillLevel2(event.target.closest("tr"));
    if (event.target.matches("input[data-switch]")) applyColumns(form);
    changed();
  });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    if (button.classList.contains("remove")) { removeRow(row); return; }
    else if (button.classList.contains("move-up") && sibling(row, "previousElementSibling")) { row.parentNode.insertBefore(row, sibling(row, "previousElementSibling")); }
    else if (button.classList.contains("move-down") && sibling(row, "nextElementSibling")) { row.parentNode.insertBefore(sibling(row, "nextElementSibling"), row); }
    else return;
    number(); changed();
  });
  function addButtonFor(body) { return document.querySelector("button.add-row[data-target='" + body.id + "']"); }
  // A body without an add button has fixed rows: they are filled in place, never replaced.
  function fixedRows(body) { return !addButtonFor(body); }
  function newRow(body) {
    const template = document.getElementById(addButtonFor(body).dataset.template);
    return template.content.firstElementChild.cloneNode(true);
  }
  function firstField(row) { return row.querySelector("textarea, input:not([type=hidden]), select"); }
  document.querySelectorAll("button.add-row").forEach((button) => button.addEventListener("click", () => {
    const body = document.getElementById(button.dataset.target);
    const row = newRow(body);
    body.appendChild(row);
    applyColumns(row);
    if (row.classList.contains("ind-row")) fillLevel2(row);
    number(); changed();
    const first = firstField(row);
    if (first) first.focus();
  }));

  // --- Deleting a row, undoable until the next save -------------------------------------------
  const SECTION_NAMES = { "tasks-key": "重点工作任务", "tasks-other": "其他需完成任务", "indicators": "绩效指标" };
  const removed = [];
  const undoBar = document.getElementById("undo-bar");
  // Rows only (a deleted row leaves a hidden placeholder behind, where its undo puts it back).
  function sibling(row, direction) {
    let other = row[direction];
    while (other && other.classList.contains("removed-row")) other = other[direction];
    return other;
  }
  function removeRow(row) {
    const body = row.parentNode;
    const next = sibling(row, "nextElementSibling"), previous = sibling(row, "previousElementSibling");
    const name = row.querySelector("[data-field=name]");
    const placeholder = document.createElement("tr");
    placeholder.className = "removed-row";
    placeholder.hidden = true;
    const entry = {
      row, body, placeholder,
      label: "已删除" + SECTION_NAMES[body.id] + "第" + row.querySelector("td.seq").textContent + "行" +
        (name && name.value.trim() ? "（" + name.value.trim().slice(0, 20) + "）" : ""),
    };
    row.replaceWith(placeholder);
    removed.push(entry);
    showRemoved();
    number(); changed();
    // Focus stays where the row was: the next row, else the one before, else the add button.
    const target = next ? firstField(next) : previous ? firstField(previous) : addButtonFor(body);
    if (target) target.focus();
  }
  function undo(entry) {
    removed.splice(removed.indexOf(entry), 1);
    if (entry.placeholder.parentNode) entry.placeholder.replaceWith(entry.row);
    else entry.body.appendChild(entry.row);
    const row = entry.row;
    showRemoved();
    number(); changed();
    const first = firstField(row);
    if (first) first.focus();
  }
  function showRemoved() {
    const list = undoBar.querySelector("ul");
    list.innerHTML = "";
    for (const entry of removed.slice().reverse()) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "undo";
      button.textContent = "撤销";
      button.addEventListener("click", () => undo(entry));
      item.append(entry.label + " ", button);
      list.appendChild(item);
    }
    undoBar.hidden = removed.length === 0;
  }

  // A save goes out only when the session is known to be alive: otherwise it would land on the
  // sign-in page and the table typed here would be gone.
  let verified = false;
  form.addEventListener("submit", (event) => {
    if (verified) {
      submitting = true;
      sessionStorage.setItem("jixiao-posting", storageKey);
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    form.setAttribute("aria-busy", "true");
    clearTimeout(timer);
    check().then((state) => {
      form.removeAttribute("aria-busy");
      if (state === "ok" || state === "error") {
        verified = true;
        form.requestSubmit(submitter);
        verified = false;
      } else {
        held = true;
        say(state);
        alertBox.scrollIntoView({ block: "nearest" });
      }
    });
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });

  // --- The table kept in the browser until it is saved ------------------------------------------
  const filing = form.dataset.filing;
  const revision = Number(form.dataset.revision);
  const prefix = "jixiao-draft:" + filing + ":";
  // Keyed by filing and revision, and by this page, so that two windows never overwrite each other.
  let storageKey = prefix + revision + ":" + Date.now();
  const BODIES = ["tasks-key", "tasks-other", "indicators"].filter((id) => document.getElementById(id));

  function snapshot() {
    const fields = {};
    form.querySelectorAll("input[name], textarea[name], select[name]").forEach((field) => {
      if (field.closest("tr") && field.closest("tr.task-row, tr.ind-row")) return;
      if (field.name === "csrfmiddlewaretoken" || field.name === "revision" || field.type === "checkbox") return;
      fields[field.name] = field.value;
    });
    const rows = {};
    for (const id of BODIES) {
      rows[id] = Array.from(document.getElementById(id).querySelectorAll("tr.task-row, tr.ind-row")).map((row) => {
        const values = {};
        row.querySelectorAll("[name]").forEach((field) => { values[field.name] = field.value; });
        return values;
      });
    }
    const shown = switches().filter((box) => box.checked).map((box) => box.value);
    return { fields, rows, shown };
  }
  function setValue(field, value) {
    if (field.tagName === "SELECT" && !Array.from(field.options).some((o) => o.value === value)) {
      const option = document.createElement("option");
      option.textContent = option.value = value;
      field.appendChild(option);
    }
    field.value = value;
  }
  function restore(saved) {
    if (saved.shown) {
      for (const box of switches()) box.checked = saved.shown.indexOf(box.value) >= 0;
      applyColumns(form);
    }
    for (const [name, value] of Object.entries(saved.fields)) {
      const field = form.querySelector("[name='" + name + "']");
      if (field) setValue(field, value);
    }
    for (const id of BODIES) {
      const body = document.getElementById(id);
      if (fixedRows(body)) {
        const rows = Array.from(body.querySelectorAll("tr.task-row, tr.ind-row"));
        (saved.rows[id] || []).forEach((values, i) => {
          if (!rows[i]) return;
          rows[i].querySelectorAll("[name]").forEach((field) => { if (field.name in values) setValue(field, values[field.name]); });
        });
        continue;
      }
      body.replaceChildren();
      for (const values of saved.rows[id] || []) {
        const row = newRow(body);
        body.appendChild(row);
        row.querySelectorAll("[name]").forEach((field) => { if (field.name in values) setValue(field, values[field.name]); });
        applyColumns(row);
        if (row.classList.contains("ind-row")) fillLevel2(row);
      }
    }
    number();
    placeComments();  // the reviewers' comments beside the restored rows again
    changed();
  }
  function keep() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ revision, at: new Date().toISOString(), table: snapshot() }));
    } catch (e) { /* storage full or disabled: the page itself still holds the table */ }
  }
  function storedDrafts() {
    const found = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (!key || key.indexOf(prefix) !== 0 || key === storageKey) continue;
      try { found.push({ key, ...JSON.parse(localStorage.getItem(key)) }); } catch (e) { localStorage.removeItem(key); }
    }
    return found.sort((a, b) => (a.at < b.at ? 1 : -1));
  }
  function when(iso) {
    const d = new Date(iso);
    const two = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function button(text, action, primary) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text;
    if (primary) b.className = "primary";
    b.addEventListener("click", action);
    return b;
  }
  // A field's label as the page shows it (its aria-label, or the heading cell before it); null
  // for a field nobody types in (a row's kind or identity).
  function labelOf(name, rowId, index) {
    const body = rowId ? document.getElementById(rowId) : null;
    const fixed = body !== null && fixedRows(body);
    const scope = !body ? form : fixed ? body.querySelectorAll("tr.task-row, tr.ind-row")[index] || body : document.getElementById(addButtonFor(body).dataset.template).content;
    const field = scope.querySelector("[name='" + name + "']");
    if (!field || field.type === "hidden") return null;
    let label = field.getAttribute("aria-label");
    if (!label) {
      const cell = field.closest("td");
      const th = cell && cell.previousElementSibling;
      label = th && th.tagName === "TH" ? th.textContent : null;
    }
    if (!label) return null;
    if (fixed) return label;  // a fixed row's field names its row itself
    return rowId ? SECTION_NAMES[rowId] + "第" + (index + 1) + "行 " + label : label;
  }
  // The differences between a kept copy and the table on the page, for reading side by side.
  function differences(saved, current) {
    const out = [];
    // Amounts are compared as numbers: the server writes 167.30 as 167.3.
    const amount = (name, text) => {
      if (name !== "task_amount" && name.indexOf("budget_") !== 0) return text;
      const a = parseAmount(text);
      return a.whole === undefined ? text : (a.whole.replace(/^0+(?=\d)/, "") + "." + a.fraction).replace(/\.?0*$/, "");
    };
    const push = (name, label, mine, theirs) => {
      if (label && amount(name, mine) !== amount(name, theirs)) out.push([label, mine || "（空）", theirs || "（空）"]);
    };
    for (const [name, value] of Object.entries(saved.fields)) push(name, labelOf(name), value, current.fields[name] || "");
    for (const id of BODIES) {
      const mine = saved.rows[id] || [], theirs = current.rows[id] || [];
      for (let i = 0; i < Math.max(mine.length, theirs.length); i += 1) {
        const a = mine[i] || {}, b = theirs[i] || {};
        for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) push(name, labelOf(name, id, i), a[name] || "", b[name] || "");
      }
    }
    return out;
  }
  function offer(saved, box) {
    const item = document.createElement("div");
    item.className = "draft-item";
    const p = document.createElement("p");
    const drop = () => { localStorage.removeItem(saved.key); item.remove(); box.hidden = !box.children.length; };
    if (saved.revision === revision) {
      p.append("发现未保存的修改（" + when(saved.at) + "）：");
      p.append(button("恢复", () => {
        restore(saved.table);
        localStorage.removeItem(saved.key);  // this page keeps it from now on, under its own key
        item.remove(); box.hidden = !box.children.length;
        document.getElementById("save-state").textContent = "已恢复未保存的修改，请检查后保存";
      }, true), " ", button("放弃", drop));
      item.appendChild(p);
    } else {
      p.append("发现未保存的修改（" + when(saved.at) + "），但它基于第" + saved.revision + "次修订，这张表现在是第" +
        revision + "次修订，不能直接恢复。下面是它与当前表不同的栏目，请对照后把需要的内容改入当前表：");
      p.append(" ", button("放弃这份副本", drop));
      item.appendChild(p);
      const table = document.createElement("table");
      table.className = "list draft-compare";
      table.innerHTML = "<thead><tr><th scope='col'>栏目</th><th scope='col'>您未保存的内容</th><th scope='col'>当前表中的内容</th></tr></thead>";
      const tbody = document.createElement("tbody");
      for (const [label, mine, theirs] of differences(saved.table, snapshot())) {
        const tr = document.createElement("tr");
        for (const text of [label, mine, theirs]) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); }
        tbody.appendChild(tr);
      }
      table.appendChild(tbody);
      item.appendChild(table);
    }
    box.appendChild(item);
    box.hidden = false;
  }
  function offerKept() {
    const posting = sessionStorage.getItem("jixiao-posting");
    sessionStorage.removeItem("jixiao-posting");
    if (dirty) {
      // A refused form: the page holds what was posted; it is kept under this page's key now.
      if (posting) localStorage.removeItem(posting);
      keep();
    }
    const current = JSON.stringify(snapshot());
    const saved = document.querySelector("ul.messages li.success") !== null;
    const box = document.getElementById("draft-offer");
    for (const kept of storedDrafts()) {
      // Saved since: the table on the page is the kept one, or the save this window posted went
      // through (the server answered with a newer revision, or said so).
      const posted = kept.key === posting && (kept.revision < revision || saved);
      if (posted || JSON.stringify(kept.table) === current) localStorage.removeItem(kept.key);
      else offer(kept, box);
    }
  }

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
  offerKept();
  check();
})();
