// The local pre-built UI: email OTP or an authenticator app (enrolling one
// if need be), then hand the result token back to the app the way the real
// pre-built UI does (see the README's emulator section).
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("challenge-config").textContent);
  var container = document.getElementById("widget_container");
  var messageEl = document.getElementById("message");
  var STEPS = ["email-step", "send-step", "totp-setup", "verify-step", "methods-step", "done-step"];
  var METHOD_LABELS = { EMAIL_OTP: "Email code", AUTHENTICATOR_APP: "Authenticator app" };
  var HEADINGS = {
    EMAIL_OTP: "Verify your email",
    AUTHENTICATOR_APP: "Enter your authenticator code",
    TOTP_SETUP: "Set up your authenticator app",
    METHODS: "Use another method",
    BLOCKED: "Action blocked",
  };
  var methods = (config.methods || []).filter(function (m) { return METHOD_LABELS[m]; });
  var current = null;        // the method in use
  var codeSentTo = null;     // where this page last sent an email code
  var totpSecret = null;     // the authenticator app being enrolled, once asked for
  var totpEnrolled = !!config.totpEnrolled;

  function byId(id) { return document.getElementById(id); }

  function originOf(url) {
    try { return url ? new URL(url).origin : null; } catch (e) { return null; }
  }

  // Mirrors emulators/authsignal/origins.py: exact origins, or a "*" port.
  var PATTERN = /^(https?):\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}|\*))?$/i;
  var DEFAULT_PORT = { http: "80", https: "443" };
  function parseOrigin(text) {
    var m = PATTERN.exec(text || "");
    if (!m) return null;
    var scheme = m[1].toLowerCase();
    return { scheme: scheme, host: m[2].toLowerCase(), port: m[3] || DEFAULT_PORT[scheme] };
  }
  function isAllowed(origin) {
    var o = parseOrigin(origin);
    if (!o || o.port === "*") return false;
    return config.allowedOrigins.some(function (pattern) {
      var p = parseOrigin(pattern);
      return p && p.scheme === o.scheme && p.host === o.host && (p.port === "*" || p.port === o.port);
    });
  }

  // popup mode: an iframe in the app's page; window mode: opened by it;
  // redirect mode: the app navigated here and gets the token on redirectUrl.
  function findEmbedder() {
    if (window.parent !== window) {
      var ancestors = window.location.ancestorOrigins;
      var origin = ancestors && ancestors.length ? ancestors[0] : originOf(document.referrer);
      return { kind: "popup", target: window.parent, origin: origin };
    }
    if (window.opener) {
      return { kind: "window", target: window.opener, origin: originOf(document.referrer) };
    }
    return { kind: "redirect", target: null, origin: null };
  }

  var embedder = findEmbedder();
  var embedderAllowed = embedder.kind === "redirect" || isAllowed(embedder.origin);

  // Messages go only to the embedding page's own origin, and only when it is allowed.
  function post(message) {
    if (embedder.target && embedderAllowed) embedder.target.postMessage(message, embedder.origin);
  }

  function reportHeight() {
    var style = window.getComputedStyle(container);
    var height = container.getBoundingClientRect().height +
      parseFloat(style.marginTop) + parseFloat(style.marginBottom);
    post({ height: Math.ceil(height) });
  }

  function say(text, kind) {
    messageEl.textContent = text || "";
    messageEl.className = "message" + (text ? " " + (kind || "error") : "");
    reportHeight();
  }

  // Show these steps (one id or a list), hide the others; "Use another
  // method" only in a challenge step and when there is another method.
  function show(steps, heading) {
    steps = [].concat(steps);
    STEPS.forEach(function (id) { byId(id).hidden = steps.indexOf(id) < 0; });
    if (heading) byId("heading").textContent = heading;
    var choosing = steps.indexOf("methods-step") >= 0 || steps.indexOf("done-step") >= 0;
    byId("other-method").hidden = choosing || methods.length < 2;
    var focusable = null;
    steps.some(function (id) { focusable = byId(id).querySelector("input, button"); return focusable; });
    if (focusable) focusable.focus();
    reportHeight();
  }

  function setBusy(busy) {
    container.setAttribute("aria-busy", busy ? "true" : "false");
    Array.prototype.forEach.call(container.querySelectorAll("button, input"), function (el) {
      el.disabled = busy;
    });
  }

  async function api(path, body) {
    var response;
    try {
      response = await fetch(config.apiBase + path, {
        method: "POST",
        headers: { "Authorization": "Bearer " + config.token, "Content-Type": "application/json" },
        body: JSON.stringify(body || {}),
      });
    } catch (e) {
      throw new Error("Could not reach the server. Check your connection and try again.");
    }
    var data = null;
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok || (data && data.error)) {
      post(JSON.stringify({
        event: "AUTHSIGNAL_API_ERROR",
        errorCode: data && data.errorCode,
        statusCode: response.status,
      }));
      throw new Error((data && data.errorDescription) || "Something went wrong (" + response.status + ").");
    }
    return data;
  }

  async function run(task) {
    setBusy(true);
    try {
      await task();
    } catch (e) {
      say(e.message);
    } finally {
      setBusy(false);
    }
  }

  function finish(token) {
    if (embedder.kind !== "redirect") {
      post(JSON.stringify({ event: "AUTHSIGNAL_CLOSE_POPUP", token: token }));
      return;
    }
    if (config.redirectUrl) {
      var sep = config.redirectUrl.indexOf("?") >= 0 ? "&" : "?";
      window.location.assign(config.redirectUrl + sep + "token=" + encodeURIComponent(token));
      return;
    }
    byId("close").hidden = true;
    say("You can close this window now.", "info");
  }

  function failed() {
    byId("done-text").textContent = "Too many incorrect codes. This attempt has failed: start again.";
    show("done-step");
    say("");
  }

  function showVerify(method) {
    var email = method === "EMAIL_OTP";
    byId("sent-note").hidden = !email;
    byId("totp-note").hidden = email;
    byId("resend").hidden = !email;
    var length = email ? config.codeLength : config.totpCodeLength;
    byId("code").maxLength = length;
    byId("code").value = "";
    if (email) {
      show("verify-step", HEADINGS.EMAIL_OTP);
    } else if (totpEnrolled) {
      show("verify-step", HEADINGS.AUTHENTICATOR_APP);
    } else {
      show(["totp-setup", "verify-step"], HEADINGS.TOTP_SETUP);
      byId("code").focus();
    }
  }

  function codeSent(email) {
    codeSentTo = email;
    byId("email-sent").textContent = email;
    showVerify("EMAIL_OTP");
    say("Code sent. Check your inbox.", "info");
  }

  function useMethod(method) {
    current = method;
    say("");
    if (method === "EMAIL_OTP") {
      if (codeSentTo) {
        byId("email-sent").textContent = codeSentTo;
        showVerify("EMAIL_OTP");
      } else if (config.email) {
        show("send-step", HEADINGS.EMAIL_OTP);
      } else {
        show("email-step", HEADINGS.EMAIL_OTP);
      }
    } else if (totpEnrolled || totpSecret) {
      showVerify("AUTHENTICATOR_APP");
    } else {
      show([], HEADINGS.TOTP_SETUP);
      run(enrollTotp);
    }
  }

  // A new secret, shown as a QR code (an SVG the server draws, shown as a
  // data: image) and as text to type in.
  async function enrollTotp() {
    var enrolment = await api("/client/user-authenticators/totp");
    var response;
    try {
      response = await fetch(config.qrCodePath, { headers: { "Authorization": "Bearer " + config.token } });
    } catch (e) {
      throw new Error("Could not reach the server. Check your connection and try again.");
    }
    if (!response.ok) throw new Error("Could not load the QR code (" + response.status + ").");
    var svg = await response.text();
    byId("totp-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    byId("totp-secret").textContent = enrolment.secret;
    totpSecret = enrolment.secret;
    if (current === "AUTHENTICATOR_APP") showVerify("AUTHENTICATOR_APP");
  }

  function chooseMethod() {
    var list = byId("method-list");
    while (list.firstChild) list.removeChild(list.firstChild);
    methods.forEach(function (method) {
      if (method === current) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "method";
      button.textContent = METHOD_LABELS[method];
      button.addEventListener("click", function () { useMethod(method); });
      list.appendChild(button);
    });
    var back = document.createElement("button");
    back.type = "button";
    back.className = "secondary";
    back.textContent = "Back";
    back.addEventListener("click", function () { useMethod(current); });
    list.appendChild(back);
    say("");
    show("methods-step", HEADINGS.METHODS);
  }

  byId("other-method").addEventListener("click", chooseMethod);

  byId("email-step").addEventListener("submit", function (event) {
    event.preventDefault();
    var email = byId("email").value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      say("Enter a valid email address.");
      byId("email").focus();
      return;
    }
    run(async function () {
      await api("/client/user-authenticators/email-otp", { email: email });
      codeSent(email);
    });
  });

  byId("send-step").addEventListener("submit", function (event) {
    event.preventDefault();
    run(async function () {
      await api("/client/challenge/email-otp");
      codeSent(config.email);
    });
  });

  byId("resend").addEventListener("click", function () {
    run(async function () {
      await api("/client/challenge/email-otp");
      byId("code").value = "";
      say("We sent a new code.", "info");
      byId("code").focus();
    });
  });

  byId("verify-step").addEventListener("submit", function (event) {
    event.preventDefault();
    var email = current === "EMAIL_OTP";
    var length = email ? config.codeLength : config.totpCodeLength;
    var code = byId("code").value.replace(/\s+/g, "");
    if (!new RegExp("^\\d{" + length + "}$").test(code)) {
      say("Enter the " + length + "-digit code from " + (email ? "the email." : "your authenticator app."));
      byId("code").focus();
      return;
    }
    run(async function () {
      var path = email ? "/client/verify/email-otp" : "/client/verify/totp";
      var result = await api(path, { verificationCode: code });
      if (result.isVerified) {
        if (!email) totpEnrolled = true;
        byId("done-text").textContent = "Verified.";
        show("done-step");
        byId("close").hidden = true;
        say("");
        finish(result.accessToken);
        return;
      }
      if (result.failureReason === "MAX_ATTEMPTS_EXCEEDED") {
        failed();
        return;
      }
      byId("code").value = "";
      if (result.failureReason === "CODE_EXPIRED") {
        say("That code has expired. Send a new code.");
      } else {
        var left = result.attemptsRemaining;
        say("That code is incorrect. " + left + (left === 1 ? " attempt" : " attempts") + " left.");
      }
      byId("code").focus();
    });
  });

  // Closing after a failure hands back the track token: the app's validate
  // then sees CHALLENGE_FAILED instead of a cancelled popup.
  byId("close").addEventListener("click", function () { finish(config.token); });

  if (!embedderAllowed) {
    STEPS.forEach(function (id) { byId(id).hidden = true; });
    say("This page was opened from " + (embedder.origin || "an unknown origin") +
        ", which is not an allowed origin for this tenant.");
    return;
  }

  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(container);
  if (config.state === "CHALLENGE_FAILED") {
    failed();
  } else if (config.state === "BLOCK" || config.state === "REVIEW_REQUIRED") {
    // No code to offer; Close hands back the track token, which validates as not valid.
    byId("done-text").textContent = config.state === "BLOCK"
      ? "This action was blocked. Close this window."
      : "This action was blocked until it is reviewed. Close this window.";
    show("done-step", HEADINGS.BLOCKED);
  } else if (config.state !== "CHALLENGE_REQUIRED" && config.state !== "ALLOW") {
    byId("done-text").textContent = "This challenge is already complete.";
    byId("close").hidden = true;
    show("done-step");
  } else if (!methods.length) {
    byId("done-text").textContent = "There is no verification method this account can use here.";
    show("done-step");
  } else {
    useMethod(methods[0]);
  }
  post(JSON.stringify({ event: "AUTHSIGNAL_READY" }));
})();
