// The local pre-built UI: an email, SMS or WhatsApp code, an email magic link
// (polled for), an authenticator app (enrolling one if need be) or one of the
// user's passkeys (never enrolling one), then hand the result token back to
// the app the way the real pre-built UI does (see the README's emulator section).
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("challenge-config").textContent);
  var container = document.getElementById("widget_container");
  var messageEl = document.getElementById("message");
  var STEPS = ["email-step", "phone-step", "send-step", "link-step", "passkey-step", "totp-setup",
               "verify-step", "methods-step", "done-step"];
  var METHOD_LABELS = {
    EMAIL_OTP: "Email code", EMAIL_MAGIC_LINK: "Email link", SMS: "Text message",
    WHATSAPP: "WhatsApp", AUTHENTICATOR_APP: "Authenticator app", PASSKEY: "Passkey",
  };
  // The client API paths are the Web SDK's own (but WhatsApp's enroll, which it lacks).
  var METHODS = {
    EMAIL_OTP: { kind: "email", enroll: "/client/user-authenticators/email-otp",
                 challenge: "/client/challenge/email-otp", verify: "/client/verify/email-otp" },
    EMAIL_MAGIC_LINK: { kind: "link", enroll: "/client/user-authenticators/email-magic-link",
                        challenge: "/client/challenge/email-magic-link" },
    SMS: { kind: "phone", enroll: "/client/user-authenticators/sms",
           challenge: "/client/challenge/sms", verify: "/client/verify/sms", by: " by text message" },
    WHATSAPP: { kind: "phone", enroll: "/client/user-authenticators/whatsapp",
                challenge: "/client/challenge/whatsapp", verify: "/client/verify/whatsapp", by: " on WhatsApp" },
    AUTHENTICATOR_APP: { kind: "totp", verify: "/client/verify/totp" },
    PASSKEY: { kind: "passkey", options: "/client/user-authenticators/passkey/authentication-options",
               verify: "/client/verify/passkey" },
  };
  var FINALIZE_PATH = "/client/verify/email-magic-link/finalize";
  var HEADINGS = {
    EMAIL_OTP: "Verify your email",
    EMAIL_MAGIC_LINK: "Verify your email",
    SMS: "Verify your phone number",
    WHATSAPP: "Verify your phone number",
    AUTHENTICATOR_APP: "Enter your authenticator code",
    PASSKEY: "Use your passkey",
    TOTP_SETUP: "Set up your authenticator app",
    METHODS: "Use another method",
    BLOCKED: "Action blocked",
  };
  var methods = (config.methods || []).filter(function (m) { return METHOD_LABELS[m]; });
  var current = null;        // the method in use
  var email = config.email;  // the challenge's email and phone number, once known
  var phone = config.phoneNumber;
  var codeSentFor = null;    // the method this page last sent a code for ...
  var codeSentTo = null;     // ... and where
  var linkSentTo = null;     // where this page last sent a magic link
  var polling = false;       // whether it is waiting for the magic link to be opened
  var finished = false;
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
    if (finished) return;
    finished = true;
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

  function isCode(method) { return METHODS[method].kind === "email" || METHODS[method].kind === "phone"; }

  function showVerify(method) {
    var sent = isCode(method);
    byId("sent-note").hidden = !sent;
    byId("totp-note").hidden = sent;
    byId("resend").hidden = !sent;
    if (sent) byId("email-sent").textContent = codeSentTo + (METHODS[method].by || "");
    var length = sent ? config.codeLength : config.totpCodeLength;
    byId("code").maxLength = length;
    byId("code").value = "";
    if (sent) {
      show("verify-step", HEADINGS[method]);
    } else if (totpEnrolled) {
      show("verify-step", HEADINGS.AUTHENTICATOR_APP);
    } else {
      show(["totp-setup", "verify-step"], HEADINGS.TOTP_SETUP);
      byId("code").focus();
    }
  }

  function codeSent(method, to) {
    codeSentFor = method;
    codeSentTo = to;
    showVerify(method);
    say(METHODS[method].kind === "phone"
      ? "Code sent" + METHODS[method].by + "." : "Code sent. Check your inbox.", "info");
  }

  function showLinkWait() {
    byId("link-sent").textContent = linkSentTo;
    show("link-step", HEADINGS.EMAIL_MAGIC_LINK);
  }

  function linkSent(to) {
    linkSentTo = to;
    showLinkWait();
    say("Link sent. Check your inbox.", "info");
    startPolling();
  }

  // Wait for the magic link to be opened (anywhere), the way the Web SDK's
  // emailML.checkVerificationStatus() does: its finalize path, every second.
  function startPolling() {
    if (polling) return;
    polling = true;
    (async function poll() {
      while (polling && !finished) {
        await new Promise(function (resolve) { setTimeout(resolve, 1000); });
        var data = null;
        try {
          var response = await fetch(config.apiBase + FINALIZE_PATH, {
            method: "POST",
            headers: { "Authorization": "Bearer " + config.token, "Content-Type": "application/json" },
            body: "{}",
          });
          data = await response.json();
        } catch (e) { continue; }
        if (data && data.isVerified && data.accessToken) {
          polling = false;
          done(data.accessToken);
          return;
        }
        if (data && data.failureReason === "MAX_ATTEMPTS_EXCEEDED") {
          polling = false;
          failed();
          return;
        }
      }
    })();
  }

  function done(token) {
    byId("done-text").textContent = "Verified.";
    show("done-step");
    byId("close").hidden = true;
    say("");
    finish(token);
  }

  function useMethod(method) {
    current = method;
    say("");
    var info = METHODS[method];
    if (info.kind === "passkey") return show("passkey-step", HEADINGS.PASSKEY);
    if (info.kind === "totp") {
      if (totpEnrolled || totpSecret) {
        showVerify("AUTHENTICATOR_APP");
      } else {
        show([], HEADINGS.TOTP_SETUP);
        run(enrollTotp);
      }
      return;
    }
    if (info.kind === "link" && linkSentTo) return showLinkWait();
    if (info.kind !== "link" && codeSentFor === method) return showVerify(method);
    var to = info.kind === "phone" ? phone : email;
    if (to) {
      byId("email-shown").textContent = to;
      byId("send-what").textContent = info.kind === "link"
        ? "a sign-in link" : "a " + config.codeLength + "-digit code" + (info.by || "");
      byId("send-submit").textContent = info.kind === "link" ? "Send link" : "Send code";
      show("send-step", HEADINGS[method]);
    } else if (info.kind === "phone") {
      show("phone-step", HEADINGS[method]);
    } else {
      byId("email-intro").textContent = info.kind === "link"
        ? "Enter your email address and we'll send you a sign-in link."
        : "Enter your email address and we'll send you a code.";
      byId("email-submit").textContent = info.kind === "link" ? "Send link" : "Send code";
      show("email-step", HEADINGS[method]);
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

  // ----- passkeys: WebAuthn by hand (the JSON forms are base64url) -----------
  function bytesOf(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function base64urlOf(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The emulator's options (py_webauthn's JSON) as navigator.credentials.get takes them.
  function requestOptions(json) {
    return {
      challenge: bytesOf(json.challenge),
      timeout: json.timeout,
      rpId: json.rpId,
      userVerification: json.userVerification,
      allowCredentials: (json.allowCredentials || []).map(function (c) {
        var descriptor = { type: c.type, id: bytesOf(c.id) };
        if (c.transports) descriptor.transports = c.transports;
        return descriptor;
      }),
    };
  }

  // The assertion as the Web SDK sends it (what py_webauthn parses).
  function assertionJson(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: base64urlOf(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: base64urlOf(response.clientDataJSON),
        authenticatorData: base64urlOf(response.authenticatorData),
        signature: base64urlOf(response.signature),
        userHandle: response.userHandle ? base64urlOf(response.userHandle) : undefined,
      },
    };
  }

  // What to say when the browser's passkey prompt ends without a passkey.
  function passkeyProblem(error) {
    if (error && error.name === "SecurityError") {
      return "Passkeys for " + config.passkeyRpId + " can't be used on this page's address (" +
        window.location.hostname + "). Use another method.";
    }
    return "No passkey was used: the prompt was closed, timed out or found no passkey for this account. " +
      "Try again, or use another method.";
  }

  async function signInWithPasskey() {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      throw new Error("This browser can't use passkeys. Use another method.");
    }
    var started = await api(METHODS.PASSKEY.options);
    var credential;
    try {
      credential = await navigator.credentials.get({ publicKey: requestOptions(started.options) });
    } catch (e) {
      throw new Error(passkeyProblem(e));
    }
    if (!credential) throw new Error(passkeyProblem(null));
    var result = await api(METHODS.PASSKEY.verify, {
      authenticationCredential: assertionJson(credential),
      challengeId: started.challengeId,
    });
    if (result.isVerified) done(result.accessToken);
  }

  byId("passkey-start").addEventListener("click", function () { run(signInWithPasskey); });

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

  function sent(method, to) {
    if (METHODS[method].kind === "link") linkSent(to); else codeSent(method, to);
  }

  byId("email-step").addEventListener("submit", function (event) {
    event.preventDefault();
    var entered = byId("email").value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(entered)) {
      say("Enter a valid email address.");
      byId("email").focus();
      return;
    }
    var method = current;
    run(async function () {
      await api(METHODS[method].enroll, { email: entered });
      email = entered;
      sent(method, entered);
    });
  });

  byId("phone-step").addEventListener("submit", function (event) {
    event.preventDefault();
    var entered = byId("phone").value.trim();
    if (!entered) {
      say("Enter your phone number, starting with + and the country code.");
      byId("phone").focus();
      return;
    }
    var method = current;
    run(async function () {
      var result = await api(METHODS[method].enroll, { phoneNumber: entered });
      phone = result.phoneNumber || entered;
      sent(method, phone);
    });
  });

  byId("send-step").addEventListener("submit", function (event) {
    event.preventDefault();
    var method = current;
    run(async function () {
      await api(METHODS[method].challenge);
      sent(method, METHODS[method].kind === "phone" ? phone : email);
    });
  });

  byId("resend").addEventListener("click", function () {
    var method = current;
    run(async function () {
      await api(METHODS[method].challenge);
      codeSentFor = method;
      byId("code").value = "";
      say("We sent a new code.", "info");
      byId("code").focus();
    });
  });

  byId("resend-link").addEventListener("click", function () {
    run(async function () {
      await api(METHODS.EMAIL_MAGIC_LINK.challenge);
      say("We sent a new link. Earlier links no longer work.", "info");
    });
  });

  byId("verify-step").addEventListener("submit", function (event) {
    event.preventDefault();
    var method = current;
    var sentCode = isCode(method);
    var length = sentCode ? config.codeLength : config.totpCodeLength;
    var code = byId("code").value.replace(/\s+/g, "");
    if (!new RegExp("^\\d{" + length + "}$").test(code)) {
      say("Enter the " + length + "-digit code from " + (sentCode ? "the message." : "your authenticator app."));
      byId("code").focus();
      return;
    }
    run(async function () {
      var result = await api(METHODS[method].verify, { verificationCode: code });
      if (result.isVerified) {
        if (method === "AUTHENTICATOR_APP") totpEnrolled = true;
        polling = false;
        done(result.accessToken);
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
