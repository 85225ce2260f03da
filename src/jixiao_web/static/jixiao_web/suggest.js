// The indicator library (指标库) while typing a 三级指标: the city's approved indicators and the
// frameworks' common ones, ranked for the row's 二级指标 and the text typed, in a listbox under the
// field (the ARIA combobox pattern: arrow keys, Enter, Escape).  Choosing one fills the row's name,
// unit and comparator, and its value when that is still empty, and fires `input` events so that
// the form's own live check runs.  Works on rows added later too (events are delegated).
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script && script.dataset.suggestUrl;
  const form = document.getElementById("table-form");
  if (!url || !form) return;
  const NAME = "tr.ind-row textarea[name=ind_name]";

  const list = document.createElement("ul");
  list.id = "ind-suggest";
  list.className = "suggest-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "指标库建议");
  list.hidden = true;
  document.body.appendChild(list);
  const status = document.createElement("div");
  status.className = "lib-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  document.body.appendChild(status);

  let field = null;      // the textarea the list belongs to
  let items = [];        // the suggestions shown
  let active = -1;       // the highlighted option
  let timer = null;
  let sequence = 0;

  function sibling(row, name) { return row.querySelector("[data-field='" + name + "']"); }

  function attach(textarea) {
    if (textarea.getAttribute("role") === "combobox") return;
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-expanded", "false");
  }

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    items = [];
    active = -1;
    if (field) {
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
  }

  // Under the field, kept within the visible width (on a phone the form is wider than the screen).
  function place() {
    const box = field.getBoundingClientRect();
    const visible = document.documentElement.clientWidth;
    const width = Math.min(Math.max(box.width, 320), visible - 16);
    const left = Math.max(8, Math.min(box.left, visible - width - 8));
    list.style.left = (window.scrollX + left) + "px";
    list.style.top = (window.scrollY + box.bottom + 2) + "px";
    list.style.width = width + "px";
  }

  function detail(s) {
    const parts = [];
    const target = [s.comparator === "定性" ? "" : s.comparator, s.value, s.unit].join("");
    if (s.value) parts.push((s.value_label || "常用值") + " " + (s.comparator === "定性" ? s.value : target));
    else if (s.unit) parts.push("单位 " + s.unit);
    if (s.department_count) parts.push(s.department_count + " 个部门使用");
    else if (s.common) parts.push("指标体系常用指标");
    if (s.level2) parts.push(s.level2);
    return parts.join(" · ");
  }

  // The names the other rows already hold: offered all the same, but said so (a repeated
  // indicator is a finding of its own).
  function namesElsewhere() {
    const names = new Set();
    form.querySelectorAll(NAME).forEach((other) => { if (other !== field && other.value.trim()) names.add(other.value.trim()); });
    return names;
  }

  function render(found) {
    const taken = namesElsewhere();
    list.innerHTML = "";
    items = found;
    active = -1;
    if (!found.length) { close(); status.textContent = ""; return; }
    found.forEach((s, i) => {
      const option = document.createElement("li");
      option.id = "ind-suggest-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = "suggest-option" + (s.mark ? " " + s.mark : "");
      const name = document.createElement("span");
      name.className = "suggest-name";
      name.textContent = s.name;
      option.appendChild(name);
      if (s.mark_label) {
        const badge = document.createElement("span");
        badge.className = "lib-mark " + s.mark;
        badge.textContent = s.mark_label;
        option.appendChild(badge);
      }
      const more = document.createElement("span");
      more.className = "suggest-detail";
      more.textContent = detail(s) + (taken.has(s.name) ? " · 表中已有" : "");
      option.appendChild(more);
      if (s.mark === "discouraged" || (s.note && s.mark)) {
        const warning = document.createElement("span");
        warning.className = "suggest-note";
        warning.textContent = (s.mark === "discouraged" ? "财政局不建议使用" : "财政局推荐") + (s.note ? "：" + s.note : "");
        option.appendChild(warning);
      }
      option.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
      list.appendChild(option);
    });
    place();
    list.hidden = false;
    field.setAttribute("aria-expanded", "true");
    status.textContent = "指标库有 " + found.length + " 条建议，用上下方向键选择，回车填入。";
  }

  function highlight(index) {
    const options = list.querySelectorAll("[role=option]");
    if (!options.length) return;
    active = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", i === active ? "true" : "false"));
    field.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function set(target, value) {
    if (!target || target.value === value) return;
    if (target.tagName === "SELECT" && !Array.from(target.options).some((o) => o.value === value)) {
      const option = document.createElement("option");
      option.textContent = value;
      option.value = value;
      target.appendChild(option);
    }
    target.value = value;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    if (target.tagName === "SELECT") target.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function choose(index) {
    const s = items[index];
    if (!s || !field) return;
    const row = field.closest("tr.ind-row");
    set(field, s.name);
    if (s.unit) set(sibling(row, "unit"), s.unit);
    if (s.comparator) set(sibling(row, "comparator"), s.comparator);
    const value = sibling(row, "value");
    if (value && !value.value.trim() && s.value) set(value, s.value);
    status.textContent = "已填入“" + s.name + "”。";
    close();
    field.focus();
  }

  function ask(textarea) {
    field = textarea;
    const row = textarea.closest("tr.ind-row");
    const level1 = sibling(row, "level1");
    const level2 = sibling(row, "level2");
    const text = textarea.value.trim();
    if (!text && !(level2 && level2.value)) { close(); return; }
    const params = new URLSearchParams({ q: text, level1: level1 ? level1.value : "", level2: level2 ? level2.value : "" });
    const mine = ++sequence;
    fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data || mine !== sequence || field !== textarea || document.activeElement !== textarea) return;
        render(data.suggestions || []);
      })
      .catch(() => {});
  }

  form.addEventListener("focusin", (event) => {
    if (!event.target.matches(NAME)) return;
    attach(event.target);
    if (!event.target.value.trim()) ask(event.target);
  });
  form.addEventListener("input", (event) => {
    if (!event.target.matches(NAME) || !event.isTrusted) return;
    attach(event.target);
    clearTimeout(timer);
    timer = setTimeout(() => ask(event.target), 150);
  });
  form.addEventListener("focusout", (event) => {
    if (event.target === field) setTimeout(() => { if (document.activeElement !== field) close(); }, 100);
  });
  form.addEventListener("keydown", (event) => {
    if (!event.target.matches(NAME)) return;
    if (list.hidden) {
      if (event.key === "ArrowDown" && event.altKey) { event.preventDefault(); ask(event.target); }
      return;
    }
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(active); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "Tab") close();
  });
  window.addEventListener("resize", () => { if (!list.hidden) place(); });
})();
