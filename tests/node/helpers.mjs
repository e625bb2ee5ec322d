// What the Node tests share: the unmodified @authsignal/node SDK pointed at
// the local Authsignal named by the environment (the same variable names as
// the SDK's own suite), and the pre-built UI's steps done over HTTP.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { Authsignal } from "@authsignal/node";

export const apiUrl = process.env.AUTHSIGNAL_API_URL;
export const apiSecretKey = process.env.AUTHSIGNAL_API_SECRET_KEY;

if (!apiUrl || !apiSecretKey) {
  throw new Error("Set AUTHSIGNAL_API_URL and AUTHSIGNAL_API_SECRET_KEY to a local Authsignal's base URL and secret");
}

/** The emulator's origin: the base URL without its /v1. */
export const origin = new URL(apiUrl).origin;

/** The action the guide's lambdas track and validate. */
export const ACTION = "cognitoAuth";

export function client(secret = apiSecretKey) {
  return new Authsignal({ apiSecretKey: secret, apiUrl });
}

export function newUserId() {
  return randomUUID();
}

export function newEmail() {
  return `node-${randomUUID().slice(0, 12)}@example.com`;
}

async function clientApi(path, trackToken, body = {}) {
  const response = await fetch(`${apiUrl}/client${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${trackToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

/** What a user does in the pre-built UI: send a code, read it from the dev
 * inbox, verify it. Returns the result token the UI hands back to the app. */
export async function completeChallenge(trackToken, email) {
  await clientApi("/challenge/email-otp", trackToken);
  const inbox = await fetch(`${origin}/_dev/inbox.json?to=${encodeURIComponent(email)}`).then((r) => r.json());
  assert.ok(inbox.length > 0, `no email for ${email} in the dev inbox`);
  const result = await clientApi("/verify/email-otp", trackToken, { verificationCode: inbox[0].code });
  assert.equal(result.isVerified, true);
  return result.accessToken;
}
