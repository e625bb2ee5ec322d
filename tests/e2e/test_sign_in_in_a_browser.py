"""What a person does, in headless Chromium: the app on one origin, the local
Authsignal's popup on another, the local Cognito running the real lambdas."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import create_app
from emulators.background_server import BackgroundServer
from tests.conftest import app_environ
from tests.emulators.authsignal.helpers import latest_code, send_code_in_ui, wrong_code

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(local_cognito, authsignal_emulator, web_sdk_path, tmp_path_factory):
    app = create_app({"ENVIRON": app_environ(local_cognito, authsignal_emulator, tmp_path_factory.mktemp("sessions"))})
    with BackgroundServer(app) as server:
        yield server.origin


def start_sign_in(page, app_url, email):
    page.goto(app_url)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in").click()
    return page.frame_locator("#__authsignal-popup-iframe")


def enter_code(popup, code):
    popup.get_by_label("Verification code").fill(code)
    popup.get_by_role("button", name="Verify").click()


def test_sign_in_reload_and_sign_out(page, page_record, app_url, authsignal_emulator, email):
    popup = start_sign_in(page, app_url, email)
    expect(page.get_by_role("status").last).to_have_text("Complete the verification in the pop-up…")
    send_code_in_ui(popup)
    enter_code(popup, latest_code(authsignal_emulator, email))

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")
    expect(page.locator("code")).to_have_text(re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"))
    expect(page.get_by_text("Access token valid until")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # Nothing in the browser's console along the way (no missing icon, no
    # refused script or style, no failed request), in the page or the popup.
    assert page_record.problems == []


def test_a_wrong_code_before_the_right_one(page, app_url, authsignal_emulator, email):
    popup = start_sign_in(page, app_url, email)
    send_code_in_ui(popup)
    code = latest_code(authsignal_emulator, email)

    enter_code(popup, wrong_code(code))
    expect(popup.get_by_role("alert")).to_have_text("That code is incorrect. 4 attempts left.")
    enter_code(popup, code)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


def test_a_dismissed_popup_says_cancelled_and_can_start_again(page, app_url, authsignal_emulator, email):
    page.goto(app_url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Email").press("Enter")  # the keyboard works as well as the button
    page.frame_locator("#__authsignal-popup-iframe").get_by_role("button", name="Send code", exact=True).wait_for()

    page.locator("#__authsignal-popup-overlay").click(position={"x": 5, "y": 5})

    expect(page.get_by_role("alert")).to_have_text("Sign-in cancelled.")
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    popup = start_sign_in(page, app_url, email)
    send_code_in_ui(popup)
    enter_code(popup, latest_code(authsignal_emulator, email))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


def test_a_failed_challenge_offers_to_try_again(page, app_url, authsignal_emulator, email):
    popup = start_sign_in(page, app_url, email)
    send_code_in_ui(popup)
    bad = wrong_code(latest_code(authsignal_emulator, email))
    for _ in range(5):
        enter_code(popup, bad)
    popup.get_by_role("button", name="Close").click()

    expect(page.get_by_role("alert")).to_have_text("The verification did not succeed. Try again.")
    page.get_by_role("button", name="Try again").click()
    popup = page.frame_locator("#__authsignal-popup-iframe")
    send_code_in_ui(popup)
    enter_code(popup, latest_code(authsignal_emulator, email))

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")
