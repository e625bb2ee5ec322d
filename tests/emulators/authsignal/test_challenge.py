"""The email OTP challenge behind the pre-built UI, through the client API."""

from __future__ import annotations

import logging
import re

import pytest
import requests
from authsignal import AuthsignalClient

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import ChallengeDriver, latest_code, wrong_code

ACTION = "cognitoAuth"


@pytest.fixture
def challenge(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    return ChallengeDriver(authsignal_emulator, track["token"]), track


def inbox(emulator, email):
    return requests.get(f"{emulator.origin}/_dev/inbox.json", params={"to": email}, timeout=5).json()


def test_send_code_mails_a_six_digit_code_to_the_dev_inbox(challenge, authsignal_emulator, email, caplog):
    driver, _ = challenge
    with caplog.at_level(logging.INFO, logger="emulators.authsignal"):
        response = driver.send_code()

    assert response.status_code == 200
    [message] = inbox(authsignal_emulator, email)
    assert message["to"] == email
    assert re.fullmatch(r"\d{6}", message["code"])
    assert message["code"] in message["subject"] and message["code"] in message["body"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["sentAt"])
    assert f"email OTP for {email}: {message['code']}" in caplog.text


def test_the_inbox_lists_newest_first_and_filters_by_recipient(challenge, authsignal_emulator, email):
    driver, _ = challenge
    driver.send_code()
    driver.send_code()

    messages = inbox(authsignal_emulator, email)
    everyone = requests.get(f"{authsignal_emulator.origin}/_dev/inbox.json", timeout=5).json()

    assert len(messages) == 2
    assert messages[0]["sentAt"] >= messages[1]["sentAt"]
    assert inbox(authsignal_emulator, email.upper()) == messages
    assert messages[0] in everyone


def test_the_right_code_verifies_and_returns_a_result_token(challenge, authsignal_emulator, email):
    driver, _ = challenge
    driver.send_code()

    result = driver.verify(latest_code(authsignal_emulator, email)).json()

    assert result["isVerified"] is True
    assert result["accessToken"].count(".") == 2


def test_a_wrong_code_says_so_and_lets_the_user_retry(challenge, authsignal_emulator, email):
    driver, _ = challenge
    driver.send_code()
    code = latest_code(authsignal_emulator, email)

    wrong = driver.verify(wrong_code(code)).json()
    right = driver.verify(code).json()

    assert wrong == {"isVerified": False, "failureReason": "CODE_INVALID_OR_EXPIRED", "attemptsRemaining": 4}
    assert right["isVerified"] is True


def test_five_wrong_codes_fail_the_challenge(challenge, authsignal, authsignal_emulator, user_id, email):
    driver, track = challenge
    driver.send_code()
    code = latest_code(authsignal_emulator, email)

    results = [driver.verify(wrong_code(code)).json() for _ in range(5)]
    after = driver.verify(code).json()

    assert [r["attemptsRemaining"] for r in results] == [4, 3, 2, 1, 0]
    assert results[-1]["failureReason"] == "MAX_ATTEMPTS_EXCEEDED"
    assert after == {"isVerified": False, "failureReason": "MAX_ATTEMPTS_EXCEEDED", "attemptsRemaining": 0}
    assert authsignal.get_action(user_id, ACTION, track["idempotency_key"])["state"] == "CHALLENGE_FAILED"
    resend = driver.send_code()
    assert resend.status_code == 400 and resend.json()["errorCode"] == "challenge_failed"


def test_a_new_code_replaces_the_old_one(challenge, authsignal_emulator, email):
    driver, _ = challenge
    driver.send_code()
    first = latest_code(authsignal_emulator, email)
    driver.send_code()
    second = latest_code(authsignal_emulator, email)
    if first == second:
        pytest.skip("the two random codes happened to be equal")

    assert driver.verify(first).json()["isVerified"] is False
    assert driver.verify(second).json()["isVerified"] is True


def test_codes_expire_after_their_lifetime(clock, user_id, email):
    # Codes and track tokens both live 10 minutes by default, so a shorter code
    # lifetime is what lets a code expire while its track token is still good.
    config = AuthsignalEmulatorConfig(code_ttl_seconds=120)
    with AuthsignalEmulator(config, clock=clock) as emulator:
        client = AuthsignalClient(config.secret, api_url=emulator.base_url)
        driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"email": email})["token"])
        driver.send_code()
        code = latest_code(emulator, email)
        clock.advance(119)
        still_good = driver.verify(wrong_code(code)).json()
        clock.advance(1)

        expired = driver.verify(code).json()
        driver.send_code()
        fresh = driver.verify(latest_code(emulator, email)).json()

    assert still_good["failureReason"] == "CODE_INVALID_OR_EXPIRED"
    assert expired == {"isVerified": False, "failureReason": "CODE_EXPIRED", "attemptsRemaining": 4}
    assert fresh["isVerified"] is True


def test_codes_live_ten_minutes_by_default(challenge, authsignal_emulator, email):
    driver, _ = challenge
    driver.send_code()

    assert AuthsignalEmulatorConfig().code_ttl_seconds == 600
    assert "It expires in 10 minutes." in inbox(authsignal_emulator, email)[0]["body"]


def test_at_most_twelve_sends_per_user_in_ten_minutes(timed_authsignal, timed_emulator, clock, user_id, email):
    # Two challenges of the same user share the limit.
    first = ChallengeDriver(timed_emulator, timed_authsignal.track(user_id, ACTION, {"email": email})["token"])
    second = ChallengeDriver(timed_emulator, timed_authsignal.track(user_id, ACTION, {"email": email})["token"])
    statuses = [first.send_code().status_code for _ in range(6)]
    statuses += [second.send_code().status_code for _ in range(6)]

    refused = second.send_code()
    clock.advance(601)
    later = ChallengeDriver(timed_emulator, timed_authsignal.track(user_id, ACTION, {"email": email})["token"])

    assert statuses == [200] * 12
    assert refused.status_code == 429
    assert refused.json()["errorCode"] == "too_many_requests"
    assert refused.json()["errorDescription"] == "Too many codes sent. Try again in 10 minutes."
    assert len(requests.get(f"{timed_emulator.origin}/_dev/inbox.json", params={"to": email}, timeout=5).json()) == 12
    assert later.send_code().status_code == 200


def test_a_challenge_without_email_enrolls_one_then_verifies(authsignal, authsignal_emulator, user_id, email):
    driver = ChallengeDriver(authsignal_emulator, authsignal.track(user_id, ACTION, {})["token"])

    no_email = driver.send_code()
    bad = driver.post("/user-authenticators/email-otp", {"email": "nope"})
    enrolled = driver.post("/user-authenticators/email-otp", {"email": email})
    result = driver.verify(latest_code(authsignal_emulator, email)).json()

    assert no_email.status_code == 400
    assert bad.status_code == 400 and bad.json()["errorDescription"] == "Enter a valid email address."
    assert enrolled.status_code == 200
    assert result["isVerified"] is True
    assert authsignal.get_user(user_id)["email"] == email


def test_a_completed_challenge_sends_no_more_codes(challenge, authsignal_emulator, email):
    driver, _ = challenge
    driver.send_code()
    driver.verify(latest_code(authsignal_emulator, email))

    again = driver.send_code()

    assert again.status_code == 400
    assert again.json()["errorDescription"] == "This challenge is already complete."


@pytest.mark.parametrize("body", [{}, {"verificationCode": 123456}, {"verificationCode": "  "}])
def test_verify_refuses_a_missing_or_malformed_code(challenge, body):
    driver, _ = challenge
    driver.send_code()

    response = driver.post("/verify/email-otp", body)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_request"


def test_verify_before_any_code_was_sent_is_refused(challenge):
    driver, _ = challenge

    response = driver.verify("123456")

    assert response.status_code == 400
    assert response.json()["errorDescription"] == "No code has been sent for this challenge yet."


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "unauthorized"),
        ({"Authorization": "Bearer not-a-token"}, "invalid_token"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, "unauthorized"),
    ],
)
def test_the_client_api_needs_a_track_token(authsignal_emulator, headers, code):
    response = requests.post(
        f"{authsignal_emulator.base_url}/client/challenge/email-otp", headers=headers, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["errorCode"] == code


def test_an_expired_track_token_says_expired_token(timed_authsignal, timed_emulator, clock, user_id, email):
    driver = ChallengeDriver(timed_emulator, timed_authsignal.track(user_id, ACTION, {"email": email})["token"])
    clock.advance(600)

    response = driver.send_code()

    assert response.status_code == 401
    assert response.json()["errorCode"] == "expired_token"
