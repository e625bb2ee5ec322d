// get, update, delete and query users, as the Node SDK's own suite does them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { VerificationMethod } from "@authsignal/node";

import { client, newEmail, newUserId } from "./helpers.mjs";

test("a user never seen is not enrolled and has no email", async () => {
  const user = await client().getUser({ userId: newUserId() });

  assert.equal(user.isEnrolled, false);
  assert.equal(user.email, undefined);
  assert.equal(user.phoneNumber, undefined);
  assert.equal(user.defaultVerificationMethod, undefined);
});

test("update user creates the user, echoes what it stored, and get user shows it", async () => {
  const authsignal = client();
  const userId = newUserId();
  const email = newEmail();
  const attributes = {
    email,
    phoneNumber: "+6427123456",
    username: email,
    displayName: "Test User",
    custom: { foo: "bar" },
  };

  const updated = await authsignal.updateUser({ userId, attributes });
  const user = await authsignal.getUser({ userId });

  assert.deepEqual(updated, { userId, ...attributes });
  assert.equal(user.email, email);
  assert.equal(user.phoneNumber, "+6427123456");
  assert.equal(user.username, email);
  assert.equal(user.displayName, "Test User");
  assert.deepEqual(user.custom, { foo: "bar" });
  assert.equal(user.isEnrolled, false);
});

test("update user leaves the fields it is not given unchanged", async () => {
  const authsignal = client();
  const userId = newUserId();
  await authsignal.updateUser({ userId, attributes: { displayName: "First", username: "first" } });

  const updated = await authsignal.updateUser({ userId, attributes: { displayName: "Second" } });

  assert.equal(updated.displayName, "Second");
  assert.equal(updated.username, "first");
  assert.equal(updated.email, undefined);
});

test("an enrolled user is enrolled, then not once deleted", async () => {
  const authsignal = client();
  const userId = newUserId();
  await authsignal.enrollVerifiedAuthenticator({
    userId,
    attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: "+6427000000" },
  });

  const enrolled = await authsignal.getUser({ userId });
  await authsignal.deleteUser({ userId });
  const deleted = await authsignal.getUser({ userId });

  assert.equal(enrolled.isEnrolled, true);
  assert.deepEqual(enrolled.enrolledVerificationMethods, ["SMS"]);
  assert.equal(enrolled.email, undefined);
  assert.equal(deleted.isEnrolled, false);
  assert.equal(deleted.phoneNumber, undefined);
  assert.deepEqual(await authsignal.getAuthenticators({ userId }), []);
});

test("query users filters by email and pages by lastEvaluatedUserId", async () => {
  const authsignal = client();
  const email = newEmail();
  const userIds = [newUserId(), newUserId(), newUserId()].sort();
  for (const userId of userIds) {
    await authsignal.updateUser({ userId, attributes: { email } });
  }

  const first = await authsignal.queryUsers({ email, limit: 2 });
  const second = await authsignal.queryUsers({ email, limit: 2, lastEvaluatedUserId: first.lastEvaluatedUserId });

  assert.deepEqual(first.users.map((u) => u.userId), userIds.slice(0, 2));
  assert.equal(first.lastEvaluatedUserId, userIds[1]);
  assert.deepEqual(second.users.map((u) => u.userId), userIds.slice(2));
  assert.equal(second.lastEvaluatedUserId, undefined);
  assert.equal(second.users[0].email, email);
  assert.equal(second.users[0].isEnrolled, false);
});
