"""Authsignal's rules outcomes through Create and Verify: ALLOW skips the
challenge only after a password, and only through the server; BLOCK and
REVIEW_REQUIRED offer no challenge; the track token is an answer only where
Create recorded ALLOW and Authsignal's validate says ALLOW too."""

from __future__ import annotations

import hashlib
import time

import pytest
from authsignal import AuthsignalClient

from lambdas import create_auth_challenge, verify_auth_challenge_response
from lambdas.challenge import IDEMPOTENCY_KEY, PASSKEY_CHALLENGE_ID, RULES_ALLOWED, TRACK_TOKEN_HASH
from tests.support.servers import silent_server

from . import events

TRACK_TOKEN = "track.token.from-authsignal"
KEY = "idempotency-key-1"


def tracked(state: str) -> dict:
    """Track's answer (decamelized by the SDK) with the rules' outcome ``state``."""
    return {
        "state": state, "idempotency_key": KEY, "token": TRACK_TOKEN,
        "url": f"http://127.0.0.1:9230/challenge?token={TRACK_TOKEN}",
    }


@pytest.fixture
def track_calls(lambda_env, monkeypatch):
    calls = []

    def answer(state):
        def track(self, user_id, action, attributes=None):
            calls.append({"user_id": user_id, "action": action, "attributes": attributes})
            return tracked(state)

        monkeypatch.setattr(AuthsignalClient, "track", track)

    return calls, answer


def create(sub, email="user@example.com", metadata=None) -> dict:
    event = events.create_auth_challenge(sub, email)
    event["request"]["clientMetadata"] = metadata
    return create_auth_challenge.handler(event, None)["response"]


def test_create_passes_the_device_address_and_user_agent_to_the_rules(track_calls, user_id):
    calls, answer = track_calls
    answer("CHALLENGE_REQUIRED")

    create(user_id, metadata={"deviceId": "device-1", "ipAddress": "203.0.113.7", "userAgent": "UA/1", "other": "x"})

    assert calls[0]["attributes"] == {
        "email": "user@example.com", "deviceId": "device-1", "ipAddress": "203.0.113.7", "userAgent": "UA/1",
    }


def test_after_a_password_allow_hands_the_track_token_to_the_server_and_records_it(track_calls, monkeypatch, user_id):
    _, answer = track_calls
    answer("ALLOW")
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")

    response = create(user_id)

    assert response["publicChallengeParameters"] == {"state": "ALLOW", "token": TRACK_TOKEN}
    assert response["privateChallengeParameters"][RULES_ALLOWED] == "ALLOW"


def test_passwordless_allow_still_shows_the_challenge(track_calls, monkeypatch, user_id):
    _, answer = track_calls
    answer("ALLOW")
    monkeypatch.setenv("SIGN_IN_FLOW", "passwordless")

    response = create(user_id)

    assert response["publicChallengeParameters"]["state"] == "CHALLENGE_REQUIRED"
    assert "url" in response["publicChallengeParameters"]
    assert "token" not in response["publicChallengeParameters"]
    assert RULES_ALLOWED not in response["privateChallengeParameters"]


@pytest.mark.parametrize("flow", ["passwordless", "password_mfa"])
@pytest.mark.parametrize("state", ["BLOCK", "REVIEW_REQUIRED"])
def test_a_refused_sign_in_offers_no_challenge(track_calls, monkeypatch, user_id, flow, state):
    _, answer = track_calls
    answer(state)
    monkeypatch.setenv("SIGN_IN_FLOW", flow)

    response = create(user_id)

    assert response["publicChallengeParameters"] == {"state": state}


# ----- Verify --------------------------------------------------------------------
def private(allowed: bool) -> dict:
    parameters = {IDEMPOTENCY_KEY: KEY, TRACK_TOKEN_HASH: hashlib.sha256(TRACK_TOKEN.encode()).hexdigest()}
    if allowed:
        parameters[RULES_ALLOWED] = "ALLOW"
    return parameters


def validated(state: str, user_id: str) -> dict:
    return {"is_valid": True, "state": state, "user_id": user_id, "action": "cognitoAuth", "idempotency_key": KEY}


@pytest.fixture
def validate_answers(lambda_env, monkeypatch):
    def answer(result):
        monkeypatch.setattr(AuthsignalClient, "validate_challenge", lambda self, body: dict(result))

    return answer


def verify(sub, answer, parameters) -> bool:
    event = events.verify_auth_challenge_response(sub, answer, parameters)
    return verify_auth_challenge_response.handler(event, None)["response"]["answerCorrect"]


def test_the_track_token_is_right_where_create_recorded_allow_and_authsignal_agrees(
    validate_answers, monkeypatch, user_id
):
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    validate_answers(validated("ALLOW", user_id))

    assert verify(user_id, TRACK_TOKEN, private(allowed=True)) is True


@pytest.mark.parametrize(
    "flow, allowed, state",
    [
        ("password_mfa", False, "ALLOW"),  # Create did not record ALLOW
        ("passwordless", True, "ALLOW"),  # never without a password
        ("password_mfa", True, "CHALLENGE_SUCCEEDED"),  # the track token is no result token
        ("password_mfa", True, "CHALLENGE_REQUIRED"),
        ("password_mfa", True, "BLOCK"),
    ],
)
def test_otherwise_the_track_token_is_wrong(validate_answers, monkeypatch, user_id, flow, allowed, state):
    monkeypatch.setenv("SIGN_IN_FLOW", flow)
    validate_answers(validated(state, user_id))

    assert verify(user_id, TRACK_TOKEN, private(allowed=allowed)) is False


def test_allow_for_another_user_is_wrong(validate_answers, monkeypatch, user_id):
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    validate_answers(validated("ALLOW", "someone-else"))

    assert verify(user_id, TRACK_TOKEN, private(allowed=True)) is False


def test_a_result_token_still_needs_challenge_succeeded_after_allow(validate_answers, monkeypatch, user_id):
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    validate_answers(validated("ALLOW", user_id))

    assert verify(user_id, "a.result.token", private(allowed=True)) is False


def test_create_tells_authsignal_where_redirect_mode_returns(track_calls, monkeypatch, user_id):
    calls, answer = track_calls
    answer("CHALLENGE_REQUIRED")
    monkeypatch.setenv("AUTHSIGNAL_REDIRECT_URL", "https://app.example.com/auth/callback")

    create(user_id)

    assert calls[0]["attributes"]["redirectUrl"] == "https://app.example.com/auth/callback"


def test_a_malformed_redirect_url_is_a_configuration_error(lambda_env, monkeypatch, user_id):
    from lambdas.settings import ConfigurationError

    monkeypatch.setenv("AUTHSIGNAL_REDIRECT_URL", "app.example.com/callback")

    with pytest.raises(ConfigurationError, match="AUTHSIGNAL_REDIRECT_URL"):
        create(user_id)


def test_create_passes_the_phone_number_cognito_has(track_calls, user_id):
    calls, answer = track_calls
    answer("CHALLENGE_REQUIRED")
    event = events.create_auth_challenge(user_id, "user@example.com")
    event["request"]["userAttributes"]["phone_number"] = "+447700900123"

    create_auth_challenge.handler(event, None)

    assert calls[0]["attributes"]["phoneNumber"] == "+447700900123"


# ----- passkeys --------------------------------------------------------------------
def test_without_a_passkey_sign_in_create_tracks_no_challenge_id(lambda_env, monkeypatch, user_id):
    calls = []
    real_track = AuthsignalClient.track

    def track(self, user, action, attributes=None):
        calls.append(attributes)
        return real_track(self, user, action, attributes)

    monkeypatch.setattr(AuthsignalClient, "track", track)

    create(user_id)  # the local Authsignal answers 404: no passkey challenge

    assert "challengeId" not in calls[0]


def test_a_passkey_challenge_under_way_is_linked_by_its_id(track_calls, monkeypatch, user_id):
    from lambdas import create_auth_challenge as create_module

    calls, answer = track_calls
    answer("CHALLENGE_SUCCEEDED")
    asked = []
    monkeypatch.setattr(
        create_module, "passkey_challenge_id",
        lambda client, settings, sub: asked.append((sub, settings.action)) or "challenge-123",
    )

    response = create(user_id)

    assert asked == [(user_id, "cognitoAuth")]
    assert calls[0]["attributes"]["challengeId"] == "challenge-123"
    assert "url" in response["publicChallengeParameters"]
    # Verify will take only a passkey's verification for this challenge.
    assert response["privateChallengeParameters"][PASSKEY_CHALLENGE_ID] == "challenge-123"


def test_without_a_passkey_sign_in_the_challenge_is_not_marked_as_one(track_calls, monkeypatch, user_id):
    from lambdas import create_auth_challenge as create_module

    _, answer = track_calls
    answer("CHALLENGE_REQUIRED")
    monkeypatch.setattr(create_module, "passkey_challenge_id", lambda client, settings, sub: None)

    assert PASSKEY_CHALLENGE_ID not in create(user_id)["privateChallengeParameters"]


def test_a_silent_passkey_lookup_leaves_track_most_of_cognitos_budget(lambda_env, monkeypatch, user_id):
    """Lookup and track share Cognito's 5 seconds: a lookup that gets no
    answer gives up after 1 s, and the sign-in goes on without a passkey."""
    from lambdas.authsignal_client import authsignal_client
    from lambdas.create_auth_challenge import passkey_challenge_id
    from lambdas.settings import AuthsignalSettings

    with silent_server() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        settings = AuthsignalSettings.from_environment()
        started = time.monotonic()
        found = passkey_challenge_id(authsignal_client(settings), settings, user_id)
        elapsed = time.monotonic() - started

    assert found is None
    assert elapsed < 2.0  # the lookup's own timeout, not track's 3 s


def test_the_passkey_lookup_reads_the_real_endpoints_answer(lambda_env, user_id):
    """Against the local Authsignal's GET /v1/challenges: a passkey challenge
    started but never verified is nothing to link (tracked with it, the
    sign-in would fail); the verified one is linked in the browser tests."""
    import requests as http

    from lambdas.authsignal_client import authsignal_client
    from lambdas.create_auth_challenge import passkey_challenge_id
    from lambdas.settings import AuthsignalSettings

    settings = AuthsignalSettings.from_environment()
    client = authsignal_client(settings)
    before = passkey_challenge_id(client, settings, user_id)
    track_token = client.track(user_id, settings.action, {"email": "user@example.com"})["token"]
    bearer = {"Authorization": f"Bearer {track_token}"}
    started = http.post(f"{lambda_env.base_url}/client/challenge", json={"action": settings.action},
                        headers=bearer, timeout=5).json()
    http.post(f"{lambda_env.base_url}/client/user-authenticators/passkey/authentication-options",
              json={"challengeId": started["challengeId"]}, headers=bearer, timeout=5).raise_for_status()

    assert started["challengeId"]
    assert before is None
    assert passkey_challenge_id(client, settings, user_id) is None


def test_a_passkey_link_authsignal_refuses_leaves_an_ordinary_challenge(lambda_env, monkeypatch, user_id):
    """A challenge id the lookup listed but track refuses (already linked,
    expired meanwhile) must not fail the sign-in: it goes on without it."""
    from authsignal.client import ApiException

    from lambdas import create_auth_challenge as create_module

    monkeypatch.setattr(create_module, "passkey_challenge_id", lambda client, settings, sub: "stale-challenge")
    real_track = AuthsignalClient.track
    sent = []

    def track(self, user, action, attributes=None):
        sent.append(dict(attributes))
        if "challengeId" in attributes:
            raise ApiException("invalid_request", "challengeId has already been used by a track.", 400)
        return real_track(self, user, action, attributes)

    monkeypatch.setattr(AuthsignalClient, "track", track)

    response = create(user_id)

    assert [("challengeId" in attributes) for attributes in sent] == [True, False]
    assert "url" in response["publicChallengeParameters"]
    assert PASSKEY_CHALLENGE_ID not in response["privateChallengeParameters"]


def test_an_authsignal_outage_while_linking_still_fails_create(lambda_env, monkeypatch, user_id):
    from authsignal.client import ApiException

    from lambdas import create_auth_challenge as create_module

    monkeypatch.setattr(create_module, "passkey_challenge_id", lambda client, settings, sub: "challenge-1")

    def track(self, user, action, attributes=None):
        raise ApiException("server_error", "unavailable", 503)

    monkeypatch.setattr(AuthsignalClient, "track", track)

    with pytest.raises(ApiException):
        create(user_id)
