// get and update actions, and the action-code pattern.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AuthsignalError, UserActionState } from "@authsignal/node";

import { ACTION, client, newEmail, newUserId } from "./helpers.mjs";

test("get action shows a tracked action with its output", async () => {
  const authsignal = client();
  const userId = newUserId();
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email: newEmail() } });

  const action = await authsignal.getAction({ userId, action: ACTION, idempotencyKey: track.idempotencyKey });

  assert.equal(action.state, UserActionState.CHALLENGE_REQUIRED);
  assert.ok(action.createdAt);
  assert.ok(action.stateUpdatedAt);
  assert.deepEqual(action.output, { custom: {} });
  assert.equal(action.verificationMethod, undefined);
});

test("update action sets the state that get action and validate then show", async () => {
  const authsignal = client();
  const userId = newUserId();
  const action = "Login";
  const track = await authsignal.track({ userId, action });
  const key = { userId, action, idempotencyKey: track.idempotencyKey };

  const updated = await authsignal.updateAction({ ...key, attributes: { state: UserActionState.REVIEW_REQUIRED } });
  const fetched = await authsignal.getAction(key);
  const validated = await authsignal.validateChallenge({ token: track.token });

  assert.equal(updated.state, UserActionState.REVIEW_REQUIRED);
  assert.equal(fetched.state, UserActionState.REVIEW_REQUIRED);
  assert.equal(validated.state, UserActionState.REVIEW_REQUIRED);
  assert.equal(validated.action, action);
  assert.equal(validated.isValid, false);
});

test("an action set to CHALLENGE_SUCCEEDED validates once", async () => {
  const authsignal = client();
  const userId = newUserId();
  const track = await authsignal.track({ userId, action: ACTION });

  await authsignal.updateAction({
    userId, action: ACTION, idempotencyKey: track.idempotencyKey,
    attributes: { state: UserActionState.CHALLENGE_SUCCEEDED },
  });

  assert.equal((await authsignal.validateChallenge({ action: ACTION, userId, token: track.token })).isValid, true);
  assert.equal((await authsignal.validateChallenge({ action: ACTION, userId, token: track.token })).isValid, false);
});

test("an action code outside ^[a-zA-Z0-9_-]{1,64}$ is a 400", async () => {
  await assert.rejects(
    client().track({ userId: newUserId(), action: "sign.in" }),
    (error) => error instanceof AuthsignalError && error.statusCode === 400 && /\^\[a-zA-Z0-9_-\]\{1,64\}\$/.test(error.errorDescription),
  );
});

test("an unknown state is a 400 listing the states", async () => {
  const authsignal = client();
  const userId = newUserId();
  const track = await authsignal.track({ userId, action: ACTION });

  await assert.rejects(
    authsignal.updateAction({ userId, action: ACTION, idempotencyKey: track.idempotencyKey, attributes: { state: "DONE" } }),
    (error) => error instanceof AuthsignalError && error.statusCode === 400 && error.errorDescription.includes("REVIEW_REQUIRED"),
  );
});
