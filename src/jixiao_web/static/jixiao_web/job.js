// queue: follow a background job (its status as JSON) and show the page again once it is done.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box) { return; }
  var url = box.getAttribute("data-job-status");
  var label = box.querySelector("[data-job-label]");
  var message = box.querySelector("[data-job-message]");
  var wait = 1000;
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status) {
          label.textContent = status.label;
          message.textContent = status.message;
          if (status.finished) { window.location.reload(); return; }
        }
        wait = Math.min(wait * 1.5, 5000);
        window.setTimeout(poll, wait);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, wait);
})();
