"""Every verification method through the app, in headless Chromium: the
tenant offers them all, the user picks one with "Use another method", and
the signed-in page says which was used (codes and links read from the dev
inbox JSON, as a person reads their phone or mail)."""

from __future__ import annotations

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
ALL_METHODS = ("EMAIL_OTP", "EMAIL_MAGIC_LINK", "SMS", "WHATSAPP", "AUTHENTICATOR_APP")


@pytest.fixture(scope="module")
def every_method():
    with AuthsignalEmulator(AuthsignalEmulatorConfig(methods=ALL_METHODS)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def app_url(local_cognito, every_method, web_sdk_path, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHSIGNAL_URL", every_method.base_url)
        patch.setenv("AUTHSIGNAL_SECRET", every_method.config.secret)
        environ = app_environ(local_cognito, every_method, tmp_path_factory.mktemp("sessions"))
        with BackgroundServer(create_app({"ENVIRON": environ})) as server:
            yield server.origin


def inbox(emulator, to) -> list[dict]:
    return requests.get(f"{emulator.origin}/_dev/inbox.json", params={"to": to}, timeout=5).json()


def choose(page, app_url, email, label):
    page.goto(app_url)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in").click()
    popup = page.frame_locator(POPUP)
    popup.get_by_role("button", name="Use another method").click()
    popup.get_by_role("button", name=label, exact=True).click()
    return popup


def enter_code(popup, code):
    popup.get_by_label("Verification code").fill(code)
    popup.get_by_role("button", name="Verify").click()


def signed_in_with(page, email, label):
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")
    expect(page.locator("dt", has_text="Verified with").locator("xpath=following-sibling::dd[1]")).to_have_text(label)


@pytest.mark.parametrize("label, number", [("Text message", "+64 21 123 4567"), ("WhatsApp", "+61 412 345 678")])
def test_a_code_by_phone(page, app_url, every_method, email, label, number):
    popup = choose(page, app_url, email, label)
    popup.get_by_label("Phone number").fill(number)
    popup.get_by_role("button", name="Send code", exact=True).click()
    popup.get_by_label("Verification code").wait_for()
    e164 = "+" + "".join(ch for ch in number if ch.isdigit())
    [message] = inbox(every_method, e164)
    enter_code(popup, message["code"])

    signed_in_with(page, email, label)
    assert message["channel"] == ("SMS" if label == "Text message" else "WHATSAPP")


def test_an_email_link_opened_in_another_browser(new_context, page, app_url, every_method, email):
    popup = choose(page, app_url, email, "Email link")
    popup.get_by_role("button", name="Send link", exact=True).click()
    expect(popup.locator("#link-step")).to_contain_text(f"We sent a link to {email}")
    link = inbox(every_method, email)[0]["link"]

    tab = new_context().new_page()
    tab.goto(link)
    expect(tab.get_by_role("status")).to_contain_text("You can close this tab")

    signed_in_with(page, email, "Email link")


def test_the_authenticator_app_after_switching_back_and_forth(page, app_url, every_method, email):
    popup = choose(page, app_url, email, "Authenticator app")
    expect(popup.get_by_role("heading")).to_have_text("Set up your authenticator app")
    popup.get_by_role("button", name="Use another method").click()
    popup.get_by_role("button", name="Email code", exact=True).click()
    popup.get_by_role("button", name="Send code", exact=True).wait_for()
    popup.get_by_role("button", name="Use another method").click()
    popup.get_by_role("button", name="Authenticator app", exact=True).click()
    expect(popup.locator("#totp-secret")).not_to_be_empty()
    secret = popup.locator("#totp-secret").inner_text().replace(" ", "")
    enter_code(popup, pyotp.TOTP(secret).now())

    signed_in_with(page, email, "Authenticator app")


def test_the_email_code_by_default(page, app_url, every_method, email):
    page.goto(app_url)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in").click()
    popup = page.frame_locator(POPUP)
    popup.get_by_role("button", name="Send code", exact=True).click()
    popup.get_by_label("Verification code").wait_for()
    enter_code(popup, inbox(every_method, email)[0]["code"])

    signed_in_with(page, email, "Email code")
