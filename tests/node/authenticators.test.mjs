// enroll (already verified), list and delete authenticators.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AuthsignalError, VerificationMethod } from "@authsignal/node";

import { ACTION, client, newEmail, newUserId } from "./helpers.mjs";

test("an enrolled SMS authenticator is listed, then gone once deleted", async () => {
  const authsignal = client();
  const userId = newUserId();

  const enrolled = await authsignal.enrollVerifiedAuthenticator({
    userId,
    attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: "+6427000000" },
  });
  const listed = await authsignal.getAuthenticators({ userId });
  await authsignal.deleteAuthenticator({ userId, userAuthenticatorId: listed[0].userAuthenticatorId });
  const after = await authsignal.getAuthenticators({ userId });

  assert.ok(enrolled.authenticator.userAuthenticatorId);
  assert.equal(enrolled.authenticator.verificationMethod, VerificationMethod.SMS);
  assert.equal(enrolled.authenticator.phoneNumber, "+6427000000");
  assert.equal(enrolled.authenticator.userId, userId);
  assert.equal(enrolled.authenticator.email, undefined);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].userAuthenticatorId, enrolled.authenticator.userAuthenticatorId);
  assert.deepEqual(after, []);
});

test("an enrolled email OTP authenticator makes track report the user enrolled", async () => {
  const authsignal = client();
  const userId = newUserId();
  const email = newEmail();

  const enrolled = await authsignal.enrollVerifiedAuthenticator({
    userId,
    attributes: { verificationMethod: VerificationMethod.EMAIL_OTP, email },
  });
  const track = await authsignal.track({ userId, action: ACTION, attributes: { email } });

  assert.equal(enrolled.authenticator.email, email);
  assert.equal(enrolled.authenticator.phoneNumber, undefined);
  assert.equal(track.isEnrolled, true);
  assert.deepEqual(track.enrolledVerificationMethods, ["EMAIL_OTP"]);
  assert.equal((await authsignal.getUser({ userId })).email, email);
});

test("deleting an authenticator the user does not have is a 404", async () => {
  await assert.rejects(
    client().deleteAuthenticator({ userId: newUserId(), userAuthenticatorId: "no-such-authenticator" }),
    (error) => error instanceof AuthsignalError && error.statusCode === 404,
  );
});

test("enrolling without the method's address is a 400 saying what is missing", async () => {
  await assert.rejects(
    client().enrollVerifiedAuthenticator({
      userId: newUserId(),
      attributes: { verificationMethod: VerificationMethod.SMS },
    }),
    (error) =>
      error instanceof AuthsignalError &&
      error.statusCode === 400 &&
      error.errorDescription === "phoneNumber is required to enroll SMS.",
  );
});
