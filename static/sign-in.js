// The sign-in page: ask the server to start a Cognito custom-auth sign-in, run
// the Authsignal pre-built UI in a popup, and hand its token back to the server.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("app-config").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var form = document.getElementById("sign-in-form");
  var email = document.getElementById("email");
  var signIn = document.getElementById("sign-in");
  var tryAgain = document.getElementById("try-again");
  var progress = document.getElementById("progress");
  var errorEl = document.getElementById("error");
  var authsignal = new window.authsignal.Authsignal({ tenantId: config.tenantId, baseUrl: config.authsignalUrl });
  // What "Try again" does: a new popup (after a wrong answer) or sending the
  // same token again (when it never reached Cognito).
  var retry = null;

  function busy(text) {
    progress.textContent = text || "";
    form.setAttribute("aria-busy", text ? "true" : "false");
    signIn.disabled = tryAgain.disabled = email.disabled = !!text;
  }

  function fail(message) {
    busy("");
    errorEl.textContent = message;
  }

  async function post(url, body) {
    var response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw { message: "Could not reach the server. Check your connection and try again." };
    }
    var data = {};
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) {
      throw {
        error: data.error,
        url: data.url,
        startAgain: data.startAgain,
        message: data.message || "Something went wrong. Try again.",
      };
    }
    return data;
  }

  async function challenge(url) {
    busy("Complete the verification in the pop-up…");
    var result = await authsignal.launch(url, { mode: "popup" });
    if (!result || !result.token) {
      fail("Sign-in cancelled.");
      email.disabled = false;
      email.focus();
      return;
    }
    await confirm(result.token);
  }

  async function confirm(token) {
    busy("Checking…");
    var answer;
    try {
      answer = await post(config.confirmUrl, { token: token });
    } catch (e) {
      if (e.startAgain === false && !e.url) e.retryToken = token;
      throw e;
    }
    busy("Signed in. Loading…");
    window.location.assign(answer.redirect);
  }

  async function run(task) {
    errorEl.textContent = "";
    tryAgain.hidden = true;
    try {
      await task();
    } catch (e) {
      fail(e.message);
      if (e.error === "wrong_answer" && e.url) {
        retry = function () { return challenge(e.url); };
      } else if (e.retryToken) {
        retry = function () { return confirm(e.retryToken); };
      } else {
        retry = null;
      }
      if (retry) {
        tryAgain.hidden = false;
        tryAgain.focus();
      } else {
        email.focus();
      }
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = email.value.trim();
    if (!value) {
      fail("Enter your email address.");
      email.focus();
      return;
    }
    run(async function () {
      busy("Starting sign-in…");
      var started = await post(config.signInUrl, { email: value });
      await challenge(started.url);
    });
  });

  tryAgain.addEventListener("click", function () {
    if (retry) run(retry);
  });
})();
