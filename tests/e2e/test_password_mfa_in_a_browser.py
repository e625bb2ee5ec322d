"""SIGN_IN_FLOW=password_mfa as a person uses it, in headless Chromium: create
an account (a weak password explained, then the authenticator app enrolled
from the QR code's secret), a wrong password, a new device challenged, a
known device let through by Authsignal's rules with no popup, a blocked
address, and a forgotten password reset through the local Cognito's inbox."""

from __future__ import annotations

import json
import time
import uuid

import pyotp
import pytest
import requests
from playwright.sync_api import expect

from app import create_app
from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from emulators.background_server import BackgroundServer
from tests.conftest import app_environ

pytestmark = pytest.mark.browser

POPUP = "#__authsignal-popup-iframe"
PASSWORD = "Correct-Horse-7-battery"
BLOCKED_ADDRESS = "203.0.113.66"
RULES = {
    "cognitoAuth": {
        "rules": [
            {"when": {"ipAddressIn": [BLOCKED_ADDRESS]}, "outcome": "BLOCK"},
            {"when": {"knownDevice": True}, "outcome": "ALLOW"},
        ],
        "default": "CHALLENGE_REQUIRED",
    }
}


@pytest.fixture(scope="module")
def mfa_authsignal(tmp_path_factory):
    """A tenant offering the authenticator app first, with the rules above."""
    rules = tmp_path_factory.mktemp("rules") / "rules.json"
    rules.write_text(json.dumps(RULES))
    config = AuthsignalEmulatorConfig(methods=("AUTHENTICATOR_APP", "EMAIL_OTP"), rules_path=str(rules))
    with AuthsignalEmulator(config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def app_url(local_cognito, mfa_authsignal, web_sdk_path, tmp_path_factory):
    """The app in the password flow behind a (pretend) proxy, so a browser
    context can claim an address; the triggers use the same tenant and flow."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHSIGNAL_URL", mfa_authsignal.base_url)
        patch.setenv("AUTHSIGNAL_SECRET", mfa_authsignal.config.secret)
        patch.setenv("SIGN_IN_FLOW", "password_mfa")
        environ = {
            **app_environ(local_cognito, mfa_authsignal, tmp_path_factory.mktemp("sessions")),
            "SIGN_IN_FLOW": "password_mfa", "BEHIND_PROXY": "true",
            "SIGN_IN_RATE_LIMIT": "1000 per minute", "SIGN_IN_EMAIL_RATE_LIMIT": "1000 per minute",
        }
        with BackgroundServer(create_app({"ENVIRON": environ})) as server:
            yield server.origin


def fill_credentials(page, email, password):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)


def sign_in(page, app_url, email, password=PASSWORD):
    page.goto(app_url)
    fill_credentials(page, email, password)
    page.get_by_role("button", name="Sign in").click()


def enrolment_secret(page) -> str:
    """The secret shown under the QR code, once the enrolment step is there."""
    popup = page.frame_locator(POPUP)
    expect(popup.get_by_role("heading")).to_have_text("Set up your authenticator app")
    expect(popup.locator("#totp-secret")).not_to_be_empty()
    return popup.locator("#totp-secret").inner_text().replace(" ", "")


def enter_code(page, code):
    popup = page.frame_locator(POPUP)
    popup.get_by_label("Verification code").fill(code)
    popup.get_by_role("button", name="Verify").click()


def signed_in(page, email):
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_password_then_the_authenticator_app_then_rules(new_context, page, app_url, local_cognito):
    email = f"mfa-{uuid.uuid4().hex[:10]}@example.com"

    # Create an account: a weak password is explained next to its field.
    page.goto(app_url)
    page.get_by_role("link", name="Create an account").click()
    fill_credentials(page, email, "weakpassword")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("That password is too weak.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # The popup enrols the authenticator app from the secret under the QR code.
    authenticator = pyotp.TOTP(enrolment_secret(page))
    enter_code(page, authenticator.now())
    signed_in(page, email)
    sign_out(page)

    # A wrong password: said plainly, next to the field, and no popup.
    sign_in(page, app_url, email, "Wrong-password-1")
    expect(page.locator("#password-error")).to_have_text("Incorrect email or password.")
    assert page.locator(POPUP).count() == 0

    # Another browser is a new device: asked for a code from the app.
    device = new_context().new_page()
    sign_in(device, app_url, email)
    expect(device.frame_locator(POPUP).get_by_role("heading")).to_have_text("Enter your authenticator code")
    enter_code(device, authenticator.at(time.time() + 30))  # the next step: the enrolment used this one
    signed_in(device, email)
    sign_out(device)

    # The same browser again is a known device: the rules let it through, no popup.
    sign_in(device, app_url, email)
    signed_in(device, email)
    assert device.locator(POPUP).count() == 0


def test_a_blocked_address_is_told_so(new_context, app_url, mfa_authsignal):
    email = f"mfa-{uuid.uuid4().hex[:10]}@example.com"
    page = new_context(extra_http_headers={"X-Forwarded-For": BLOCKED_ADDRESS}).new_page()
    page.goto(app_url + "/sign-up")
    fill_credentials(page, email, PASSWORD)

    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("alert").last).to_have_text("This sign-in was blocked.")
    assert page.locator(POPUP).count() == 0


def test_a_forgotten_password_is_reset_from_the_code_in_the_cognito_inbox(page, app_url, local_cognito):
    email = f"mfa-{uuid.uuid4().hex[:10]}@example.com"
    new_password = "Another-Good-Passw0rd"
    page.goto(app_url + "/sign-up")
    fill_credentials(page, email, PASSWORD)
    page.get_by_role("button", name="Create account").click()
    enter_code(page, pyotp.TOTP(enrolment_secret(page)).now())
    signed_in(page, email)
    sign_out(page)

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a code to")
    inbox = requests.get(f"{local_cognito.endpoint_url}/_dev/inbox.json", params={"to": email}, timeout=5).json()
    page.get_by_label("Code").fill(inbox[0]["code"])
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".notice")).to_have_text("Your password is set. Sign in with your new password.")

    # This browser is a known device, so the new password alone goes through the rules.
    sign_in(page, app_url, email, new_password)
    signed_in(page, email)
