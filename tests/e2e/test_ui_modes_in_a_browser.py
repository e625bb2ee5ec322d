"""AUTHSIGNAL_UI_MODE in a browser: redirect mode comes back through
/auth/callback; window mode signs in, notices a closed window, and falls back
to redirect mode when the browser blocks the window."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import create_app
from emulators.background_server import BackgroundServer
from tests.conftest import app_environ
from tests.emulators.authsignal.helpers import latest_code, send_code_in_ui

pytestmark = pytest.mark.browser


def serve(mode, local_cognito, authsignal_emulator, tmp_path_factory):
    environ = {**app_environ(local_cognito, authsignal_emulator, tmp_path_factory.mktemp("sessions")),
               "AUTHSIGNAL_UI_MODE": mode}
    return BackgroundServer(create_app({"ENVIRON": environ}))


@pytest.fixture(scope="module")
def app_urls(local_cognito, authsignal_emulator, web_sdk_path, tmp_path_factory):
    with serve("redirect", local_cognito, authsignal_emulator, tmp_path_factory) as redirect_app, \
            serve("window", local_cognito, authsignal_emulator, tmp_path_factory) as window_app:
        yield {"redirect": redirect_app.origin, "window": window_app.origin}


@pytest.fixture(autouse=True)
def callback_of(monkeypatch):
    """The Create trigger sends the pre-built UI back to the app's callback
    (AUTHSIGNAL_REDIRECT_URL), as deployed: set per app started."""
    return lambda url: monkeypatch.setenv("AUTHSIGNAL_REDIRECT_URL", f"{url}/auth/callback")


def start(page, url, email, callback_of=None):
    if callback_of is not None:
        callback_of(url)
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in").click()


def verify_in(ui, authsignal_emulator, email):
    send_code_in_ui(ui)
    ui.get_by_label("Verification code").fill(latest_code(authsignal_emulator, email))
    ui.get_by_role("button", name="Verify").click()


def test_redirect_mode_comes_back_signed_in(page, app_urls, authsignal_emulator, email, callback_of):
    start(page, app_urls["redirect"], email, callback_of)
    page.wait_for_url(f"{authsignal_emulator.origin}/challenge?*")

    verify_in(page, authsignal_emulator, email)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")
    assert page.url == f"{app_urls['redirect']}/"


def test_window_mode_signs_in(page, app_urls, authsignal_emulator, email):
    with page.context.expect_page() as opened:
        start(page, app_urls["window"], email)
    verify_in(opened.value, authsignal_emulator, email)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


def test_a_closed_window_is_noticed_and_can_be_tried_again(page, app_urls, authsignal_emulator, email):
    with page.context.expect_page() as opened:
        start(page, app_urls["window"], email)
    opened.value.close()

    expect(page.get_by_role("alert").last).to_have_text("The sign-in window was closed.")
    with page.context.expect_page() as reopened:
        page.get_by_role("button", name="Try again").click()
    verify_in(reopened.value, authsignal_emulator, email)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


def test_a_blocked_window_falls_back_to_redirect_mode(page, app_urls, authsignal_emulator, email, callback_of):
    page.add_init_script("window.open = function () { return null; };")  # a popup blocker

    start(page, app_urls["window"], email, callback_of)
    page.wait_for_url(f"{authsignal_emulator.origin}/challenge?*")  # this tab, not a window
    verify_in(page, authsignal_emulator, email)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")
    assert page.url == f"{app_urls['window']}/"
