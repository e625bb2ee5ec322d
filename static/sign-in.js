// The sign-in and sign-up pages: ask the server to start a Cognito custom-auth
// sign-in (with an email, or an email and a password), run the Authsignal
// pre-built UI in a popup when a challenge is needed, and hand its token back;
// or sign in with a passkey (the browser's autofill, or the button).
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("app-config").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var form = document.getElementById("credentials-form");
  var email = document.getElementById("email");
  var password = document.getElementById("password"); // only with passwords
  var submit = document.getElementById("submit");
  var tryAgain = document.getElementById("try-again");
  var progress = document.getElementById("progress");
  var errorEl = document.getElementById("error");
  var inputs = [email, password].filter(Boolean);
  var authsignal = new window.authsignal.Authsignal({ tenantId: config.tenantId, baseUrl: config.authsignalUrl });
  // What "Try again" does: a new popup (after a wrong answer) or sending the
  // same token again (when it never reached Cognito).
  var retry = null;

  function busy(text) {
    progress.textContent = text || "";
    form.setAttribute("aria-busy", text ? "true" : "false");
    submit.disabled = tryAgain.disabled = !!text;
    inputs.forEach(function (input) { input.disabled = !!text; });
  }

  function clearErrors() {
    errorEl.textContent = "";
    inputs.forEach(function (input) {
      document.getElementById(input.id + "-error").textContent = "";
      input.removeAttribute("aria-invalid");
    });
  }

  function fail(message, field) {
    busy("");
    var input = field && document.getElementById(field);
    if (input && inputs.indexOf(input) >= 0) {
      document.getElementById(field + "-error").textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } else {
      errorEl.textContent = message;
    }
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
        field: data.field,
        startAgain: data.startAgain,
        message: data.message || "Something went wrong. Try again.",
      };
    }
    return data;
  }

  // Become the signed-in page from the answer itself: no reload, the URL
  // made right without a history entry, the new session's CSRF token.
  function signedIn(answer) {
    if (!answer.html) return window.location.assign(answer.redirect);
    document.getElementById("content").innerHTML = answer.html;
    document.title = answer.title;
    document.querySelector('meta[name="csrf-token"]').content = answer.csrfToken;
    history.replaceState(null, "", answer.redirect);
    // The signed-in page's passkey script: fetched once the page shows.
    if (document.getElementById("passkey-config")) setTimeout(function () {
      var script = document.createElement("script");
      script.src = config.passkeysScript;
      document.body.appendChild(script);
    });
  }

  // The server's answer to starting: signed in already (Authsignal's rules
  // allowed it), or a challenge to run in the popup.
  async function next(answer) {
    if (answer.status === "signed_in") return signedIn(answer);
    await challenge(answer.url);
  }

  // Window and redirect mode live in sign-in-modes.js, loaded only for them.
  async function challenge(url) {
    var modes = window.signInModes;
    if (config.uiMode === "redirect") return modes.redirect(authsignal, busy, url);
    busy(config.uiMode === "window" ? "Complete the verification in the new window…"
                                    : "Complete the verification in the pop-up…");
    var result = config.uiMode === "window" ? await modes.window(authsignal, busy, url)
                                            : await authsignal.launch(url, { mode: "popup" });
    if (!result) return;  // redirecting instead
    if (!result.token) {
      fail(config.uiMode === "window" ? "The sign-in window was closed." : "Sign-in cancelled.");
      retry = function () { return challenge(url); };
      if (config.uiMode === "window") {
        tryAgain.hidden = false;
        tryAgain.focus();
      } else {
        (password || email).focus();
      }
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
    signedIn(answer);
  }

  async function run(task) {
    clearErrors();
    tryAgain.hidden = true;
    try {
      await task();
    } catch (e) {
      if (e.error === "wrong_answer" && e.url) {
        retry = function () { return challenge(e.url); };
      } else if (e.retryToken) {
        retry = function () { return confirm(e.retryToken); };
      } else {
        retry = null;
      }
      fail(e.message, e.field);
      if (retry) {
        tryAgain.hidden = false;
        tryAgain.focus();
      } else if (!e.field) {
        (password || email).focus();
      }
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var body = { email: email.value.trim() };
    if (!body.email) return fail("Enter your email address.", "email");
    if (password) {
      if (!password.value) return fail("Enter your password.", "password");
      body.password = password.value;
    }
    run(async function () {
      busy("Starting sign-in…");
      await next(await post(config.startUrl, body));
    });
  });

  tryAgain.addEventListener("click", function () {
    if (retry) run(retry);
  });

  // Passkeys (passwordless only). The browser's autofill offers them from the
  // start; the button asks at once. A passkey's token goes to the server,
  // which signs in with it in one call. A cancelled prompt changes nothing.
  var passkeyButton = document.getElementById("passkey-sign-in");

  function withPasskey(autofill) {
    authsignal.passkey.signIn({ action: config.action, autofill: autofill }).then(function (result) {
      var data = result && result.data;
      if (data && data.isVerified && data.token) return passkeySignIn(data);
      if (result && result.error) fail(result.error);  // {}: an autofill request is already waiting
      if (!autofill) offerInAutofill();
    }, function (e) {
      // AbortError: another passkey request took this one's place.
      if (autofill || (e && e.name === "AbortError")) return;
      fail("No passkey was used. Sign in with your email, or try the passkey again.");
      offerInAutofill();
    });
  }

  async function passkeySignIn(data) {
    clearErrors();
    busy("Signing in with your passkey…");
    try {
      signedIn(await post(config.passkeyUrl, { token: data.token, userId: data.userId }));
    } catch (e) {
      fail(e.message);
      offerInAutofill();
    }
  }

  function offerInAutofill() {
    var pkc = window.PublicKeyCredential;
    if (pkc && pkc.isConditionalMediationAvailable) {
      pkc.isConditionalMediationAvailable().then(function (yes) { if (yes) withPasskey(true); });
    }
  }

  if (config.passkeyUrl && passkeyButton && window.PublicKeyCredential) {
    passkeyButton.hidden = false;
    passkeyButton.addEventListener("click", function () {
      clearErrors();
      withPasskey(false);
    });
    offerInAutofill();
  }
})();
