"""Passkeys on the server side: the enrolment token, the list and "Remove" on
the signed-in page, and ``POST /api/sign-in/passkey`` refusing what is not a
passkey sign-in of that user (the browser side, with real WebAuthn, is in
tests/e2e/test_passkeys_in_a_browser.py)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest

from app.authsignal_api import AuthsignalApi, Passkey, SecretFromParameterStore
from app.errors import AuthError

from .conftest import Browserless
from .test_sign_in import sign_in


class FakeAuthsignalApi:
    """The app's Authsignal wrapper with a user's passkeys in memory."""

    configured = True

    def __init__(self, passkeys=(), fail=False):
        self.passkeys_by_user: dict[str, list[Passkey]] = {}
        self.initial = list(passkeys)
        self.fail = fail
        self.removed: list[tuple[str, str]] = []

    def passkeys(self, user_id):
        if self.fail:
            raise AuthError("passkeys_unavailable", "Passkeys are unavailable right now.", 503)
        return self.passkeys_by_user.setdefault(user_id, list(self.initial))

    def remove_passkey(self, user_id, authenticator_id):
        mine = self.passkeys(user_id)
        if authenticator_id not in {p.authenticator_id for p in mine}:
            return False
        self.removed.append((user_id, authenticator_id))
        self.passkeys_by_user[user_id] = [p for p in mine if p.authenticator_id != authenticator_id]
        return True

    def verification_method(self, user_id, idempotency_key):
        return None


def a_passkey(authenticator_id="pk-1", last_used=True) -> Passkey:
    created = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
    return Passkey(authenticator_id, "Passkey", created, datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
                   if last_used else None)


def signed_in(app, authsignal_emulator, email) -> Browserless:
    user = Browserless(app.test_client())
    assert sign_in(user, authsignal_emulator, email).status_code == 200
    return user


# ----- the enrolment token ------------------------------------------------------------
def test_a_signed_in_user_gets_an_enrolment_token_for_their_own_account(app, authsignal_emulator, authsignal,
                                                                         email):
    user = signed_in(app, authsignal_emulator, email)

    response = user.post_json("/api/passkeys/enrolment-token", {})

    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == email
    # The token is a track of the user's own, scoped to add an authenticator.
    sub = user.record()["auth"]["sub"]
    track = authsignal_emulator.service.tokens.verify(body["token"])
    assert (track.user_id, track.action) == (sub, "addPasskey")
    action = authsignal.get_action(sub, "addPasskey", track.idempotency_key)
    assert action["state"] == "CHALLENGE_REQUIRED"


def test_the_enrolment_token_needs_a_signed_in_user(user):
    response = user.post_json("/api/passkeys/enrolment-token", {})

    assert response.status_code == 401
    assert response.get_json()["error"] == "not_signed_in"


def test_the_enrolment_token_needs_the_csrf_token(app, authsignal_emulator, email):
    user = signed_in(app, authsignal_emulator, email)

    assert user.post_json("/api/passkeys/enrolment-token", {}, csrf=False).status_code == 400


def test_without_the_authsignal_secret_there_are_no_passkey_pages(make_app, authsignal_emulator, email):
    app = make_app(environ={"AUTHSIGNAL_SECRET": ""})
    user = signed_in(app, authsignal_emulator, email)

    page = user.page().get_data(as_text=True)

    assert "Passkeys" not in page and "passkeys.js" not in page
    assert user.post_json("/api/passkeys/enrolment-token", {}).status_code == 404


# ----- the list and "Remove" ----------------------------------------------------------------
def test_the_signed_in_page_lists_passkeys_with_their_dates(make_app, authsignal_emulator, email):
    app = make_app(AUTHSIGNAL_API=FakeAuthsignalApi([a_passkey("pk-1"), a_passkey("pk-2", last_used=False)]))
    user = signed_in(app, authsignal_emulator, email)

    page = user.page().get_data(as_text=True)

    assert page.count('class="passkey"') == 2
    assert "added 01 Nov 2026, 09:30 UTC" in page
    assert "last used 20 Nov 2026, 08:00 UTC" in page
    assert "not used yet" in page
    assert 'action="/passkeys/pk-1/remove"' in page and 'action="/passkeys/pk-2/remove"' in page
    assert 'id="add-passkey"' in page


def test_remove_deletes_the_users_own_passkey(make_app, authsignal_emulator, email):
    api = FakeAuthsignalApi([a_passkey("pk-1")])
    user = signed_in(make_app(AUTHSIGNAL_API=api), authsignal_emulator, email)
    sub = user.record()["auth"]["sub"]

    response = user.client.post("/passkeys/pk-1/remove", data={"csrf_token": user.csrf})

    assert response.status_code == 303
    assert api.removed == [(sub, "pk-1")]
    page = user.page(response.headers["Location"]).get_data(as_text=True)
    assert "Passkey removed." in page and "No passkeys yet." in page


@pytest.mark.parametrize("authenticator_id", ["someone-elses", "pk%2F..", "x" * 200])
def test_remove_refuses_what_is_not_one_of_the_users_passkeys(make_app, authsignal_emulator, email,
                                                             authenticator_id):
    api = FakeAuthsignalApi([a_passkey("pk-1")])
    user = signed_in(make_app(AUTHSIGNAL_API=api), authsignal_emulator, email)

    response = user.client.post(f"/passkeys/{authenticator_id}/remove", data={"csrf_token": user.csrf})

    assert response.status_code == 404
    assert api.removed == []


def test_remove_needs_the_csrf_token_and_a_signed_in_user(make_app, authsignal_emulator, email):
    api = FakeAuthsignalApi([a_passkey("pk-1")])
    app = make_app(AUTHSIGNAL_API=api)
    user = signed_in(app, authsignal_emulator, email)

    assert user.client.post("/passkeys/pk-1/remove", data={}).status_code == 400
    stranger = Browserless(app.test_client())
    assert stranger.client.post("/passkeys/pk-1/remove", data={"csrf_token": stranger.csrf}).status_code == 401
    assert api.removed == []


def test_a_passkey_list_authsignal_cannot_give_says_so_and_keeps_the_page(make_app, authsignal_emulator, email):
    user = signed_in(make_app(AUTHSIGNAL_API=FakeAuthsignalApi(fail=True)), authsignal_emulator, email)

    response = user.page()

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Signed in as {email}" in page
    assert "Passkeys are unavailable right now." in page


def test_the_real_list_through_the_authsignal_sdk(app, authsignal_emulator, authsignal, email):
    """The wrapper against the local Authsignal: only passkeys are listed (an
    email-code authenticator is not), and a foreign id is not removed."""
    user = signed_in(app, authsignal_emulator, email)
    sub = user.record()["auth"]["sub"]
    api = app.extensions["authsignal_api"]

    assert [a["verification_method"] for a in authsignal.get_authenticators(sub)] == ["EMAIL_OTP"]
    assert api.passkeys(sub) == []
    email_otp = authsignal.get_authenticators(sub)[0]["user_authenticator_id"]
    assert api.remove_passkey(sub, email_otp) is False
    assert len(authsignal.get_authenticators(sub)) == 1


def test_authsignal_unreachable_is_a_plain_503(make_app, authsignal_emulator, email):
    unreachable = AuthsignalApi("http://127.0.0.1:9/v1", "secret", "cognitoAuth")
    user = signed_in(make_app(AUTHSIGNAL_API=unreachable), authsignal_emulator, email)

    response = user.post_json("/api/passkeys/enrolment-token", {})

    assert response.status_code == 503
    assert response.get_json()["error"] == "passkeys_unavailable"
    assert "secret" not in response.get_data(as_text=True)


def test_the_secret_from_parameter_store_is_read_once_and_kept(monkeypatch):
    reads = []

    class FakeSsm:
        def get_parameter(self, Name, WithDecryption):
            reads.append((Name, WithDecryption))
            return {"Parameter": {"Value": "the-secret"}}

    import boto3

    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: FakeSsm())
    now = [0.0]
    secret = SecretFromParameterStore("/app/authsignal-secret", "eu-west-1", clock=lambda: now[0])

    assert secret() == "the-secret"
    now[0] = 299
    assert secret() == "the-secret"
    now[0] = 301
    assert secret() == "the-secret"
    assert reads == [("/app/authsignal-secret", True)] * 2


# ----- signing in with a passkey's token ------------------------------------------------
@pytest.mark.parametrize("body", [
    {},
    {"token": "t"},
    {"userId": str(uuid.uuid4())},
    {"token": "", "userId": str(uuid.uuid4())},
    {"token": "not a token!", "userId": str(uuid.uuid4())},
    {"token": "t" * 5000, "userId": str(uuid.uuid4())},
    {"token": "t", "userId": ""},
    {"token": "t", "userId": "a/b"},
    {"token": "t", "userId": ["x"]},
])
def test_a_passkey_sign_in_refuses_malformed_input(user, body):
    response = user.post_json("/api/sign-in/passkey", body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_input"


def test_a_passkey_sign_in_for_an_unknown_user_is_refused_plainly(user):
    response = user.post_json("/api/sign-in/passkey", {"token": "some.passkey.token", "userId": str(uuid.uuid4())})

    assert response.status_code == 401
    assert response.get_json() == {
        "error": "passkey_refused", "message": "This passkey could not sign you in. Sign in with your email instead.",
    }


def test_a_token_that_is_no_passkey_verification_of_the_user_signs_nobody_in(app, authsignal_emulator, email):
    """A real user and a result token of an ordinary email-code sign-in of
    theirs: Create finds no passkey sign-in to link, Verify refuses."""
    owner = signed_in(app, authsignal_emulator, email)
    sub = owner.record()["auth"]["sub"]
    other = Browserless(app.test_client())
    started = other.post_json("/api/sign-in", {"email": email}).get_json()
    from .test_sign_in import win

    token = win(authsignal_emulator, started["url"], email)
    attacker = Browserless(app.test_client())

    response = attacker.post_json("/api/sign-in/passkey", {"token": token, "userId": sub})

    assert response.status_code == 401
    assert response.get_json()["error"] == "passkey_refused"
    assert "auth" not in attacker.record()


def test_a_passkey_sign_in_needs_the_csrf_token(user):
    response = user.post_json("/api/sign-in/passkey", {"token": "t", "userId": str(uuid.uuid4())}, csrf=False)

    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"


def test_with_passwords_a_passkey_is_the_second_step_not_a_sign_in(make_app):
    user = Browserless(make_app(environ={"SIGN_IN_FLOW": "password_mfa"}).test_client())

    page = user.page().get_data(as_text=True)

    assert user.post_json("/api/sign-in/passkey", {"token": "t", "userId": str(uuid.uuid4())}).status_code == 404
    assert "Sign in with a passkey" not in page
    assert 'autocomplete="username"' in page


# ----- the page -----------------------------------------------------------------------------
def test_the_sign_in_page_offers_passkeys_on_a_host_name(user):
    page = user.client.get("/", base_url="http://localhost:5000").get_data(as_text=True)

    assert "Sign in with a passkey" in page
    assert 'autocomplete="username webauthn"' in page
    assert '"passkeyUrl": "/api/sign-in/passkey"' in page
    assert 'id="passkey-address"' not in page


@pytest.mark.parametrize("base_url, where", [
    ("http://127.0.0.1:5000", "http://localhost:5000/"),
    ("http://[::1]:8080", "http://localhost:8080/"),
    ("http://10.0.0.7", "http://localhost/"),
])
def test_on_an_ip_address_the_page_says_where_passkeys_work(user, base_url, where):
    page = user.client.get("/", base_url=base_url).get_data(as_text=True)

    assert f'open <a href="{where}">{where}</a>' in page
    assert "Sign in with a passkey" not in page
    assert '"passkeyUrl": null' in page


def test_the_page_may_call_authsignal_and_let_its_ui_use_passkeys(client, authsignal_emulator):
    response = client.get("/")

    api_origin = authsignal_emulator.base_url.rsplit("/v1", 1)[0]
    assert f"connect-src 'self' {api_origin}" in response.headers["Content-Security-Policy"]
    policy = response.headers["Permissions-Policy"]
    assert f'publickey-credentials-get=(self "{authsignal_emulator.origin}")' in policy
    assert f'publickey-credentials-create=(self "{authsignal_emulator.origin}")' in policy


# ----- the signed-in page's Authsignal calls, alongside Cognito's -------------------------
class Recording:
    """Delegates to ``real``, noting when the named methods start and end."""

    def __init__(self, real, events: list, name: str, pause: float = 0.0):
        self._real, self._events, self._name, self._pause = real, events, name, pause

    def __getattr__(self, attribute):
        value = getattr(self._real, attribute)
        if not callable(value) or attribute not in ("answer_challenge", "passkeys", "verification_method"):
            return value

        def recorded(*args, **kwargs):
            self._events.append(f"{attribute} starts")
            time.sleep(self._pause)
            try:
                return value(*args, **kwargs)
            finally:
                self._events.append(f"{attribute} ends")

        return recorded


def test_a_confirm_asks_authsignal_while_cognito_checks_the_answer(make_app, authsignal_emulator, email):
    """The method and the passkeys are asked as soon as the user id is known,
    not after Cognito's answer: the sign-in waits for one round trip, not three.
    (``events`` is appended to from two threads: list.append is atomic.)"""
    events: list[str] = []
    app = make_app()
    app.extensions["cognito_auth"] = Recording(app.extensions["cognito_auth"], events, "cognito", pause=0.3)
    app.extensions["authsignal_api"] = Recording(app.extensions["authsignal_api"], events, "authsignal")
    user = Browserless(app.test_client())

    confirmed = sign_in(user, authsignal_emulator, email)

    assert confirmed.status_code == 200
    answered = events.index("answer_challenge ends")
    assert events.index("passkeys starts") < answered
    assert events.index("verification_method starts") < answered
    assert "Verified with" in confirmed.get_json()["html"] and "Email code" in confirmed.get_json()["html"]
    assert "No passkeys yet." in confirmed.get_json()["html"]


def test_a_failed_sign_in_shows_nothing_asked_in_advance(make_app, authsignal_emulator, email):
    """A wrong answer: what was asked of Authsignal meanwhile is dropped."""
    user = Browserless(make_app().test_client())
    user.post_json("/api/sign-in", {"email": email})

    response = user.post_json("/api/confirm", {"token": "not.the.right.token"})

    assert response.status_code == 422
    assert set(response.get_json()) >= {"error", "message", "url"}
    assert "html" not in response.get_json()


@pytest.mark.parametrize("environ, configured, from_ssm", [
    ({"AUTHSIGNAL_SECRET": "", "AUTHSIGNAL_SECRET_PARAMETER": "/authsignal/secret"}, True, True),
    ({"AUTHSIGNAL_SECRET": "the-key"}, True, False),
    ({"AUTHSIGNAL_SECRET": ""}, False, False),
])
def test_the_apps_secret_comes_from_the_environment_or_parameter_store(make_app, environ, configured, from_ssm):
    api = make_app(environ=environ).extensions["authsignal_api"]

    assert api.configured is configured
    assert isinstance(api._secret, SecretFromParameterStore) is from_ssm


def test_a_passkey_without_a_creation_date_is_listed_last(monkeypatch):
    """Authsignal's fields are read defensively: one without ``createdAt`` is
    still listed (after the dated ones), not an error."""
    api = AuthsignalApi("http://127.0.0.1:9/v1", "secret", "cognitoAuth")
    answer = [
        {"user_authenticator_id": "undated", "verification_method": "PASSKEY"},
        {"user_authenticator_id": "dated", "verification_method": "PASSKEY", "created_at": "2026-11-01T09:30:00Z"},
        {"user_authenticator_id": "email", "verification_method": "EMAIL_OTP", "created_at": "2026-11-02T09:30:00Z"},
    ]
    monkeypatch.setattr(api, "_call", lambda method, *args: answer)

    assert [p.authenticator_id for p in api.passkeys("user-1")] == ["dated", "undated"]
