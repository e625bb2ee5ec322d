// A bad secret gets the real API's 401, word for word, as the SDK reports it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AuthsignalError } from "@authsignal/node";

import { ACTION, client, newUserId } from "./helpers.mjs";

const DESCRIPTION =
  "The request is unauthorized. Check that your API key and region base URL are correctly configured.";

for (const [name, call] of [
  ["getUser", (authsignal) => authsignal.getUser({ userId: newUserId() })],
  ["track", (authsignal) => authsignal.track({ userId: newUserId(), action: ACTION })],
  ["validateChallenge", (authsignal) => authsignal.validateChallenge({ action: ACTION, userId: newUserId(), token: "x" })],
]) {
  test(`${name} with a bad secret is a 401 with the real API's text`, async () => {
    await assert.rejects(call(client("invalid_secret")), (error) => {
      assert.ok(error instanceof AuthsignalError);
      assert.equal(error.statusCode, 401);
      assert.equal(error.errorCode, "unauthorized");
      assert.equal(error.errorDescription, DESCRIPTION);
      assert.equal(error.message, `AuthsignalError: 401 - ${DESCRIPTION}`);
      return true;
    });
  });
}
