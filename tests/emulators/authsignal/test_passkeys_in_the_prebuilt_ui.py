"""Passkeys in the pre-built UI: offered to a user who has one (never
enrolled there), used with the page's own WebAuthn call in the Web SDK's
popup, in headless Chromium with a virtual authenticator. The local Authsignal
listens on ``localhost`` (WebAuthn refuses IP addresses), and only the app's
origin is allowed, so its own page's origin is accepted for passkeys on its
own account."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from authsignal import AuthsignalClient
from playwright.sync_api import expect

import emulators.authsignal
from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from emulators.authsignal.service import AuthsignalService
from emulators.authsignal.store import Action, AuthsignalStore, Passkey

from .helpers import latest_code, sdk_page, send_code_in_ui, serve_sdk_page
from .test_passkeys import authenticator  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser
ACTION = "cognitoAuth"
POPUP = "#__authsignal-popup-iframe"

APP_PAGE = sdk_page("Passkey app", """\
  window.signUp = async function (token) {
    var r = await window.client.passkey.signUp({ token: token, username: "alice@example.com" });
    return r.error || null;
  };
  window.launchDone = false;
  window.launch = function (url) {
    window.client.launch(url, { mode: "popup" }).then(function (r) {
      window.launchToken = r.token === undefined ? null : r.token;
      window.launchDone = true;
    });
  };
""")


@pytest.fixture(scope="module")
def app_origin(web_sdk_path):
    with serve_sdk_page(APP_PAGE, web_sdk_path) as server:
        yield server.origin.replace("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def emulator(app_origin):
    """On localhost, so the pre-built UI's page can use passkeys of localhost;
    the app's origin is the only allowed (and so passkey) origin."""
    config = AuthsignalEmulatorConfig(methods="EMAIL_OTP,PASSKEY", allowed_origins=app_origin)
    with AuthsignalEmulator(config, host="localhost") as started:
        assert started.origin.startswith("http://localhost:")
        yield started


@pytest.fixture
def client(emulator) -> AuthsignalClient:
    return AuthsignalClient(emulator.config.secret, api_url=emulator.base_url)


def open_app(page, app_origin, emulator):
    page.goto(f"{app_origin}/")
    page.evaluate("([t, b]) => window.makeClient(t, b)", [emulator.config.tenant_id, emulator.base_url])


def sign_up(page, client, user_id):
    """A passkey made the only way there is: the Web SDK's signUp with a track token."""
    error = page.evaluate("(token) => window.signUp(token)", client.track(user_id, "addPasskey", {})["token"])
    assert error is None, error


def launch(page, url):
    page.evaluate("(url) => window.launch(url)", url)
    return page.frame_locator(POPUP)


def result_token(page):
    page.wait_for_function("window.launchDone === true")
    return page.evaluate("window.launchToken")


def validated(client, token, user_id) -> dict:
    result = client.validate_challenge({"token": token, "userId": user_id, "action": ACTION})
    assert result["is_valid"] is True, result
    return result


def test_passwordless_the_popup_opens_on_the_users_passkey(page, app_origin, emulator, client, user_id, email,
                                                           authenticator):
    open_app(page, app_origin, emulator)
    sign_up(page, client, user_id)
    ui = launch(page, client.track(user_id, ACTION, {"email": email})["url"])

    expect(ui.get_by_role("heading")).to_have_text("Use your passkey")
    ui.get_by_role("button", name="Use passkey").click()
    result = validated(client, result_token(page), user_id)

    assert (result["state"], result["verification_method"]) == ("CHALLENGE_SUCCEEDED", "PASSKEY")
    assert page.locator(POPUP).count() == 0


def test_after_a_password_the_passkey_is_chosen_among_the_methods(page, app_origin, emulator, client, user_id,
                                                                   email, authenticator):
    open_app(page, app_origin, emulator)
    sign_up(page, client, user_id)
    client.enroll_verified_authenticator(user_id, {"verificationMethod": "EMAIL_OTP", "email": email,
                                                   "isDefault": True})
    ui = launch(page, client.track(user_id, ACTION, {"email": email})["url"])
    expect(ui.locator("#send-step")).to_contain_text(email)

    ui.get_by_role("button", name="Use another method").click()
    expect(ui.locator("#method-list button.method")).to_have_text(["Passkey"])
    ui.get_by_role("button", name="Passkey").click()
    ui.get_by_role("button", name="Use passkey").click()

    assert validated(client, result_token(page), user_id)["verification_method"] == "PASSKEY"


def test_a_user_without_a_passkey_is_not_offered_one(page, app_origin, emulator, client, user_id, email):
    open_app(page, app_origin, emulator)
    ui = launch(page, client.track(user_id, ACTION, {"email": email})["url"])

    expect(ui.locator("#send-step")).to_be_visible()
    expect(ui.get_by_role("button", name="Use another method")).to_be_hidden()
    expect(ui.locator("#passkey-step")).to_be_hidden()
    assert '"methods": ["EMAIL_OTP"]' in requests.get(client.track(user_id, ACTION, {"email": email})["url"],
                                                       timeout=5).text


@pytest.mark.parametrize("how", ["not verified", "no credential"])
def test_a_failed_prompt_says_so_and_an_email_code_still_works(page, app_origin, emulator, client, user_id, email,
                                                               authenticator, how):
    cdp, authenticator_id = authenticator
    open_app(page, app_origin, emulator)
    sign_up(page, client, user_id)
    if how == "not verified":
        cdp.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False})
    else:
        cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator_id})
    ui = launch(page, client.track(user_id, ACTION, {"email": email})["url"])

    ui.get_by_role("button", name="Use passkey").click()
    expect(ui.get_by_role("alert")).to_contain_text("No passkey was used")
    expect(ui.get_by_role("button", name="Use passkey")).to_be_enabled()
    ui.get_by_role("button", name="Use another method").click()
    ui.get_by_role("button", name="Email code").click()
    send_code_in_ui(ui)
    ui.get_by_label("Verification code").fill(latest_code(emulator, email))
    ui.get_by_role("button", name="Verify", exact=True).click()

    assert validated(client, result_token(page), user_id)["verification_method"] == "EMAIL_OTP"


def test_on_an_ip_address_the_page_says_why_passkeys_fail(page, app_origin, user_id, email, authenticator):
    # The default local Authsignal listens on 127.0.0.1: its page is not on the relying party localhost.
    with AuthsignalEmulator(AuthsignalEmulatorConfig(methods="PASSKEY,EMAIL_OTP")) as on_ip:
        client = AuthsignalClient(on_ip.config.secret, api_url=on_ip.base_url)
        open_app(page, app_origin, on_ip)
        sign_up(page, client, user_id)
        ui = launch(page, client.track(user_id, ACTION, {"email": email})["url"])

        ui.get_by_role("button", name="Use passkey").click()

        expect(ui.get_by_role("alert")).to_have_text(
            "Passkeys for localhost can't be used on this page's address (127.0.0.1). Use another method."
        )
        expect(ui.get_by_role("button", name="Use another method")).to_be_visible()


def test_the_ui_script_never_creates_a_passkey():
    script = (Path(emulators.authsignal.__file__).parent / "static" / "authsignal-ui.js").read_text()

    assert "navigator.credentials.get(" in script
    assert "credentials.create" not in script and "registration-options" not in script


@pytest.mark.parametrize("tenant_methods, has_passkey, offered", [
    ("EMAIL_OTP,PASSKEY", True, ["PASSKEY", "EMAIL_OTP"]),
    ("EMAIL_OTP,PASSKEY", False, ["EMAIL_OTP"]),
    ("EMAIL_OTP", True, ["EMAIL_OTP"]),
])
def test_passkey_is_offered_to_its_owner_when_the_tenant_lists_it(tenant_methods, has_passkey, offered):
    store = AuthsignalStore()
    service = AuthsignalService(AuthsignalEmulatorConfig(methods=tenant_methods), store)
    now = time.time()
    store.ensure_user("u1", now)
    if has_passkey:
        store.save_passkey(Passkey(credential_id="Y3JlZA", user_authenticator_id="a1", user_id="u1",
                                   public_key=b"", sign_count=0, aaguid=None, device_type="single_device",
                                   backed_up=False, transports=None, created_at=now, last_verified_at=now))
    row = Action(idempotency_key="k1", user_id="u1", action=ACTION, state="CHALLENGE_REQUIRED",
                 email="u1@example.com", redirect_url=None, created_at=now, state_updated_at=now,
                 verification_method=None, validated_at=None, wrong_codes=0, code=None, code_expires_at=None)

    assert service.offered_methods(row) == offered
