from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authsignal.client import ApiException

from lambdas import create_auth_challenge
from lambdas.challenge import IDEMPOTENCY_KEY

from . import events
from tests.support.servers import closed_port, silent_server


def test_tracks_the_sign_in_and_returns_the_prebuilt_ui_url(lambda_env, user_id, email):
    event = events.create_auth_challenge(user_id, email)

    result = create_auth_challenge.handler(event, None)

    response = result["response"]
    assert set(response["publicChallengeParameters"]) == {"url"}
    url = response["publicChallengeParameters"]["url"]
    assert url.startswith(f"{lambda_env.origin}/challenge?")
    token = parse_qs(urlsplit(url).query)["token"][0]
    claims = jwt.decode(token, lambda_env.config.secret, algorithms=["HS256"])
    assert claims["sub"] == user_id
    assert claims["other"]["actionCode"] == "cognitoAuth"
    assert response["privateChallengeParameters"] == {IDEMPOTENCY_KEY: claims["other"]["idempotencyKey"]}
    assert response["challengeMetadata"] == "AUTHSIGNAL_CHALLENGE"
    # The email went to Authsignal: the pre-built UI shows it.
    assert email in requests.get(url, timeout=5).text


def test_the_action_name_comes_from_the_environment(lambda_env, monkeypatch, user_id, email):
    monkeypatch.setenv("AUTHSIGNAL_ACTION", "signInWithEmail")

    result = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)

    token = parse_qs(urlsplit(result["response"]["publicChallengeParameters"]["url"]).query)["token"][0]
    assert jwt.decode(token, options={"verify_signature": False})["other"]["actionCode"] == "signInWithEmail"


def test_a_user_without_email_is_tracked_without_a_none_attribute(lambda_env, user_id):
    # A None attribute would make the 4.1.0 SDK hang; the call must just work.
    started = time.monotonic()

    result = create_auth_challenge.handler(events.create_auth_challenge(user_id, None), None)

    assert time.monotonic() - started < 2
    assert "Email address" in requests.get(result["response"]["publicChallengeParameters"]["url"], timeout=5).text


def test_authsignal_down_raises_so_cognito_reports_the_trigger_failed(lambda_env, monkeypatch, user_id, email):
    with closed_port() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        with pytest.raises(ApiException):
            create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)


def test_a_silent_authsignal_times_out_within_the_budget(lambda_env, monkeypatch, user_id, email):
    monkeypatch.setenv("AUTHSIGNAL_TIMEOUT_SECONDS", "0.5")
    with silent_server() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        started = time.monotonic()
        with pytest.raises(ApiException):
            create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)

    assert time.monotonic() - started < 2


def test_a_wrong_secret_raises(lambda_env, monkeypatch, user_id, email):
    monkeypatch.setenv("AUTHSIGNAL_SECRET", "not-the-secret")

    with pytest.raises(ApiException) as caught:
        create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)

    assert caught.value.status_code == 401
