"""The sign-in API with the Flask test client, against the local Cognito
(real lambdas as triggers) and the local Authsignal."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from tests.emulators.authsignal.helpers import complete_challenge


def cognito_client(emulator):
    """boto3 unsigned, for the public operations (as the app calls them)."""
    return boto3.client(
        "cognito-idp", region_name=emulator.region, endpoint_url=emulator.endpoint_url,
        config=Config(signature_version=UNSIGNED),
    )


def cognito_admin_client(emulator):
    """boto3 signed with made-up credentials, for the admin operations: the
    local Cognito requires a signature on them, as AWS does, but checks only its form."""
    return boto3.client(
        "cognito-idp", region_name=emulator.region, endpoint_url=emulator.endpoint_url,
        aws_access_key_id="local", aws_secret_access_key="local",
    )


def track_token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def win(authsignal_emulator, url: str, email: str) -> str:
    """Do the email OTP in the pre-built UI's place; return the result token."""
    return complete_challenge(authsignal_emulator, {"token": track_token(url)}, email)


def sign_in(user, authsignal_emulator, email):
    started = user.post_json("/api/sign-in", {"email": email})
    assert started.status_code == 200, started.get_json()
    confirmed = user.post_json("/api/confirm", {"token": win(authsignal_emulator, started.get_json()["url"], email)})
    if confirmed.status_code == 200:
        user.page(confirmed.get_json()["redirect"])  # as the page does next
    return confirmed


def test_the_sign_in_page(user, authsignal_emulator):
    page = user.page()
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert '<label for="email">Email</label>' in html
    assert ">Sign in</button>" in html
    assert '<meta name="csrf-token"' in html
    assert authsignal_emulator.config.tenant_id in html


def test_sign_in_returns_the_popup_url_and_keeps_cognitos_session_on_the_server(user, authsignal_emulator, email):
    response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"url"}
    assert body["url"].startswith(f"{authsignal_emulator.origin}/challenge?token=")
    # The browser's signed cookie holds only the record's id and the CSRF token.
    with user.client.session_transaction() as cookie_session:
        assert set(cookie_session) <= {"sid", "csrf_token", "_permanent"}
    assert user.record()["pending_sign_in"]["session"] not in user.session_cookie().value


def test_a_full_sign_in(user, authsignal_emulator, local_cognito, email):
    user.page()
    before = user.session_cookie().value

    confirmed = sign_in(user, authsignal_emulator, email)
    after = user.session_cookie().value
    page = user.page()

    assert confirmed.status_code == 200
    answer = confirmed.get_json()
    assert set(answer) == {"status", "redirect", "title", "html", "csrfToken"}
    assert (answer["status"], answer["redirect"], answer["title"]) == ("signed_in", "/", "Signed in")
    assert after != before, "signing in must start a fresh session id"
    html = page.get_data(as_text=True)
    assert f"Signed in as {email}" in html
    assert "eyJ" not in html, "no token may reach the browser"
    access_token = user.record()["auth"]["access_token"]
    cognito_user = cognito_client(local_cognito).get_user(AccessToken=access_token)
    sub = next(a["Value"] for a in cognito_user["UserAttributes"] if a["Name"] == "sub")
    assert f"<code>{sub}</code>" in html
    # The page shows the answer's content without a reload: the same content, no token.
    assert f"Signed in as {email}" in answer["html"] and f"<code>{sub}</code>" in answer["html"]
    assert "eyJ" not in confirmed.get_data(as_text=True), "no token may reach the browser"


def test_the_answers_csrf_token_is_the_new_sessions(user, authsignal_emulator, email):
    """The swapped-in page posts its forms with the token of the session the
    sign-in started (the one before it ended with it)."""
    old_token = user.csrf
    answer = sign_in(user, authsignal_emulator, email).get_json()

    refused = user.client.post("/sign-out", data={"csrf_token": old_token})
    signed_out = user.client.post("/sign-out", data={"csrf_token": answer["csrfToken"]})

    assert refused.status_code == 400
    assert signed_out.status_code == 303
    assert "Signed in as" not in user.client.get("/").get_data(as_text=True)


def test_an_existing_user_signs_in_again(user, authsignal_emulator, email):
    assert sign_in(user, authsignal_emulator, email).status_code == 200
    user.sign_out()

    assert sign_in(user, authsignal_emulator, email).status_code == 200


@pytest.mark.parametrize(
    "body, message",
    [
        (None, "Send a JSON object."),
        ([], "Send a JSON object."),
        ({}, "Enter your email address."),
        ({"email": "   "}, "Enter your email address."),
        ({"email": 42}, "Enter your email address."),
        ({"email": "not-an-email"}, "Enter a valid email address, like name@example.com."),
        ({"email": "a@b"}, "Enter a valid email address, like name@example.com."),
        ({"email": "x" * 250 + "@example.com"}, "Enter a valid email address, like name@example.com."),
    ],
)
def test_sign_in_refuses_bad_input(user, body, message):
    response = user.post_json("/api/sign-in", body)

    assert response.status_code == 400
    expected = {"error": "invalid_input", "message": message}
    if message.startswith("Enter"):
        expected["field"] = "email"  # the page shows it next to the email field
    assert response.get_json() == expected


@pytest.mark.parametrize(
    "body",
    [None, {}, {"token": ""}, {"token": 7}, {"token": "has spaces in it"}, {"token": "x" * 5000}],
)
def test_confirm_refuses_bad_input(user, body):
    response = user.post_json("/api/confirm", body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_input"


def test_confirm_without_a_sign_in_says_start_again(user):
    response = user.post_json("/api/confirm", {"token": "a.b.c"})

    assert response.status_code == 409
    assert response.get_json() == {
        "error": "no_sign_in",
        "message": "There is no sign-in in progress. Start again: enter your email and sign in.",
        "startAgain": True,
    }


def test_a_wrong_answer_gives_a_new_challenge_that_can_succeed(user, authsignal_emulator, email, caplog):
    caplog.set_level(logging.INFO)
    started = user.post_json("/api/sign-in", {"email": email}).get_json()

    wrong = user.post_json("/api/confirm", {"token": track_token(started["url"])})
    # The app's log and the Verify trigger's say why the sign-in did not end.
    assert "Cognito asked for the challenge again: the answer was not accepted" in caplog.messages
    assert "The answer is the challenge's track token, not a result token" in caplog.messages
    retry_url = wrong.get_json()["url"]
    confirmed = user.post_json("/api/confirm", {"token": win(authsignal_emulator, retry_url, email)})

    assert wrong.status_code == 422
    assert wrong.get_json()["error"] == "wrong_answer"
    assert retry_url != started["url"]
    assert confirmed.status_code == 200


def test_three_wrong_answers_end_the_sign_in(user, email):
    url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
    statuses = []
    for _ in range(3):
        response = user.post_json("/api/confirm", {"token": track_token(url)})
        statuses.append(response.status_code)
        url = (response.get_json() or {}).get("url", url)

    after = user.post_json("/api/confirm", {"token": track_token(url)})

    assert statuses == [422, 422, 401]
    assert response.get_json()["error"] == "sign_in_failed"
    assert after.status_code == 409 and after.get_json()["error"] == "no_sign_in"


def test_a_token_won_for_another_user_does_not_sign_in(user, client, app, authsignal_emulator, email):
    other_email = "other-" + email
    other = type(user)(app.test_client())
    other_url = other.post_json("/api/sign-in", {"email": other_email}).get_json()["url"]
    stolen = win(authsignal_emulator, other_url, other_email)
    user.post_json("/api/sign-in", {"email": email})

    response = user.post_json("/api/confirm", {"token": stolen})

    assert response.status_code == 422
    assert "Signed in as" not in user.page().get_data(as_text=True)


def test_state_changing_calls_need_the_csrf_token(user, email):
    sign_in_call = user.post_json("/api/sign-in", {"email": email}, csrf=False)
    confirm_call = user.post_json("/api/confirm", {"token": "a.b.c"}, csrf=False)
    sign_out_call = user.client.post("/sign-out")

    assert sign_in_call.status_code == 400
    assert sign_in_call.get_json()["error"] == "csrf_failed"
    assert confirm_call.status_code == 400
    assert sign_out_call.status_code == 400


def test_sign_out_revokes_the_refresh_token_and_ends_the_session(user, app, authsignal_emulator, local_cognito, email):
    sign_in(user, authsignal_emulator, email)
    refresh_token = user.record()["auth"]["refresh_token"]
    old_cookie = user.session_cookie().value

    response = user.sign_out()
    page = user.page()

    assert response.status_code == 303
    assert ">Sign in</button>" in page.get_data(as_text=True)
    assert user.session_cookie() is None or user.session_cookie().value != old_cookie
    cognito = cognito_client(local_cognito)
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            ClientId=local_cognito.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
        )


def test_the_session_cookie_is_host_only_secure_httponly_and_lax_in_real_mode(app):
    cookie = app.test_client().get("/", base_url="https://localhost").headers["Set-Cookie"]

    assert cookie.startswith("__Host-session=")
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie and "; Path=/" in cookie
    assert "Domain=" not in cookie


def test_a_plain_http_site_must_say_so_and_is_warned_about(make_app, caplog):
    app = make_app(environ={"SESSION_COOKIE_SECURE": "false"})
    cookie = app.test_client().get("/").headers["Set-Cookie"]

    assert cookie.startswith("session=") and "Secure" not in cookie and "HttpOnly" in cookie
    assert "SESSION_COOKIE_SECURE=false" in caplog.text


def test_hsts_only_over_https(client):
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_security_headers(user, authsignal_emulator):
    response = user.page()
    csp = response.headers["Content-Security-Policy"]

    assert f"frame-src {authsignal_emulator.origin}" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"
    assert "camera=()" in response.headers["Permissions-Policy"]



def test_a_challenge_url_off_the_prebuilt_ui_origin_never_reaches_the_browser(make_app, email):
    from .conftest import Browserless

    user = Browserless(make_app(environ={"AUTHSIGNAL_UI_ORIGIN": "https://auth.example.com"}).test_client())

    response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 502
    assert response.get_json()["error"] == "unexpected_challenge"
    assert "url" not in response.get_json()


def test_sign_in_attempts_are_rate_limited_per_client(make_app, email):
    from .conftest import Browserless

    app = make_app(environ={"SIGN_IN_RATE_LIMIT": "2 per minute"})
    user, other = Browserless(app.test_client()), Browserless(app.test_client())

    statuses = [user.post_json("/api/sign-in", {"email": email}).status_code for _ in range(3)]
    limited = user.post_json("/api/sign-in", {"email": email})
    from_elsewhere = other.client.post(
        "/api/sign-in", json={"email": email}, headers={"X-CSRFToken": other.csrf},
        environ_overrides={"REMOTE_ADDR": "198.51.100.7"},
    )

    assert statuses == [200, 200, 429]
    assert limited.get_json() == {
        "error": "rate_limited",
        "message": "Too many sign-in attempts from here. Wait a minute and try again.",
    }
    assert from_elsewhere.status_code == 200
