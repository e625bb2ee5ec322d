// The benchmark's SPA: the client calls of Authsignal's Cognito + Amplify
// example, exactly as the guide makes them, and nothing else (no framework, no
// router, no styling), so what it costs the browser is the floor for a page
// that signs in this way. `make bench` bundles and minifies it with esbuild
// into bench/build/spa.js; bench/stack.py serves it with an index.html that
// carries the emulators' settings, as our Flask page carries its own.

import { Amplify } from "aws-amplify";
import { confirmSignIn, signIn, signUp } from "aws-amplify/auth";
import { Authsignal } from "@authsignal/browser";

const config = JSON.parse(document.getElementById("spa-config").textContent);

Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId: config.userPoolId,
      userPoolClientId: config.userPoolClientId,
      userPoolEndpoint: config.userPoolEndpoint,
    },
  },
});
const authsignal = new Authsignal({ tenantId: config.tenantId, baseUrl: config.baseUrl });

const form = document.getElementById("sign-in");
const emailInput = document.getElementById("email");
const statusEl = document.getElementById("status");

// The guide's throwaway password: Cognito wants one at sign-up; passwordless
// users never use it. Random, and meeting the default policy.
function randomPassword() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return "Aa1!" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function signInWithEmail(email) {
  try {
    await signUp({ username: email, password: randomPassword() });
  } catch (error) {
    if (error?.name !== "UsernameExistsException") throw error;
  }
  const { nextStep } = await signIn({ username: email, options: { authFlowType: "CUSTOM_WITHOUT_SRP" } });
  const url = nextStep.additionalInfo.url;
  const { token } = await authsignal.launch(url, { mode: "popup" });
  if (!token) throw new Error("Sign-in cancelled.");
  const { isSignedIn } = await confirmSignIn({ challengeResponse: token });
  if (!isSignedIn) throw new Error("Sign-in did not finish.");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = emailInput.value.trim();
  statusEl.textContent = "Signing in…";
  try {
    await signInWithEmail(email);
    form.hidden = true;
    statusEl.textContent = "";
    const heading = document.getElementById("heading");
    heading.textContent = `Signed in as ${email}`;
  } catch (error) {
    statusEl.textContent = error?.message ?? String(error);
  }
});
