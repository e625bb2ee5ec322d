"""What a sign-in costs the page, guarded: from the click to "Signed in as",
the page itself makes two requests (start the sign-in, confirm it) and no
navigation; the signed-in content comes in the confirm's answer, the URL is
right without a new history entry, and a reload shows the same page. (The
pre-built UI's own requests, in its iframe, are Authsignal's; the signed-in
page's passkey script is fetched once that page shows. The JS weight is
guarded in tests/app/test_local_mode.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import create_app
from emulators.background_server import BackgroundServer
from tests.conftest import app_environ
from tests.emulators.authsignal.helpers import latest_code, send_code_in_ui

from .test_passkeys_in_a_browser import sign_in_with_email_code

pytestmark = pytest.mark.browser
POPUP = "#__authsignal-popup-iframe"
#: Notes the moment the signed-in heading appears (performance.now()).
WATCH_FOR_SIGNED_IN = """
window.__signedInAt = null;
new MutationObserver(function () {
  var h1 = document.querySelector("h1");
  if (window.__signedInAt === null && h1 && h1.textContent.indexOf("Signed in as") === 0) {
    window.__signedInAt = performance.now();
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


@pytest.fixture(scope="module")
def app_url(local_cognito, authsignal_emulator, web_sdk_path, tmp_path_factory):
    app = create_app({"ENVIRON": app_environ(local_cognito, authsignal_emulator, tmp_path_factory.mktemp("sessions"))})
    with BackgroundServer(app) as server:
        yield server.origin.replace("127.0.0.1", "localhost")  # where passkeys work


def test_a_sign_in_is_two_requests_and_no_reload(page, app_url, authsignal_emulator, email):
    page.add_init_script(WATCH_FOR_SIGNED_IN)
    page.goto(app_url)
    page.evaluate("window.__samePage = true")  # gone if the page reloads
    history_before = page.evaluate("history.length")
    page.get_by_label("Email").fill(email)
    clicked_at = page.evaluate("performance.now()")
    page.get_by_role("button", name="Sign in", exact=True).click()
    popup = page.frame_locator(POPUP)
    send_code_in_ui(popup)
    popup.get_by_label("Verification code").fill(latest_code(authsignal_emulator, email))
    popup.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")

    # The passkey autofill's calls to Authsignal start on load, and may still
    # be starting at the click: they are the page view's, not the sign-in's.
    requests = page.evaluate(
        """([from, to, authsignal]) => performance.getEntriesByType("resource")
             .filter(e => e.startTime >= from && e.startTime <= to && e.initiatorType !== "iframe")
             .map(e => new URL(e.name))
             .filter(url => !(url.origin === authsignal && /^\\/v1\\/client\\/(challenge|user-authenticators\\/passkey)/.test(url.pathname)))
             .map(url => url.origin + url.pathname)""",
        [clicked_at, page.evaluate("window.__signedInAt"), authsignal_emulator.origin],
    )
    assert requests == [f"{app_url}/api/sign-in", f"{app_url}/api/confirm"]
    assert page.evaluate("window.__samePage === true"), "the page must not reload after the sign-in"
    assert page.url == f"{app_url}/"
    assert page.evaluate("history.length") == history_before
    assert page.title() == "Signed in"

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


def test_the_swapped_in_page_signs_out_and_adds_passkeys_as_the_loaded_one(page, app_url, authsignal_emulator,
                                                                             email):
    """Its forms carry the new session's CSRF token, and its passkey script runs."""
    sign_in_with_email_code(page, app_url, authsignal_emulator, email)

    expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
