// Idle sessions: warn 2 minutes before the session ends ("继续" keeps it alive, "退出" signs out),
// and say so when it has ended.  Never navigates by itself, so nothing typed on the page is lost:
// after the end, signing in again opens in a new tab and this page stays as it is.
// The server decides how long is left (GET /accounts/session/, which is not activity): another tab
// or a save from this page may have kept the session alive meanwhile.
(function () {
  "use strict";
  var script = document.getElementById("session-script");
  if (!script || !window.fetch) { return; }
  var WARN_SECONDS = 120;
  var pingUrl = script.dataset.ping;
  var timer = null;
  var ticker = null;
  var box = null;
  var lastInput = 0;  // when the user last typed or clicked on this page (ms)

  ["keydown", "pointerdown", "input"].forEach(function (name) {
    document.addEventListener(name, function () { lastInput = Date.now(); }, { capture: true, passive: true });
  });

  function csrf() {  // the cookie, when readable, is fresh even after signing in again elsewhere
    var found = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return found ? decodeURIComponent(found[1]) : script.dataset.csrf;
  }

  function ask(method) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method === "POST") { options.headers["X-CSRFToken"] = csrf(); }
    return fetch(pingUrl, options).then(function (response) {
      return response.json().catch(function () { return { signed_in: response.status !== 401, remaining: 0 }; });
    });
  }

  function schedule(seconds) {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(seconds, 5) * 1000);
  }

  function check() {
    ask("GET").then(function (state) {
      if (!state.signed_in) { ended(); return; }
      if (state.remaining > WARN_SECONDS + 5) { hide(); schedule(state.remaining - WARN_SECONDS); return; }
      if (Date.now() - lastInput < 60 * 1000) { keepAlive(); return; }  // typing here is activity
      warn(state.remaining);
    }).catch(function () { schedule(30); });  // the network failed: try again soon
  }

  function keepAlive() {
    ask("POST").then(function (state) {
      if (!state.signed_in) { ended(); return; }
      hide();
      schedule(state.remaining - WARN_SECONDS);
    }).catch(function () { schedule(30); });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function show() {
    if (box) { return box; }
    box = element("div", "session-warning");
    box.id = "session-warning";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-live", "assertive");
    box.setAttribute("aria-labelledby", "session-warning-text");
    var text = element("p");
    text.id = "session-warning-text";
    box.appendChild(text);
    var actions = element("p", "session-actions");
    box.appendChild(actions);
    document.body.appendChild(box);
    return box;
  }

  function hide() {
    clearInterval(ticker);
    if (box) { box.remove(); box = null; }
  }

  function warn(seconds) {
    var until = Date.now() + seconds * 1000;
    show();
    var actions = box.querySelector(".session-actions");
    actions.textContent = "";
    var go = element("button", "primary", "继续");
    go.type = "button";
    go.addEventListener("click", keepAlive);
    var form = element("form");
    form.method = "post";
    form.action = script.dataset.logout;
    var token = element("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrf();
    var out = element("button", "", "退出");
    out.type = "submit";
    form.appendChild(token);
    form.appendChild(out);
    actions.appendChild(go);
    actions.appendChild(form);
    function tick() {
      var left = Math.round((until - Date.now()) / 1000);
      if (left <= 0) { clearInterval(ticker); check(); return; }
      box.querySelector("p").textContent =
        "您已较长时间未操作，将于 " + Math.max(1, Math.ceil(left / 60)) + " 分钟后退出登录（还剩 " + left + " 秒）。";
    }
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    tick();
    go.focus();
  }

  function ended() {
    clearInterval(ticker);
    clearTimeout(timer);
    show();
    box.classList.add("ended");
    box.querySelector("p").textContent =
      "由于长时间未操作，您已退出登录。本页填写的内容仍在：请在新标签页中重新登录，再回到本页保存。";
    var actions = box.querySelector(".session-actions");
    actions.textContent = "";
    var link = element("a", "button primary", "在新标签页中登录");
    link.href = script.dataset.login;
    link.target = "_blank";
    link.rel = "noopener";
    actions.appendChild(link);
    var again = element("button", "", "已重新登录");
    again.type = "button";
    again.addEventListener("click", function () { box.classList.remove("ended"); hide(); check(); });
    actions.appendChild(again);
  }

  // A form marked data-keep-typed (a review with its comments) is not sent into an ended session,
  // where the login page would take its place and what was typed would be gone: the server is asked
  // first; when the session has ended the form stays as it is and the notice says so.  Listened to
  // on the way up, after the page's own handlers (a confirmation) have had their say.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-keep-typed")) { return; }
    var typed = Array.prototype.some.call(form.elements, function (field) {
      return field.tagName === "TEXTAREA" && field.value.trim() !== "";
    });
    if (!typed) { return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    function send() {
      // Signing in again (in another tab) gave a new CSRF secret: the form's token is refreshed.
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (token) { token.value = csrf(); }
      // form.submit() sends no submit event (no second confirmation) and no button: its value is
      // added as a field.
      var pressed = form.querySelector("input[data-pressed]");
      if (pressed) { pressed.remove(); }
      if (submitter && submitter.name) {
        pressed = element("input");
        pressed.type = "hidden";
        pressed.name = submitter.name;
        pressed.value = submitter.value;
        pressed.setAttribute("data-pressed", "");
        form.appendChild(pressed);
      }
      HTMLFormElement.prototype.submit.call(form);
    }
    ask("GET").then(function (state) {
      if (state.signed_in) { send(); } else { ended(); }
    }).catch(send);  // the network failed: the browser's own submit says so
  });

  schedule(0);
})();
