from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authsignal import AuthsignalClient
from authsignal.client import ApiException

from lambdas import create_auth_challenge
from lambdas.challenge import IDEMPOTENCY_KEY, TRACK_TOKEN_HASH

from . import events
from tests.support.servers import closed_port, silent_server


def test_tracks_the_sign_in_and_returns_the_prebuilt_ui_url(lambda_env, user_id, email):
    event = events.create_auth_challenge(user_id, email)

    result = create_auth_challenge.handler(event, None)

    response = result["response"]
    assert set(response["publicChallengeParameters"]) == {"url", "state", "idempotencyKey"}
    assert response["publicChallengeParameters"]["state"] == "CHALLENGE_REQUIRED"
    url = response["publicChallengeParameters"]["url"]
    assert url.startswith(f"{lambda_env.origin}/challenge?")
    token = parse_qs(urlsplit(url).query)["token"][0]
    claims = jwt.decode(token, lambda_env.config.secret, algorithms=["HS256"])
    assert claims["sub"] == user_id
    assert claims["other"]["actionCode"] == "cognitoAuth"
    assert response["privateChallengeParameters"] == {
        IDEMPOTENCY_KEY: claims["other"]["idempotencyKey"],
        TRACK_TOKEN_HASH: hashlib.sha256(token.encode()).hexdigest(),
    }
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


def test_the_challenge_keeps_a_hash_of_the_track_token_never_the_token(lambda_env, monkeypatch, user_id, email):
    tracked = []
    real_track = AuthsignalClient.track

    def track(*args):
        tracked.append(real_track(*args))
        return tracked[-1]

    monkeypatch.setattr(AuthsignalClient, "track", track)

    response = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)["response"]

    token = parse_qs(urlsplit(response["publicChallengeParameters"]["url"]).query)["token"][0]
    assert token == tracked[0]["token"]  # the url's token is the one track returns
    private = response["privateChallengeParameters"]
    assert private[TRACK_TOKEN_HASH] == hashlib.sha256(token.encode()).hexdigest()
    kept = json.dumps([private, response["challengeMetadata"]])
    assert token not in kept
    assert token.split(".")[2] not in kept  # not even the signature


def test_without_a_token_in_the_url_the_track_responses_token_is_hashed(lambda_env, monkeypatch, user_id, email):
    monkeypatch.setattr(
        AuthsignalClient, "track",
        lambda *args: {"url": "https://auth.example/challenge", "token": "a.track.token", "idempotency_key": "k"},
    )

    response = create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)["response"]

    assert response["privateChallengeParameters"][TRACK_TOKEN_HASH] == hashlib.sha256(b"a.track.token").hexdigest()


@pytest.mark.parametrize("token", [None, "", 42])
def test_a_track_response_without_a_track_token_raises(lambda_env, monkeypatch, user_id, email, token):
    # Verify could not tell the track token from a result token: no challenge to offer.
    answer = {"url": "https://auth.example/challenge", "idempotency_key": "k"}
    if token is not None:
        answer["token"] = token
    monkeypatch.setattr(AuthsignalClient, "track", lambda *args: answer)

    with pytest.raises(ValueError, match="no track token"):
        create_auth_challenge.handler(events.create_auth_challenge(user_id, email), None)
