"""The signed-in session: tokens stay on the server, the access token is
verified on each request and refreshed when it expires."""

from __future__ import annotations

import time

import pytest

from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

from .conftest import Browserless
from .test_sign_in import cognito_client, sign_in


@pytest.fixture
def short_tokens(lambda_environment):
    """A local Cognito whose access tokens live two seconds: with whole-second
    claims that is more than one, enough to sign in before they expire."""
    with CognitoEmulator(CognitoEmulatorConfig(token_validity_seconds=2)) as emulator:
        yield emulator


def stored_auth(user) -> dict:
    with user.client.session_transaction() as session:
        return dict(session.get("auth") or {})


def test_the_tokens_never_reach_the_browser(user, authsignal_emulator, email):
    sign_in(user, authsignal_emulator, email)
    auth = stored_auth(user)

    page = user.page().get_data(as_text=True)
    cookies = " ".join(cookie.value for cookie in user.client._cookies.values())

    for token in (auth["id_token"], auth["access_token"], auth["refresh_token"]):
        assert token not in page and token not in cookies


def test_a_reload_keeps_the_user_signed_in(user, authsignal_emulator, email):
    sign_in(user, authsignal_emulator, email)

    assert f"Signed in as {email}" in user.page().get_data(as_text=True)
    assert f"Signed in as {email}" in user.page().get_data(as_text=True)


def test_an_expired_access_token_is_refreshed(make_app, short_tokens, authsignal_emulator, email):
    user = Browserless(make_app(cognito=short_tokens).test_client())
    sign_in(user, authsignal_emulator, email)
    first = stored_auth(user)["access_token"]
    time.sleep(2.05)

    page = user.page().get_data(as_text=True)

    assert f"Signed in as {email}" in page
    assert stored_auth(user)["access_token"] != first


def test_a_revoked_refresh_token_signs_the_user_out(make_app, short_tokens, authsignal_emulator, email):
    user = Browserless(make_app(cognito=short_tokens).test_client())
    sign_in(user, authsignal_emulator, email)
    cognito_client(short_tokens).revoke_token(Token=stored_auth(user)["refresh_token"], ClientId=short_tokens.client_id)
    time.sleep(2.05)

    page = user.page().get_data(as_text=True)

    assert ">Sign in</button>" in page
    assert "Your session has ended. Sign in again." in page
    assert stored_auth(user) == {}


def test_a_tampered_access_token_signs_the_user_out(user, authsignal_emulator, email):
    sign_in(user, authsignal_emulator, email)
    with user.client.session_transaction() as session:
        header, payload, signature = session["auth"]["access_token"].split(".")
        session["auth"] = {**session["auth"], "access_token": f"{header}.{payload}.{signature[::-1]}"}

    page = user.page().get_data(as_text=True)

    assert ">Sign in</button>" in page
    assert stored_auth(user) == {}


def test_sign_out_with_cognito_unreachable_still_signs_out_and_says_so(user, app, authsignal_emulator, email):
    from botocore.stub import Stubber

    sign_in(user, authsignal_emulator, email)
    with Stubber(app.extensions["cognito_auth"].client) as stubber:
        stubber.add_client_error("revoke_token", service_error_code="InternalErrorException", http_status_code=500)
        user.client.post("/sign-out", data={"csrf_token": user.csrf})
    page = user.page().get_data(as_text=True)

    assert ">Sign in</button>" in page
    assert "could not be reached to revoke your tokens" in page
    assert stored_auth(user) == {}


def test_sessions_go_to_redis_when_a_url_is_configured(make_app):
    app = make_app(environ={"SESSION_REDIS_URL": "redis://127.0.0.1:6399/0"})

    assert type(app.session_interface).__name__ == "RedisSessionInterface"
    assert app.session_interface.client.connection_pool.connection_kwargs["port"] == 6399


def test_sessions_go_to_files_by_default(app, tmp_path, user):
    user.page()

    assert type(app.session_interface).__name__ == "CacheLibSessionInterface"
    assert any(tmp_path.iterdir()), "a session file was written in SESSION_FILE_DIR"


def test_signing_in_again_revokes_the_earlier_refresh_token(user, authsignal_emulator, local_cognito, email):
    sign_in(user, authsignal_emulator, email)
    first = stored_auth(user)["refresh_token"]

    sign_in(user, authsignal_emulator, email)

    assert stored_auth(user)["refresh_token"] != first
    cognito = cognito_client(local_cognito)
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            ClientId=local_cognito.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": first}
        )
