// The review page: a confirmation that says what a decision will do before it is made, the number
// of comments written shown in the decision bar, and stock phrases (常用审核意见) inserted into a
// comment box.  Without this file the server asks for the confirmation itself (views/review.py).
(function () {
  "use strict";
  const form = document.getElementById("review-form");
  const publishForm = document.getElementById("publish-form");
  const phrasesData = document.getElementById("stock-phrases");
  const phrases = phrasesData ? JSON.parse(phrasesData.textContent) : [];

  function written() {
    if (!form) return 0;
    // form.elements: the self-evaluation's row comment boxes sit in its table, outside the form
    // (their form="review-form" attribute makes them its fields).
    return Array.from(form.elements).filter((box) => box.tagName === "TEXTAREA" && box.name.indexOf("comment:") === 0 && box.value.trim() !== "").length;
  }

  function showCount() {
    const out = document.getElementById("comment-count");
    if (!out) return;
    const count = written();
    out.textContent = count ? "已写 " + count + " 条意见" : "尚未写意见";
  }

  function chosenGrade() {
    const checked = form.querySelector("input[name=grade]:checked");
    return checked ? checked.value : "";
  }

  function confirmed(target) {
    let field = target.querySelector("input[name=confirmed]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      target.appendChild(field);
    }
    field.value = "1";
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      // The server's own confirmation box: the reviewer has read what will happen.
      if (!button || button.name !== "decision") return;
      const grade = chosenGrade();
      const count = written();
      const sent = count ? "将发送 " + count + " 条意见" : "不附意见";
      // What the decision needs and what it will do: the workflow table's, on the button.
      // Without a grade it accepts (or without a comment it needs) the server refuses and says
      // why, keeping what was typed.
      const grades = (button.dataset.grades || "").split(" ").filter(Boolean);
      if (grades.length && !grades.includes(grade)) return;
      if (button.dataset.commentsNeeded && !count) return;
      const text = (button.dataset.confirmText || "")
        .replace("{grade}", grade)
        .replace("{graded}", grade ? "（等级：" + grade + "）" : "")
        .replace("{sent}", sent);
      if (!window.confirm(text + "\n\n确定吗？")) { event.preventDefault(); return; }
      confirmed(form);
    });
    document.addEventListener("input", showCount);

    // A stock phrase picker in each comment box, when it is opened.
    document.querySelectorAll("details.comment-box").forEach((box) => {
      const textarea = box.querySelector("textarea");
      box.addEventListener("toggle", () => {
        if (box.open && textarea) textarea.focus();
        if (!box.open || !phrases.length || box.querySelector("select.phrase")) return;
        const picker = document.createElement("select");
        picker.className = "phrase";
        picker.setAttribute("aria-label", "插入常用审核意见");
        const first = document.createElement("option");
        first.value = "";
        first.textContent = "插入常用审核意见…";
        picker.appendChild(first);
        for (const phrase of phrases) {
          const option = document.createElement("option");
          option.value = phrase;
          option.textContent = phrase;
          picker.appendChild(option);
        }
        picker.addEventListener("change", () => {
          if (!picker.value) return;
          const at = textarea.selectionStart ?? textarea.value.length;
          const before = textarea.value.slice(0, at);
          const after = textarea.value.slice(textarea.selectionEnd ?? at);
          const glue = before && !/[\s。；，、,;.!！?？：:]$/.test(before) ? "；" : "";
          textarea.value = before + glue + picker.value + after;
          picker.value = "";
          textarea.focus();
          showCount();
        });
        textarea.insertAdjacentElement("beforebegin", picker);
      });
    });
    showCount();
  }

  // A long table: the rows with nothing to look at (no change, finding or comment) can be hidden.
  const only = document.getElementById("only-notable");
  const list = document.getElementById("review-rows");
  if (only && list) {
    only.closest("label").hidden = false;
    only.addEventListener("change", () => list.classList.toggle("only-notable", only.checked));
  }

  if (publishForm) {
    publishForm.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button || !button.dataset.confirm) return;
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); return; }
      confirmed(publishForm);
    });
  }
})();
