"""SIGN_IN_FLOW=password_mfa with the Flask test client: sign-up, sign-in with
Cognito custom auth over SRP (the password never travels), the Authsignal
challenge after it, wrong passwords, Cognito's lockout and forgot password."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from .conftest import Browserless
from .test_sign_in import win

PASSWORD = "Correct-Horse-7-battery"


@pytest.fixture
def password_app(make_app, monkeypatch):
    """The app in the password flow; the in-process triggers read the same setting."""
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    # Cognito's lockout, not the app's own limits, is what some tests reach.
    limits = {"SIGN_IN_RATE_LIMIT": "1000 per minute", "SIGN_IN_EMAIL_RATE_LIMIT": "1000 per minute"}
    return make_app(environ={"SIGN_IN_FLOW": "password_mfa", **limits})


@pytest.fixture
def visitor(password_app) -> Browserless:
    return Browserless(password_app.test_client())


@pytest.fixture
def new_email() -> str:
    return f"pw-{uuid.uuid4().hex[:12]}@example.com"


def create_account(visitor, authsignal_emulator, email, password=PASSWORD):
    started = visitor.post_json("/api/sign-up", {"email": email, "password": password})
    assert started.status_code == 200, started.get_json()
    confirmed = visitor.post_json("/api/confirm", {"token": win(authsignal_emulator, started.get_json()["url"], email)})
    assert confirmed.status_code == 200, confirmed.get_json()
    return confirmed


def cognito_inbox(local_cognito, email) -> list[dict]:
    return requests.get(f"{local_cognito.endpoint_url}/_dev/inbox.json", params={"to": email}, timeout=5).json()


def test_the_pages_ask_for_a_password_and_link_each_other(visitor):
    sign_in = visitor.page("/").get_data(as_text=True)
    sign_up = visitor.page("/sign-up").get_data(as_text=True)

    assert '<label for="password">Password</label>' in sign_in and ">Sign in</button>" in sign_in
    assert 'href="/sign-up">Create an account</a>' in sign_in
    assert 'href="/forgot-password">Forgot your password?</a>' in sign_in
    assert ">Create account</button>" in sign_up and 'autocomplete="new-password"' in sign_up
    assert 'href="/">Sign in instead</a>' in sign_up


@pytest.mark.parametrize("path", ["/sign-up", "/forgot-password", "/reset-password"])
def test_the_password_pages_do_not_exist_without_passwords(user, path):
    assert user.client.get(path).status_code == 404


def test_create_an_account_then_sign_in_with_the_password(visitor, password_app, authsignal_emulator, new_email):
    create_account(visitor, authsignal_emulator, new_email)
    assert f"Signed in as {new_email}" in visitor.page().get_data(as_text=True)
    visitor.sign_out()

    started = visitor.post_json("/api/sign-in", {"email": new_email, "password": PASSWORD})
    confirmed = visitor.post_json("/api/confirm", {"token": win(authsignal_emulator, started.get_json()["url"], new_email)})

    assert confirmed.status_code == 200
    assert f"Signed in as {new_email}" in visitor.page().get_data(as_text=True)


def test_the_password_never_travels_to_cognito(visitor, password_app, authsignal_emulator, new_email):
    bodies = []
    client = password_app.extensions["cognito_auth"].client
    client.meta.events.register("before-send.cognito-idp", lambda request, **_: bodies.append(request.body))
    create_account(visitor, authsignal_emulator, new_email)
    visitor.sign_out()

    visitor.post_json("/api/sign-in", {"email": new_email, "password": PASSWORD})

    targets = [json.loads(body) for body in bodies]
    srp_start = next(body for body in targets if (body.get("AuthParameters") or {}).get("SRP_A"))
    assert srp_start["AuthFlow"] == "CUSTOM_AUTH" and srp_start["AuthParameters"]["CHALLENGE_NAME"] == "SRP_A"
    assert any(body.get("ChallengeName") == "PASSWORD_VERIFIER" for body in targets)
    sign_in_bodies = [body for body in bodies if b"SignUp" not in body and b'"Password"' not in body]
    assert sign_in_bodies and all(PASSWORD.encode() not in body for body in sign_in_bodies)


def test_a_wrong_password_opens_no_popup(visitor, password_app, authsignal_emulator, new_email):
    create_account(visitor, authsignal_emulator, new_email)
    visitor.sign_out()

    response = visitor.post_json("/api/sign-in", {"email": new_email, "password": "Wrong-password-1"})
    unknown = visitor.post_json("/api/sign-in", {"email": f"x{new_email}", "password": PASSWORD})

    assert response.status_code == 401
    assert response.get_json() == {"error": "wrong_password", "message": "Incorrect email or password.", "field": "password"}
    assert unknown.get_json() == response.get_json(), "an unknown email looks the same"
    nothing = visitor.post_json("/api/confirm", {"token": "a.b.c"})
    assert nothing.get_json()["error"] == "no_sign_in"


def test_cognitos_lockout_is_shown_plainly(visitor, password_app, authsignal_emulator, new_email):
    create_account(visitor, authsignal_emulator, new_email)
    visitor.sign_out()

    answers = [
        visitor.post_json("/api/sign-in", {"email": new_email, "password": f"Wrong-password-{n}"}).get_json()["error"]
        for n in range(6)
    ]

    assert answers[0] == "wrong_password" and answers[-1] == "locked_out"
    locked = visitor.post_json("/api/sign-in", {"email": new_email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.get_json()["message"]


@pytest.mark.parametrize(
    "password, advice",
    [
        ("short1A!", None),
        ("alllowercase-1", "Include an uppercase letter."),
        ("NoDigits-here", "Include a number."),
    ],
)
def test_a_weak_password_is_explained_next_to_the_field(visitor, new_email, password, advice):
    response = visitor.post_json("/api/sign-up", {"email": new_email, "password": password})

    if advice is None:  # 8 characters meet the default policy's length
        assert response.status_code == 200
        return
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_password" and body["field"] == "password"
    assert advice in body["message"]


def test_an_existing_account_is_told_to_sign_in(visitor, authsignal_emulator, new_email):
    create_account(visitor, authsignal_emulator, new_email)
    visitor.sign_out()

    response = visitor.post_json("/api/sign-up", {"email": new_email, "password": PASSWORD})

    assert response.status_code == 409
    assert response.get_json()["field"] == "email"
    assert "Sign in instead" in response.get_json()["message"]


@pytest.mark.parametrize("body", [{"email": "a@example.com"}, {"email": "a@example.com", "password": ""},
                                  {"email": "a@example.com", "password": 7}, {"email": "a@example.com", "password": "x" * 300}])
def test_a_missing_or_malformed_password_is_refused(visitor, body):
    response = visitor.post_json("/api/sign-in", body)

    assert response.status_code == 400
    assert response.get_json()["field"] == "password"


def test_forgot_password_sets_a_new_one(visitor, password_app, local_cognito, authsignal_emulator, new_email):
    create_account(visitor, authsignal_emulator, new_email)
    visitor.sign_out()
    new_password = "Another-Good-Passw0rd"

    sent = visitor.client.post("/forgot-password", data={"email": new_email, "csrf_token": visitor.csrf})
    form = visitor.page(sent.headers["Location"]).get_data(as_text=True)
    code = cognito_inbox(local_cognito, new_email)[0]["code"]
    wrong = visitor.client.post("/reset-password", data={"code": "000000" if code != "000000" else "111111",
                                                        "password": new_password, "csrf_token": visitor.csrf})
    done = visitor.client.post("/reset-password", data={"code": code, "password": new_password, "csrf_token": visitor.csrf})
    page = visitor.page(done.headers["Location"]).get_data(as_text=True)

    assert sent.status_code == 303 and "We sent a code to" in form and '<label for="code">Code</label>' in form
    assert wrong.status_code == 400 and "That code is not right." in wrong.get_data(as_text=True)
    assert done.status_code == 303 and "Your password is set." in page
    old = visitor.post_json("/api/sign-in", {"email": new_email, "password": PASSWORD})
    assert old.get_json()["error"] == "wrong_password"
    assert "url" in visitor.post_json("/api/sign-in", {"email": new_email, "password": new_password}).get_json()


def test_a_weak_new_password_is_explained_on_the_reset_form(visitor, password_app, local_cognito, authsignal_emulator, new_email):
    create_account(visitor, authsignal_emulator, new_email)
    visitor.sign_out()
    visitor.client.post("/forgot-password", data={"email": new_email, "csrf_token": visitor.csrf})
    code = cognito_inbox(local_cognito, new_email)[0]["code"]

    response = visitor.client.post("/reset-password", data={"code": code, "password": "weakpassword",
                                                            "csrf_token": visitor.csrf})

    assert response.status_code == 400
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert "That password is too weak." in response.get_data(as_text=True)


def test_reset_without_asking_for_a_code_goes_to_the_first_page(visitor):
    response = visitor.client.get("/reset-password")

    assert response.status_code == 302 and response.headers["Location"].endswith("/forgot-password")


# ----- Authsignal's rules ----------------------------------------------------------
@pytest.fixture
def rules_tenant(tmp_path, monkeypatch):
    """A local Authsignal whose rules let a known device through and block one
    address; the in-process triggers use it."""
    from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"cognitoAuth": {"rules": [
        {"when": {"ipAddressIn": ["203.0.113.66"]}, "outcome": "BLOCK"},
        {"when": {"knownDevice": True}, "outcome": "ALLOW"},
    ], "default": "CHALLENGE_REQUIRED"}}))
    with AuthsignalEmulator(AuthsignalEmulatorConfig(rules_path=str(rules))) as emulator:
        monkeypatch.setenv("AUTHSIGNAL_URL", emulator.base_url)
        monkeypatch.setenv("AUTHSIGNAL_SECRET", emulator.config.secret)
        yield emulator


@pytest.fixture
def rules_app(make_app, monkeypatch, rules_tenant):
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    return make_app(environ={
        "SIGN_IN_FLOW": "password_mfa", "AUTHSIGNAL_URL": rules_tenant.base_url,
        "AUTHSIGNAL_TENANT_ID": rules_tenant.config.tenant_id,
    })


def test_a_known_device_is_let_through_by_the_server_without_the_track_token(rules_app, rules_tenant, new_email):
    visitor = Browserless(rules_app.test_client())
    create_account(visitor, rules_tenant, new_email)  # the popup, on a new device
    visitor.sign_out()

    response = visitor.post_json("/api/sign-in", {"email": new_email, "password": PASSWORD})

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "signed_in" and "url" not in body, "no url"
    assert "eyJ" not in response.get_data(as_text=True), "no token"
    page = visitor.page().get_data(as_text=True)
    assert f"Signed in as {new_email}" in page
    assert "None needed: Authsignal's rules trusted this device." in page


def test_a_new_device_is_challenged(rules_app, rules_tenant, new_email):
    create_account(Browserless(rules_app.test_client()), rules_tenant, new_email)
    other = Browserless(rules_app.test_client())  # another browser: no device cookie

    response = other.post_json("/api/sign-in", {"email": new_email, "password": PASSWORD})

    assert set(response.get_json()) == {"url"}


def test_a_blocked_address_is_refused_after_the_password(rules_app, new_email):
    visitor = Browserless(rules_app.test_client())
    visitor.page()

    response = visitor.client.post(
        "/api/sign-up", json={"email": new_email, "password": PASSWORD},
        headers={"X-CSRFToken": visitor.csrf}, environ_overrides={"REMOTE_ADDR": "203.0.113.66"},
    )

    assert response.status_code == 403
    assert response.get_json() == {"error": "blocked", "message": "This sign-in was blocked."}
