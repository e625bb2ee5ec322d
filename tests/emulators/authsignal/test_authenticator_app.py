"""The authenticator app (TOTP) through the client API paths the Web SDK's
``totp.enroll()`` and ``totp.verify({code})`` call, with codes from pyotp."""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import requests
from authsignal import AuthsignalClient

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import ChallengeDriver, complete_challenge

ACTION = "cognitoAuth"


def challenge(client, emulator, user_id, email, **attributes) -> tuple[ChallengeDriver, dict]:
    track = client.track(user_id, ACTION, {"email": email, **attributes})
    return ChallengeDriver(emulator, track["token"]), track


def enroll(driver) -> dict:
    response = driver.enroll_totp()
    assert response.status_code == 200, response.text
    return response.json()


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret).at(when)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enrolled_user(client, emulator, clock, user_id, email) -> str:
    """A user who enrolled an authenticator app; returns its secret."""
    driver, _ = challenge(client, emulator, user_id, email)
    secret = enroll(driver)["secret"]
    assert driver.verify_totp(code_at(secret, clock.now)).json()["isVerified"] is True
    clock.advance(30)  # past the step that code used
    return secret


def test_enroll_answers_a_160_bit_base32_secret_and_its_otpauth_uri(timed_authsignal, timed_emulator, user_id, email):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    body = enroll(driver)

    assert set(body) == {"userAuthenticatorId", "userId", "uri", "secret"}
    assert body["userId"] == user_id
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert len(base64.b32decode(body["secret"])) == 20
    uri = urlsplit(body["uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Local Authsignal:{email}"
    assert parse_qs(uri.query) == {"secret": [body["secret"]], "issuer": ["Local Authsignal"]}
    totp = pyotp.parse_uri(body["uri"])
    assert (totp.digits, totp.interval, totp.digest().name) == (6, 30, "sha1")


def test_each_enrolment_gets_a_new_secret(timed_authsignal, timed_emulator, user_id, email):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    assert enroll(driver)["secret"] != enroll(driver)["secret"]


def test_enrol_then_verify_enrolls_the_app_and_completes_the_challenge(
    timed_authsignal, timed_emulator, clock, user_id, email
):
    driver, track = challenge(timed_authsignal, timed_emulator, user_id, email)
    enrolment = enroll(driver)
    assert timed_authsignal.get_user(user_id)["is_enrolled"] is False  # not before a code

    result = driver.verify_totp(code_at(enrolment["secret"], clock.now)).json()

    assert result["isVerified"] is True
    assert result["userAuthenticator"]["userAuthenticatorId"] == enrolment["userAuthenticatorId"]
    assert result["userAuthenticator"]["verificationMethod"] == "AUTHENTICATOR_APP"
    validation = timed_authsignal.validate_challenge({"token": result["accessToken"], "userId": user_id, "action": ACTION})
    assert (validation["is_valid"], validation["state"]) == (True, "CHALLENGE_SUCCEEDED")
    assert validation["verification_method"] == "AUTHENTICATOR_APP"
    [authenticator] = timed_authsignal.get_authenticators(user_id)
    assert authenticator["verification_method"] == "AUTHENTICATOR_APP"
    assert authenticator["user_authenticator_id"] == enrolment["userAuthenticatorId"]
    assert "secret" not in authenticator
    again = timed_authsignal.track(user_id, ACTION, {"email": email})
    assert again["is_enrolled"] is True
    assert again["enrolled_verification_methods"] == ["AUTHENTICATOR_APP"]
    assert again["default_verification_method"] == "AUTHENTICATOR_APP"
    assert timed_authsignal.get_action(user_id, ACTION, track["idempotency_key"])["verification_method"] == "AUTHENTICATOR_APP"


def test_an_enrolled_user_verifies_a_code_in_a_later_challenge(timed_authsignal, timed_emulator, clock, user_id, email):
    secret = enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    result = driver.verify_totp(code_at(secret, clock.now)).json()

    assert result["isVerified"] is True
    assert "userAuthenticator" not in result
    assert timed_authsignal.validate_challenge({"token": result["accessToken"]})["is_valid"] is True
    assert timed_authsignal.get_authenticators(user_id)[0]["last_verified_at"].endswith("Z")


def test_a_code_is_accepted_once_a_replay_is_refused(timed_authsignal, timed_emulator, clock, user_id, email):
    secret = enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    code = code_at(secret, clock.now)
    first, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    second, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    accepted = first.verify_totp(code).json()
    replayed = second.verify_totp(code).json()
    clock.advance(30)
    next_step = second.verify_totp(code_at(secret, clock.now)).json()

    assert accepted["isVerified"] is True
    assert replayed == {"isVerified": False, "failureReason": "CODE_INVALID_OR_EXPIRED", "attemptsRemaining": 4}
    assert next_step["isVerified"] is True


def test_concurrent_uses_of_one_code_succeed_exactly_once(timed_authsignal, timed_emulator, clock, user_id, email):
    secret = enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    code = code_at(secret, clock.now)
    drivers = [challenge(timed_authsignal, timed_emulator, user_id, email)[0] for _ in range(8)]
    results: list[bool] = []
    start = threading.Barrier(len(drivers))

    def worker(driver):
        start.wait()
        results.append(driver.verify_totp(code).json()["isVerified"])

    threads = [threading.Thread(target=worker, args=(driver,)) for driver in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(results) == [False] * 7 + [True]


def test_the_enrolment_code_cannot_be_replayed_either(timed_authsignal, timed_emulator, clock, user_id, email):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    code = code_at(enroll(driver)["secret"], clock.now)
    assert driver.verify_totp(code).json()["isVerified"] is True
    later, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    assert later.verify_totp(code).json()["isVerified"] is False


@pytest.mark.parametrize("skew, accepted", [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_one_step_of_clock_skew_either_way_is_accepted(
    timed_authsignal, timed_emulator, clock, user_id, email, skew, accepted
):
    secret = enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    clock.advance(60)  # well past the enrolment's step, so -2 steps is not a replay
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    result = driver.verify_totp(code_at(secret, clock.now + skew)).json()

    assert result["isVerified"] is accepted


def test_five_wrong_codes_fail_the_challenge(timed_authsignal, timed_emulator, clock, user_id, email):
    secret = enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    driver, track = challenge(timed_authsignal, timed_emulator, user_id, email)
    right = code_at(secret, clock.now)

    results = [driver.verify_totp(other_code(right)).json() for _ in range(5)]
    after = driver.verify_totp(right).json()

    assert [r["attemptsRemaining"] for r in results] == [4, 3, 2, 1, 0]
    assert [r["failureReason"] for r in results] == ["CODE_INVALID_OR_EXPIRED"] * 4 + ["MAX_ATTEMPTS_EXCEEDED"]
    assert after == {"isVerified": False, "failureReason": "MAX_ATTEMPTS_EXCEEDED", "attemptsRemaining": 0}
    action = timed_authsignal.get_action(user_id, ACTION, track["idempotency_key"])
    assert (action["state"], action["verification_method"]) == ("CHALLENGE_FAILED", "AUTHENTICATOR_APP")
    validation = timed_authsignal.validate_challenge({"token": track["token"]})
    assert (validation["is_valid"], validation["state"]) == (False, "CHALLENGE_FAILED")


def test_wrong_codes_during_enrolment_count_too(timed_authsignal, timed_emulator, clock, user_id, email):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    right = code_at(enroll(driver)["secret"], clock.now)

    for _ in range(5):
        driver.verify_totp(other_code(right))

    assert driver.verify_totp(right).json()["failureReason"] == "MAX_ATTEMPTS_EXCEEDED"
    assert timed_authsignal.get_authenticators(user_id) == []


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef"])
def test_a_malformed_code_is_a_wrong_code(timed_authsignal, timed_emulator, user_id, email, code):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    enroll(driver)

    assert driver.verify_totp(code).json()["attemptsRemaining"] == 4


def test_verify_without_an_authenticator_app_is_refused(timed_authsignal, timed_emulator, user_id, email):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    response = driver.verify_totp("123456")

    assert response.status_code == 400
    assert response.json()["errorDescription"] == "No authenticator app for this user: enroll one first."


def test_an_enrolled_user_cannot_enrol_a_second_app(timed_authsignal, timed_emulator, clock, user_id, email):
    enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    response = driver.enroll_totp()

    assert response.status_code == 400


def test_a_user_enrolled_otherwise_adds_an_app_only_with_scope_add_authenticators(
    timed_authsignal, timed_emulator, clock, user_id, email
):
    complete_challenge(timed_emulator, timed_authsignal.track(user_id, ACTION, {"email": email}), email)
    plain, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    scoped, _ = challenge(timed_authsignal, timed_emulator, user_id, email, scope="add:authenticators")

    refused = plain.enroll_totp()
    secret = enroll(scoped)["secret"]
    verified = scoped.verify_totp(code_at(secret, clock.now)).json()

    assert refused.status_code == 403
    assert "add:authenticators" in refused.json()["errorDescription"]
    assert verified["isVerified"] is True
    assert timed_authsignal.get_user(user_id)["enrolled_verification_methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]


def test_a_completed_challenge_takes_no_more_codes(timed_authsignal, timed_emulator, clock, user_id, email):
    secret = enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    driver.verify_totp(code_at(secret, clock.now))
    clock.advance(30)

    response = driver.verify_totp(code_at(secret, clock.now))

    assert response.status_code == 400
    assert response.json()["errorDescription"] == "This challenge is already complete."


def test_a_tenant_without_the_authenticator_app_refuses_it(user_id, email):
    config = AuthsignalEmulatorConfig(methods=("EMAIL_OTP",))
    with AuthsignalEmulator(config) as emulator:
        client = AuthsignalClient(config.secret, api_url=emulator.base_url)
        driver, _ = challenge(client, emulator, user_id, email)

        response = driver.enroll_totp()

    assert response.status_code == 400
    assert "not a verification method of this tenant" in response.json()["errorDescription"]


def test_the_qr_code_is_an_svg_of_the_pending_enrolment_with_a_strict_csp(
    timed_authsignal, timed_emulator, user_id, email
):
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)
    url = f"{timed_emulator.origin}/challenge/totp-qr-code"
    before = requests.get(url, headers=driver.headers, timeout=5)
    enroll(driver)

    response = requests.get(url, headers=driver.headers, timeout=5)
    anonymous = requests.get(url, timeout=5)

    assert before.status_code == 404
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg") and "<script" not in response.text
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert anonymous.status_code == 401


def test_an_authenticator_app_survives_a_restart(tmp_path, clock, user_id, email):
    config = AuthsignalEmulatorConfig(state_path=str(tmp_path / "authsignal.sqlite3"))
    with AuthsignalEmulator(config, clock=clock) as first:
        client = AuthsignalClient(config.secret, api_url=first.base_url)
        secret = enrolled_user(client, first, clock, user_id, email)

    with AuthsignalEmulator(config, clock=clock) as second:
        client = AuthsignalClient(config.secret, api_url=second.base_url)
        driver, _ = challenge(client, second, user_id, email)
        result = driver.verify_totp(code_at(secret, clock.now)).json()

    assert result["isVerified"] is True


def test_deleting_the_authenticator_forgets_its_secret(timed_authsignal, timed_emulator, clock, user_id, email):
    enrolled_user(timed_authsignal, timed_emulator, clock, user_id, email)
    [authenticator] = timed_authsignal.get_authenticators(user_id)
    timed_authsignal.delete_authenticator(user_id, authenticator["user_authenticator_id"])
    driver, _ = challenge(timed_authsignal, timed_emulator, user_id, email)

    assert driver.verify_totp("123456").status_code == 400
    assert enroll(driver)["secret"]


PREVIOUS_SCHEMA = """
CREATE TABLE users (user_id TEXT PRIMARY KEY, email TEXT, email_verified INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, phone_number TEXT, phone_number_verified INTEGER NOT NULL DEFAULT 0,
    username TEXT, display_name TEXT, custom TEXT, locale TEXT, default_verification_method TEXT);
CREATE TABLE authenticators (user_authenticator_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id),
    verification_method TEXT NOT NULL, email TEXT, phone_number TEXT, created_at REAL NOT NULL,
    verified_at REAL NOT NULL, last_verified_at REAL, UNIQUE (user_id, verification_method));
CREATE TABLE actions (idempotency_key TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id),
    action TEXT NOT NULL, state TEXT NOT NULL, email TEXT, redirect_url TEXT, created_at REAL NOT NULL,
    state_updated_at REAL NOT NULL, verification_method TEXT, validated_at REAL,
    wrong_codes INTEGER NOT NULL DEFAULT 0, code TEXT, code_expires_at REAL);
INSERT INTO users (user_id, email, email_verified, created_at) VALUES ('old', 'old@example.com', 1, 1700000000);
INSERT INTO authenticators VALUES ('a1', 'old', 'EMAIL_OTP', 'old@example.com', NULL, 1700000000, 1700000000, NULL);
INSERT INTO actions VALUES ('k1', 'old', 'cognitoAuth', 'CHALLENGE_REQUIRED', 'old@example.com', NULL,
    1700000000, 1700000000, NULL, NULL, 0, NULL, NULL);
"""


def test_a_state_file_from_before_the_authenticator_app_is_upgraded(tmp_path, clock, user_id, email):
    import sqlite3

    path = tmp_path / "authsignal.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(PREVIOUS_SCHEMA)
    config = AuthsignalEmulatorConfig(state_path=str(path))

    with AuthsignalEmulator(config, clock=clock) as emulator:
        client = AuthsignalClient(config.secret, api_url=emulator.base_url)
        old_action = client.get_action("old", ACTION, "k1")
        secret = enrolled_user(client, emulator, clock, user_id, email)
        tracked = client.track(user_id, ACTION, {"deviceId": "d1"})

        assert old_action["state"] == "CHALLENGE_REQUIRED"
        assert client.get_user("old")["enrolled_verification_methods"] == ["EMAIL_OTP"]
        assert emulator.store.get_action(tracked["idempotency_key"]).device_id == "d1"
        assert emulator.store.authenticator(user_id, "AUTHENTICATOR_APP").secret == secret
