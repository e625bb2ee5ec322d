from __future__ import annotations

import hashlib
import json
import logging
import time

import pytest
from authsignal import AuthsignalClient

from lambdas import create_auth_challenge, parameter_store, verify_auth_challenge_response
from lambdas.challenge import IDEMPOTENCY_KEY, TRACK_TOKEN_HASH

from ..emulators.authsignal.helpers import ChallengeDriver, complete_challenge, latest_code, wrong_code
from . import events
from tests.support.servers import answering_server, closed_port, silent_server


def verify(sub, answer, private=None) -> bool:
    event = events.verify_auth_challenge_response(sub, answer, private)
    return verify_auth_challenge_response.handler(event, None)["response"]["answerCorrect"]


def triggers_log(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith("lambdas")]


def private_parameters(key="some-idempotency-key", track_token="some.track.token") -> dict:
    """Private parameters as Create makes them, for tests that never reach a real challenge."""
    return {IDEMPOTENCY_KEY: key, TRACK_TOKEN_HASH: hashlib.sha256(track_token.encode()).hexdigest()}


@pytest.fixture
def challenge(lambda_env, user_id, email):
    """What the create trigger produced for this user: (private parameters, track response)."""
    created = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)["response"]
    url = created["publicChallengeParameters"]["url"]
    token = url.split("token=", 1)[1]
    return created["privateChallengeParameters"], {"token": token}


def test_a_token_won_by_the_user_is_correct_once(lambda_env, challenge, caplog, user_id, email):
    caplog.set_level(logging.DEBUG, logger="lambdas")
    private, track = challenge
    token = complete_challenge(lambda_env, track, email)

    assert verify(user_id, token, private) is True
    assert triggers_log(caplog) == []
    assert verify(user_id, token, private) is False
    # Why, for whoever reads the trigger's log: Authsignal said not valid.
    [record] = triggers_log(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Authsignal's validate did not confirm this challenge (is_valid=False, "
        "state='CHALLENGE_SUCCEEDED'); not as expected: is_valid"
    )
    assert token not in caplog.text


def test_a_token_of_another_challenge_says_which_challenge_differs(lambda_env, challenge, caplog, user_id, email):
    private, _ = challenge
    other = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)["response"]
    other_token = complete_challenge(
        lambda_env, {"token": other["publicChallengeParameters"]["url"].split("token=", 1)[1]}, email
    )
    caplog.set_level(logging.DEBUG, logger="lambdas")

    assert verify(user_id, other_token, private) is False
    assert caplog.messages[-1].endswith("not as expected: idempotency_key")


def test_the_token_of_another_user_is_wrong(lambda_env, challenge, email):
    private, track = challenge
    token = complete_challenge(lambda_env, track, email)

    assert verify("another-user-sub", token, private) is False


def test_a_token_of_another_challenge_of_the_same_user_is_wrong(lambda_env, challenge, user_id, email):
    # E.g. a token won in another tab: valid at Authsignal, but not for this Cognito session.
    private, _ = challenge
    other = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)["response"]
    other_token = complete_challenge(
        lambda_env, {"token": other["publicChallengeParameters"]["url"].split("token=", 1)[1]}, email
    )

    assert verify(user_id, other_token, private) is False


def test_a_token_for_another_action_is_wrong(lambda_env, challenge, monkeypatch, user_id, email):
    private, track = challenge
    token = complete_challenge(lambda_env, track, email)
    monkeypatch.setenv("AUTHSIGNAL_ACTION", "changePassword")

    assert verify(user_id, token, private) is False


def test_a_pending_challenge_is_wrong(challenge, user_id):
    private, track = challenge

    assert verify(user_id, track["token"], private) is False


def test_a_failed_challenge_is_wrong(lambda_env, challenge, user_id, email):
    private, track = challenge
    driver = ChallengeDriver(lambda_env, track["token"])
    driver.send_code()
    bad = wrong_code(latest_code(lambda_env, email))
    for _ in range(5):
        driver.verify(bad)

    assert verify(user_id, track["token"], private) is False


@pytest.mark.parametrize("answer", ["", "garbage", "a.b.c", "x" * 5000])
def test_garbage_is_wrong(lambda_env, user_id, answer):
    assert verify(user_id, answer, private_parameters()) is False


def test_authsignal_down_is_a_wrong_answer_not_an_error(lambda_env, monkeypatch, user_id):
    with closed_port() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        assert verify(user_id, "some.result.token", private_parameters()) is False


def test_a_silent_authsignal_is_a_wrong_answer_within_cognitos_budget(lambda_env, monkeypatch, user_id):
    with silent_server() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        started = time.monotonic()
        assert verify(user_id, "some.result.token", private_parameters()) is False
        elapsed = time.monotonic() - started

    # The default timeout (3 s) keeps the trigger inside Cognito's 5 seconds.
    assert 2.5 < elapsed < 4.5


# The track token travels to the browser in the pre-built UI's url: an attacker
# who starts a sign-in for a victim's email and gets the victim to enter the
# code there must not be able to answer with the token from that url.


def test_the_track_token_from_the_url_is_wrong_even_once_the_challenge_is_won(
    lambda_env, challenge, caplog, user_id, email
):
    caplog.set_level(logging.DEBUG, logger="lambdas")
    private, track = challenge
    result_token = complete_challenge(lambda_env, track, email)

    assert verify(user_id, track["token"], private) is False
    # Answered after the track token, the result token still wins: the track
    # token was refused before Authsignal could mark the action validated.
    assert verify(user_id, result_token, private) is True
    assert track["token"] not in caplog.text and result_token not in caplog.text


def test_the_track_token_is_refused_without_asking_authsignal(lambda_env, challenge, monkeypatch, user_id, email):
    private, track = challenge
    complete_challenge(lambda_env, track, email)
    asked = []
    monkeypatch.setattr(AuthsignalClient, "validate_challenge", lambda self, body: asked.append(body))

    assert verify(user_id, track["token"], private) is False
    assert asked == []


@pytest.mark.parametrize(
    "keep",
    [
        pytest.param(None, id="no-private-parameters"),
        pytest.param([], id="empty-list"),
        pytest.param("not-a-dict", id="a-string"),
        pytest.param({IDEMPOTENCY_KEY}, id="no-track-token-hash"),
        pytest.param({TRACK_TOKEN_HASH}, id="no-idempotency-key"),
    ],
)
def test_missing_private_parameters_make_even_a_won_token_wrong(lambda_env, challenge, user_id, email, keep):
    private, track = challenge
    token = complete_challenge(lambda_env, track, email)
    event = events.verify_auth_challenge_response(user_id, token)
    event["request"]["privateChallengeParameters"] = (
        {name: private[name] for name in keep} if isinstance(keep, set) else keep
    )

    assert verify_auth_challenge_response.handler(event, None)["response"]["answerCorrect"] is False
    assert verify(user_id, token, private) is True  # refused before Authsignal: the token is still unused


def _raise(exc):
    raise exc


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda right: None, id="None"),
        pytest.param(lambda right: [right], id="a-list"),
        pytest.param(lambda right: "CHALLENGE_SUCCEEDED", id="a-string"),
        pytest.param(lambda right: {}, id="empty"),
        pytest.param(lambda right: {**right, "is_valid": "true"}, id="is_valid-a-string"),
        pytest.param(lambda right: {**right, "is_valid": 1}, id="is_valid-one"),
        pytest.param(lambda right: {k: v for k, v in right.items() if k != "idempotency_key"}, id="no-key"),
        pytest.param(lambda right: {**right, "user_id": [right["user_id"]]}, id="user_id-a-list"),
        pytest.param(lambda right: {**right, "state": None}, id="no-state"),
        pytest.param(lambda right: _raise(ValueError("odd")), id="ValueError"),
        pytest.param(lambda right: _raise(KeyError("is_valid")), id="KeyError"),
        pytest.param(lambda right: _raise(TypeError("odd")), id="TypeError"),
    ],
)
def test_an_odd_answer_from_the_sdk_is_wrong_not_an_error(lambda_env, monkeypatch, caplog, user_id, answer):
    caplog.set_level(logging.DEBUG, logger="lambdas")
    private = private_parameters()
    right = {
        "is_valid": True, "state": "CHALLENGE_SUCCEEDED", "user_id": user_id,
        "action": "cognitoAuth", "idempotency_key": private[IDEMPOTENCY_KEY],
    }
    monkeypatch.setattr(AuthsignalClient, "validate_challenge", lambda self, body: answer(right))

    assert verify(user_id, "some.result.token", private) is False
    assert "some.result.token" not in caplog.text


def test_the_right_shape_from_the_sdk_is_correct(lambda_env, monkeypatch, user_id):
    # The counterpart of the test above: its stub is right apart from the one odd field.
    private = private_parameters()
    right = {
        "is_valid": True, "state": "CHALLENGE_SUCCEEDED", "user_id": user_id,
        "action": "cognitoAuth", "idempotency_key": private[IDEMPOTENCY_KEY],
    }
    monkeypatch.setattr(AuthsignalClient, "validate_challenge", lambda self, body: dict(right))

    assert verify(user_id, "some.result.token", private) is True


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"null", "application/json"),
        (b"[]", "application/json"),
        (b'"CHALLENGE_SUCCEEDED"', "application/json"),
        (b"{}", "application/json"),
        (b'{"isValid": "true", "state": "CHALLENGE_SUCCEEDED"}', "application/json"),
        (b"<html>ok</html>", "text/html"),
        (b"not json", "application/json"),
    ],
)
def test_an_odd_body_from_authsignal_is_wrong_not_an_error(lambda_env, monkeypatch, user_id, body, content_type):
    with answering_server(body, content_type=content_type) as (origin, _):
        monkeypatch.setenv("AUTHSIGNAL_URL", f"{origin}/v1")
        assert verify(user_id, "some.result.token", private_parameters()) is False


class UnreachableSSM:
    def get_parameter(self, Name, WithDecryption):
        raise ConnectionError("Parameter Store is unreachable")


@pytest.mark.parametrize(
    "setting, value, logged",
    [
        ("AUTHSIGNAL_SECRET", None, "AUTHSIGNAL_SECRET is not set"),
        ("AUTHSIGNAL_URL", "https://api.authsignal.com", "AUTHSIGNAL_URL must be"),
        ("AUTHSIGNAL_TIMEOUT_SECONDS", "soon", "AUTHSIGNAL_TIMEOUT_SECONDS must be"),
        ("AUTHSIGNAL_SECRET_PARAMETER", "/authsignal/secret", "ConnectionError: Parameter Store is unreachable"),
    ],
)
def test_a_misconfigured_verify_grants_nothing_and_says_why(
    lambda_env, challenge, monkeypatch, caplog, user_id, email, setting, value, logged
):
    private, track = challenge
    token = complete_challenge(lambda_env, track, email)
    if setting == "AUTHSIGNAL_SECRET_PARAMETER":
        monkeypatch.delenv("AUTHSIGNAL_SECRET")
        monkeypatch.setattr(parameter_store, "_client", UnreachableSSM())
        parameter_store.forget_cached_parameters()
    if value is None:
        monkeypatch.delenv(setting)
    else:
        monkeypatch.setenv(setting, value)

    assert verify(user_id, token, private) is False
    assert [r.levelno for r in caplog.records if logged in r.getMessage()] == [logging.ERROR]
    assert token not in caplog.text


@pytest.mark.parametrize("attributes", ["oops", {"sub": ["a-sub"]}, {"sub": ""}])
def test_a_malformed_event_is_wrong_not_an_error(lambda_env, caplog, user_id, attributes):
    event = events.verify_auth_challenge_response(user_id, "some.result.token", private_parameters())
    event["request"]["userAttributes"] = attributes

    assert verify_auth_challenge_response.handler(event, None)["response"]["answerCorrect"] is False
    assert "some.result.token" not in caplog.text


# ----- a passkey sign-in linked by Create ------------------------------------------------
@pytest.mark.parametrize("method, correct", [("PASSKEY", True), ("EMAIL_OTP", False), (None, False)])
def test_a_challenge_linked_to_a_passkey_sign_in_takes_only_a_passkey(lambda_env, monkeypatch, user_id, method,
                                                                      correct):
    from lambdas.challenge import PASSKEY_CHALLENGE_ID

    private = {**private_parameters(), PASSKEY_CHALLENGE_ID: "passkey-challenge-1"}
    result = {
        "is_valid": True, "state": "CHALLENGE_SUCCEEDED", "user_id": user_id,
        "action": "cognitoAuth", "idempotency_key": private[IDEMPOTENCY_KEY],
        **({"verification_method": method} if method else {}),
    }
    monkeypatch.setattr(AuthsignalClient, "validate_challenge", lambda self, body: dict(result))

    assert verify(user_id, "some.result.token", private) is correct


def test_without_a_linked_passkey_any_method_of_this_challenge_is_correct(lambda_env, monkeypatch, user_id):
    private = private_parameters()
    result = {
        "is_valid": True, "state": "CHALLENGE_SUCCEEDED", "user_id": user_id, "action": "cognitoAuth",
        "idempotency_key": private[IDEMPOTENCY_KEY], "verification_method": "SMS",
    }
    monkeypatch.setattr(AuthsignalClient, "validate_challenge", lambda self, body: dict(result))

    assert verify(user_id, "some.result.token", private) is True
