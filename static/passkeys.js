// The signed-in page: "Add a passkey" with the unmodified Web SDK. Shown only
// where the browser has WebAuthn and this device holds no passkey of this user
// (the SDK remembers the ones it made or used here). The server obtains the
// enrolment token; the page reloads to list the new passkey.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("passkey-config").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var button = document.getElementById("add-passkey");
  var status = document.getElementById("passkey-status");
  if (!button || !window.PublicKeyCredential) return;
  var authsignal = new window.authsignal.Authsignal({ tenantId: config.tenantId, baseUrl: config.authsignalUrl });

  authsignal.passkey.isAvailableOnDevice({ userId: config.userId })
    .then(function (available) { button.hidden = available; })
    .catch(function () { button.hidden = false; });

  function done(message) {
    status.textContent = message;
    button.disabled = false;
    button.focus();
  }

  async function enrolmentToken() {
    var response = await fetch(config.enrolmentUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: "{}",
    });
    var data = {};
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) throw new Error(data.message || "Something went wrong. Try again.");
    return data;
  }

  button.addEventListener("click", async function () {
    button.disabled = true;
    status.textContent = "Follow your browser's prompt to create the passkey…";
    var enrolment, result;
    try {
      enrolment = await enrolmentToken();
    } catch (e) {
      return done(e.message === "Failed to fetch" ? "Could not reach the server. Try again." : e.message);
    }
    try {
      result = await authsignal.passkey.signUp({ token: enrolment.token, username: enrolment.username });
    } catch (e) {
      // NotAllowedError: the prompt was cancelled or timed out.
      return done(e && e.name === "InvalidStateError" ? "This device already has a passkey for your account."
                                                       : "No passkey was created.");
    }
    if (!result || result.error || !result.data || !result.data.token) {
      return done((result && result.error) || "No passkey was created.");
    }
    status.textContent = "Passkey added.";
    window.location.reload();
  });
})();
