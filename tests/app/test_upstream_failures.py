"""Cognito or Authsignal down, slow, throttling or failing: a clear message and
a stable code, never a stack trace, and no half-done sign-in left behind."""

from __future__ import annotations

import time

import pytest
from botocore.stub import Stubber

from app.cognito import CognitoAuth
from app.errors import AuthError
from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig
from tests.support.servers import answering_server, closed_port, silent_server

from .conftest import Browserless
from .test_sign_in import track_token, win


def assert_nothing_pending(user):
    after = user.post_json("/api/confirm", {"token": "a.b.c"})
    assert after.status_code == 409 and after.get_json()["error"] == "no_sign_in"


def test_cognito_down(make_app, email):
    with closed_port() as url:
        user = Browserless(make_app(environ={"COGNITO_ENDPOINT_URL": url.removesuffix("/v1")}).test_client())
        response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 503
    assert response.get_json() == {
        "error": "cognito_unavailable",
        "message": "The sign-in service is unavailable right now. Try again in a moment.",
    }
    assert_nothing_pending(user)


def test_cognito_silent(make_app, local_cognito, email):
    with silent_server() as url:
        slow = CognitoAuth(
            region=local_cognito.region, user_pool_id=local_cognito.user_pool_id, client_id=local_cognito.client_id,
            endpoint_url=url.removesuffix("/v1"), connect_timeout=0.5, read_timeout=0.5,
        )
        user = Browserless(make_app(COGNITO_AUTH=slow).test_client())
        started = time.monotonic()
        response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 503
    assert response.get_json()["error"] == "cognito_unavailable"
    assert time.monotonic() - started < 5


def test_authsignal_down_when_the_challenge_is_created(user, monkeypatch, email):
    with closed_port() as url:
        monkeypatch.setenv("AUTHSIGNAL_URL", url)
        response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 502
    assert response.get_json() == {
        "error": "challenge_unavailable",
        "message": "The verification service did not answer. Try again in a moment.",
    }
    assert_nothing_pending(user)


def test_authsignal_silent_when_the_answer_is_checked(user, monkeypatch, email):
    url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
    monkeypatch.setenv("AUTHSIGNAL_TIMEOUT_SECONDS", "0.5")
    with silent_server() as silent:
        monkeypatch.setenv("AUTHSIGNAL_URL", silent)
        response = user.post_json("/api/confirm", {"token": track_token(url)})

    # Verify refuses the track token; the next challenge cannot be created (Authsignal is silent).
    assert response.status_code == 502
    assert response.get_json()["error"] == "challenge_unavailable"
    assert_nothing_pending(user)


@pytest.mark.parametrize(
    "operation, code, message, status, error",
    [
        ("sign_up", "TooManyRequestsException", "Rate exceeded", 429, "throttled"),
        ("sign_up", "InternalErrorException", "Internal error", 502, "cognito_error"),
        ("initiate_auth", "LimitExceededException", "Limit exceeded", 429, "throttled"),
        ("initiate_auth", "UserLambdaValidationException", "CreateAuthChallenge failed with error boom.", 502, "challenge_unavailable"),
        ("initiate_auth", "InvalidLambdaResponseException", "Invalid lambda response", 502, "challenge_unavailable"),
        ("initiate_auth", "ResourceNotFoundException", "User pool client does not exist.", 502, "cognito_error"),
    ],
)
def test_cognito_errors_on_sign_in_become_stable_codes(app, operation, code, message, status, error, email):
    cognito = app.extensions["cognito_auth"]
    user = Browserless(app.test_client())
    user.page()
    with Stubber(cognito.client) as stubber:
        if operation == "initiate_auth":
            stubber.add_response("sign_up", {"UserConfirmed": True, "UserSub": "11111111-2222-3333-4444-555555555555"})
        stubber.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=400)
        response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert "Traceback" not in response.get_data(as_text=True)
    assert_nothing_pending(user)


@pytest.mark.parametrize(
    "message, status, error",
    [
        ("Invalid session for the user, session is expired.", 409, "session_expired"),
        ("Invalid session for the user, session can only be used once.", 409, "session_used"),
        ("Incorrect username or password.", 401, "sign_in_failed"),
    ],
)
def test_cognito_refusals_on_confirm_say_start_again(app, message, status, error, email):
    cognito = app.extensions["cognito_auth"]
    user = Browserless(app.test_client())
    user.post_json("/api/sign-in", {"email": email})
    with Stubber(cognito.client) as stubber:
        stubber.add_client_error(
            "respond_to_auth_challenge", service_error_code="NotAuthorizedException", service_message=message
        )
        response = user.post_json("/api/confirm", {"token": "a.b.c"})

    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert "Start again" in response.get_json()["message"]
    assert_nothing_pending(user)


def test_an_expired_cognito_session_says_start_again(make_app, lambda_environment, email):
    config = CognitoEmulatorConfig(auth_session_validity_seconds=0.5)
    with CognitoEmulator(config) as short_lived:
        user = Browserless(make_app(cognito=short_lived).test_client())
        url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
        time.sleep(0.6)
        response = user.post_json("/api/confirm", {"token": track_token(url)})

    assert response.status_code == 409
    assert response.get_json() == {
        "error": "session_expired",
        "message": "That took too long. Start again: enter your email and sign in.",
        "startAgain": True,
    }


class ExplodingCognito:
    def sign_up(self, email):
        raise RuntimeError("secret internals")


def test_an_unexpected_error_is_a_500_without_details(make_app, email):
    user = Browserless(make_app(COGNITO_AUTH=ExplodingCognito()).test_client())

    response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 500
    assert response.get_json() == {"error": "internal_error", "message": "Something went wrong on our side. Try again."}


# ----- no retries, one deadline --------------------------------------------------------
def cognito_at(local_cognito, url: str, **timeouts) -> CognitoAuth:
    return CognitoAuth(
        region=local_cognito.region, user_pool_id=local_cognito.user_pool_id, client_id=local_cognito.client_id,
        endpoint_url=url, **timeouts,
    )


@pytest.mark.parametrize("operation", ["initiate_auth", "respond_to_auth_challenge"])
def test_the_single_use_calls_are_never_retried(local_cognito, operation):
    from app.cognito import Challenge

    error = b'{"__type": "InternalErrorException", "message": "boom"}'
    with answering_server(error, status=500, content_type="application/x-amz-json-1.1") as (url, seen):
        cognito = cognito_at(local_cognito, url)
        with pytest.raises(AuthError):
            if operation == "initiate_auth":
                cognito.start_sign_in("someone@example.com")
            else:
                cognito.answer_challenge(Challenge("user", "s" * 40, "https://ui/?t=1"), "token")

    assert len(seen) == 1, f"{operation} was sent {len(seen)} times"


def test_a_slow_cognito_is_cut_off_at_the_requests_deadline(make_app, local_cognito, email):
    with silent_server() as url:
        slow = cognito_at(local_cognito, url.removesuffix("/v1"))  # botocore's own timeouts: 2 s + 16 s
        user = Browserless(make_app(COGNITO_AUTH=slow, environ={"UPSTREAM_DEADLINE_SECONDS": "1"}).test_client())
        user.page()
        started = time.monotonic()
        response = user.post_json("/api/sign-in", {"email": email})
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.get_json()["error"] == "cognito_unavailable"
    assert elapsed < 5, "the request's 1-second deadline, not botocore's 16-second read timeout"


def test_a_confirm_that_never_reached_cognito_can_be_sent_again(app, user, local_cognito, authsignal_emulator, email):
    url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
    token = win(authsignal_emulator, url, email)
    cognito = app.extensions["cognito_auth"]
    with closed_port() as down:
        reachable, cognito.client = cognito.client, cognito_at(local_cognito, down.removesuffix("/v1")).client
        try:
            failed = user.post_json("/api/confirm", {"token": token})
        finally:
            cognito.client = reachable
    again = user.post_json("/api/confirm", {"token": token})

    assert failed.status_code == 503
    assert failed.get_json() == {
        "error": "cognito_unavailable",
        "message": "The sign-in service is unavailable right now. Try again in a moment.",
        "startAgain": False,
    }
    assert again.status_code == 200, again.get_json()


def test_a_confirm_that_may_have_reached_cognito_says_start_again(make_app, local_cognito, authsignal_emulator, email):
    with silent_server() as url:
        slow = cognito_at(local_cognito, url.removesuffix("/v1"))
        app = make_app(environ={"UPSTREAM_DEADLINE_SECONDS": "1"})
        user = Browserless(app.test_client())
        started = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
        token = win(authsignal_emulator, started, email)
        reachable, app.extensions["cognito_auth"].client = app.extensions["cognito_auth"].client, slow.client
        try:
            response = user.post_json("/api/confirm", {"token": token})
        finally:
            app.extensions["cognito_auth"].client = reachable

    assert response.status_code == 503
    assert response.get_json()["startAgain"] is True
    assert "Start again" in response.get_json()["message"]
    assert_nothing_pending(user)
