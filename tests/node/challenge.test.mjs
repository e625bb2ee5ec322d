// track and validateChallenge exactly as the guide's lambdas call them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AuthsignalError, UserActionState } from "@authsignal/node";

import { ACTION, client, completeChallenge, newEmail, newUserId, origin } from "./helpers.mjs";

test("track answers a challenge with the pre-built UI's url and a token", async () => {
  const authsignal = client();
  const userId = newUserId();

  const result = await authsignal.track({ userId, action: ACTION, attributes: { email: newEmail() } });

  assert.equal(result.state, UserActionState.CHALLENGE_REQUIRED);
  assert.ok(result.url.startsWith(`${origin}/challenge?`));
  assert.ok(result.token);
  assert.ok(result.idempotencyKey);
  assert.equal(result.isEnrolled, false);
  assert.deepEqual(result.allowedVerificationMethods, ["EMAIL_OTP", "AUTHENTICATOR_APP"]);
  assert.deepEqual(result.enrolledVerificationMethods, []);
  // Not enrolled: the default is the tenant's first method.
  assert.equal(result.defaultVerificationMethod, "EMAIL_OTP");
});

test("a completed challenge validates exactly once for its user and action", async () => {
  const authsignal = client();
  const userId = newUserId();
  const email = newEmail();
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email } });
  const token = await completeChallenge(track.token, email);

  const first = await authsignal.validateChallenge({ action: ACTION, userId, token });
  const second = await authsignal.validateChallenge({ action: ACTION, userId, token });

  assert.equal(first.isValid, true);
  assert.equal(first.state, UserActionState.CHALLENGE_SUCCEEDED);
  assert.equal(first.userId, userId);
  assert.equal(first.action, ACTION);
  assert.equal(first.idempotencyKey, track.idempotencyKey);
  assert.equal(first.verificationMethod, "EMAIL_OTP");
  assert.equal(second.isValid, false);
});

test("a completed challenge enrolls the user with an email OTP authenticator", async () => {
  const authsignal = client();
  const userId = newUserId();
  const email = newEmail();
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email } });
  await completeChallenge(track.token, email);

  const again = await authsignal.track({ userId, action: ACTION, attributes: { email } });

  const authenticators = await authsignal.getAuthenticators({ userId });

  assert.equal(again.isEnrolled, true);
  assert.deepEqual(again.enrolledVerificationMethods, ["EMAIL_OTP"]);
  assert.equal(again.defaultVerificationMethod, "EMAIL_OTP");
  assert.deepEqual(authenticators.map((a) => [a.verificationMethod, a.email]), [["EMAIL_OTP", email]]);
});

test("a pending challenge does not validate and has no verificationMethod", async () => {
  const authsignal = client();
  const userId = newUserId();
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email: newEmail() } });

  const result = await authsignal.validateChallenge({ action: ACTION, userId, token: track.token });

  assert.equal(result.isValid, false);
  assert.equal(result.state, UserActionState.CHALLENGE_REQUIRED);
  assert.equal(result.verificationMethod, undefined);
});

test("a token validated for another user is refused", async () => {
  const authsignal = client();
  const userId = newUserId();
  const email = newEmail();
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email } });
  const token = await completeChallenge(track.token, email);

  await assert.rejects(
    authsignal.validateChallenge({ action: ACTION, userId: newUserId(), token }),
    (error) => error instanceof AuthsignalError && error.statusCode === 400 && error.errorDescription === "User is invalid.",
  );
  assert.equal((await authsignal.validateChallenge({ action: ACTION, userId, token })).isValid, true);
});

test("a token validated for another action is not valid", async () => {
  const authsignal = client();
  const userId = newUserId();
  const email = newEmail();
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email } });
  const token = await completeChallenge(track.token, email);

  const result = await authsignal.validateChallenge({ action: "changePassword", userId, token });

  assert.equal(result.isValid, false);
});
