// The filing's page after "保存并提交" from the filing form: the save went through, so the copy
// of the table the form kept in this browser (editor.js) is no longer needed.
(function () {
  "use strict";
  const page = document.querySelector("[data-filing]");
  const posting = sessionStorage.getItem("jixiao-posting");
  if (!page || !posting || posting.indexOf("jixiao-draft:" + page.dataset.filing + ":") !== 0) return;
  if (document.querySelector("ul.messages li.success") === null) return;
  localStorage.removeItem(posting);
  sessionStorage.removeItem("jixiao-posting");
})();
