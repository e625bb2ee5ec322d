from __future__ import annotations

import time

import pytest

from lambdas import create_auth_challenge, verify_auth_challenge_response
from lambdas.challenge import IDEMPOTENCY_KEY

from ..emulators.authsignal.helpers import ChallengeDriver, complete_challenge, latest_code, wrong_code
from . import events
from tests.support.servers import closed_port, silent_server


def verify(sub, answer, private=None) -> bool:
    event = events.verify_auth_challenge_response(sub, answer, private)
    return verify_auth_challenge_response.handler(event, None)["response"]["answerCorrect"]


@pytest.fixture
def challenge(lambda_env, user_id, email):
    """What the create trigger produced for this user: (private parameters, track response)."""
    created = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)["response"]
    url = created["publicChallengeParameters"]["url"]
    token = url.split("token=", 1)[1]
    return created["privateChallengeParameters"], {"token": token}


def test_a_token_won_by_the_user_is_correct_once(lambda_env, challenge, user_id, email):
    private, track = challenge
    token = complete_challenge(lambda_env, track, email)

    assert verify(user_id, token, private) is True
    assert verify(user_id, token, private) is False


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
    assert verify(user_id, answer, {IDEMPOTENCY_KEY: "k"}) is False


def test_authsignal_down_is_a_wrong_answer_not_an_error(lambda_env, monkeypatch, user_id):
    with closed_port() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        assert verify(user_id, "some.result.token") is False


def test_a_silent_authsignal_is_a_wrong_answer_within_cognitos_budget(lambda_env, monkeypatch, user_id):
    with silent_server() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        started = time.monotonic()
        assert verify(user_id, "some.result.token") is False
        elapsed = time.monotonic() - started

    # The default timeout (3 s) keeps the trigger inside Cognito's 5 seconds.
    assert 2.5 < elapsed < 4.5
