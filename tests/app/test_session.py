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
    return dict(user.record().get("auth") or {})


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
    auth = stored_auth(user)
    header, payload, signature = auth["access_token"].split(".")
    user.replace_record({"auth": {**auth, "access_token": f"{header}.{payload}.{signature[::-1]}"}})

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


def test_a_silent_jwks_endpoint_gives_the_apps_page_quickly(app, user, local_cognito, authsignal_emulator, email):
    from app.token_verifier import TokenVerifier
    from tests.support.servers import silent_server

    sign_in(user, authsignal_emulator, email)
    with silent_server() as url:
        app.extensions["token_verifier"] = TokenVerifier(
            region=local_cognito.region, user_pool_id=local_cognito.user_pool_id,
            client_id=local_cognito.client_id, endpoint_url=url.removesuffix("/v1"),
        )
        started = time.monotonic()
        page = user.page()
        elapsed = time.monotonic() - started

    assert page.status_code == 200
    assert "Your session could not be checked" in page.get_data(as_text=True)
    assert elapsed < 6, "the JWKS fetch is bounded (2 s connect, 3 s read), not pycognito's 15 s"


def test_signing_in_deletes_the_record_under_the_earlier_id(user, app, authsignal_emulator, email):
    sign_in(user, authsignal_emulator, email)
    earlier = user.session_id()

    sign_in(user, authsignal_emulator, email)

    assert user.session_id() != earlier
    assert app.extensions["session_store"].get(earlier) is None


def test_a_signed_in_cookie_outlives_the_browser_session_and_an_anonymous_one_does_not(client, user, authsignal_emulator, email):
    anonymous = client.get("/").headers["Set-Cookie"]
    sign_in(user, authsignal_emulator, email)
    signed_in = user.client.get("/").headers["Set-Cookie"]

    assert "Expires=" not in anonymous
    assert "Expires=" in signed_in


def test_with_refresh_token_rotation_the_new_refresh_token_is_kept(make_app, lambda_environment, authsignal_emulator, email):
    config = CognitoEmulatorConfig(token_validity_seconds=2, refresh_token_rotation="ENABLED")
    with CognitoEmulator(config) as rotating:
        user = Browserless(make_app(cognito=rotating).test_client())
        sign_in(user, authsignal_emulator, email)
        first = stored_auth(user)["refresh_token"]
        time.sleep(2.05)

        page = user.page().get_data(as_text=True)

        assert f"Signed in as {email}" in page
        assert stored_auth(user)["refresh_token"] != first
