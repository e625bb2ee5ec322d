// The client calls of Authsignal's Cognito + Amplify example SPA, unmodified in
// what they send: aws-amplify v6 against the local Cognito, the Web SDK's
// popup against the local Authsignal. Bundled by `make setup` (esbuild) into
// build/amplify-client.js; tests/e2e/test_guide_amplify_client.py (passwordless)
// and tests/e2e/test_guide_amplify_srp.py (password + MFA) load the bundle into
// a page and call `window.guide.*` one step at a time, so they can check what
// each step returns. Results are plain JSON for page.evaluate.

import { Amplify } from "aws-amplify";
import {
  confirmResetPassword,
  confirmSignIn,
  fetchAuthSession,
  getCurrentUser,
  resetPassword,
  signIn,
  signOut,
  signUp,
} from "aws-amplify/auth";
import { Authsignal } from "@authsignal/browser";

let authsignal = null;

// Amplify's errors (AuthError) and others, as JSON.
function describe(error) {
  return { name: error?.name ?? "Error", message: error?.message ?? String(error) };
}

// The guide's throwaway password: Cognito wants one at sign-up, passwordless
// users never use it. Random, and meeting the default policy (upper, lower,
// digit, symbol, length).
function randomPassword() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const random = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `Aa1!${random}`;
}

function tokensAsJson(tokens) {
  if (!tokens) return null;
  return {
    accessToken: tokens.accessToken?.toString() ?? null,
    idToken: tokens.idToken?.toString() ?? null,
    accessTokenPayload: tokens.accessToken?.payload ?? null,
    idTokenPayload: tokens.idToken?.payload ?? null,
  };
}

export function configure({ userPoolId, userPoolClientId, userPoolEndpoint, tenantId, baseUrl }) {
  Amplify.configure({ Auth: { Cognito: { userPoolId, userPoolClientId, userPoolEndpoint } } });
  authsignal = new Authsignal({ tenantId, baseUrl });
}

// The guide signs every user up first and lets a returning one through.
export async function signUpIfNew(email) {
  try {
    const output = await signUp({ username: email, password: randomPassword() });
    return { created: true, output };
  } catch (error) {
    if (error?.name === "UsernameExistsException") return { created: false, error: describe(error) };
    throw error;
  }
}

export async function startSignIn(email) {
  return signIn({ username: email, options: { authFlowType: "CUSTOM_WITHOUT_SRP" } });
}

// The guide's password + MFA variant: a real password at sign-up (kept by
// Cognito as an SRP verifier), then CUSTOM_WITH_SRP: Amplify proves the
// password (PASSWORD_VERIFIER) inside signIn, and the next step is the same
// Authsignal challenge.
export async function signUpWithPassword(email, password) {
  return signUp({ username: email, password, options: { userAttributes: { email } } });
}

export async function startSignInWithPassword(email, password) {
  return signIn({ username: email, password, options: { authFlowType: "CUSTOM_WITH_SRP" } });
}

// Forgotten password: ForgotPassword mails a code, ConfirmForgotPassword sets
// the new password with it.
export async function requestPasswordReset(email) {
  return resetPassword({ username: email });
}

export async function confirmPasswordReset(email, confirmationCode, newPassword) {
  await confirmResetPassword({ username: email, confirmationCode, newPassword });
  return { reset: true };
}

// Resolves with { token } once the pre-built UI in the popup is done.
export async function launchPopup(url) {
  return authsignal.launch(url, { mode: "popup" });
}

export async function answerChallenge(token) {
  return confirmSignIn({ challengeResponse: token });
}

export async function currentUser() {
  const { username, userId, signInDetails } = await getCurrentUser();
  return { username, userId, signInDetails: signInDetails ?? null };
}

export async function session({ forceRefresh = false } = {}) {
  const { tokens, userSub } = await fetchAuthSession({ forceRefresh });
  return { userSub: userSub ?? null, tokens: tokensAsJson(tokens) };
}

export async function signOutEverywhere() {
  await signOut({ global: true });
}

// The test starts a step without waiting (the popup needs driving first) and
// collects its outcome later: { ok, value } or { ok: false, error }. A step
// still unsettled after `timeoutMs` is a failure, not a test that hangs.
const pending = new Map();
const DEFAULT_TIMEOUT_MS = 15000;

export function start(name, step, ...args) {
  const run = Promise.resolve()
    .then(() => guide[step](...args))
    .then(
      (value) => ({ ok: true, value: value === undefined ? null : value }),
      (error) => ({ ok: false, error: describe(error) }),
    );
  pending.set(name, run);
}

export function outcome(name, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const run = pending.get(name);
  if (!run) throw new Error(`no step started as ${name}`);
  pending.delete(name);
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => {
      const message = `${name} did not settle within ${timeoutMs} ms`;
      resolve({ ok: false, error: { name: "Timeout", message } });
    }, timeoutMs);
  });
  return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
}

export async function call(step, ...args) {
  start(step, step, ...args);
  return outcome(step);
}

const guide = {
  configure,
  signUpIfNew,
  startSignIn,
  signUpWithPassword,
  startSignInWithPassword,
  requestPasswordReset,
  confirmPasswordReset,
  launchPopup,
  answerChallenge,
  currentUser,
  session,
  signOutEverywhere,
  start,
  outcome,
  call,
};

window.guide = guide;
