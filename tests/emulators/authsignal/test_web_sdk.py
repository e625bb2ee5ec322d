"""The unmodified ``@authsignal/browser`` Web SDK in headless Chromium, on an
app page of another origin, against the local Authsignal's pre-built UI."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from authsignal import AuthsignalClient
from playwright.sync_api import expect

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import latest_code, send_code_in_ui, serve_sdk_page, wrong_code

pytestmark = pytest.mark.browser
ACTION = "cognitoAuth"

APP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test app</title>
<script src="/sdk.js"></script></head>
<body><h1>Test app</h1>
<script>
  window.launchDone = false;
  window.startLaunch = function (tenantId, baseUrl, url, mode) {
    var client = new authsignal.Authsignal({ tenantId: tenantId, baseUrl: baseUrl });
    var result = client.launch(url, { mode: mode });
    if (result) result.then(function (r) { window.launchToken = r.token === undefined ? null : r.token; window.launchDone = true; });
  };
</script></body></html>"""


@pytest.fixture(scope="module")
def app_origin(web_sdk_path):
    """A stand-in for the app: another origin than the local Authsignal's."""
    done = "<!doctype html><title>Done</title><p>Back in the app</p>"
    with serve_sdk_page(APP_PAGE, web_sdk_path, done=done) as server:
        yield server.origin


def start(page, app_origin, emulator, url, mode="popup"):
    page.goto(f"{app_origin}/")
    page.evaluate(
        "([tenantId, baseUrl, url, mode]) => window.startLaunch(tenantId, baseUrl, url, mode)",
        [emulator.config.tenant_id, emulator.base_url, url, mode],
    )


def result_token(page):
    page.wait_for_function("window.launchDone === true")
    return page.evaluate("window.launchToken")


def enter_code(ui, code):
    ui.get_by_label("Verification code").fill(code)
    ui.get_by_role("button", name="Verify", exact=True).click()


def validate(authsignal, token, user_id):
    return authsignal.validate_challenge({"token": token, "userId": user_id, "action": ACTION})


def test_popup_mode_resolves_with_a_token_that_validates_once(
    page, app_origin, authsignal_emulator, authsignal, user_id, email
):
    url = authsignal.track(user_id, ACTION, {"email": email})["url"]
    start(page, app_origin, authsignal_emulator, url)
    # AUTHSIGNAL_READY reveals the iframe before the SDK's 3 s fallback.
    page.wait_for_selector("#__authsignal-popup-iframe.as-iframe-ready", timeout=2500)
    ui = page.frame_locator("#__authsignal-popup-iframe")

    expect(ui.locator("#send-step")).to_contain_text(f"We'll send a 6-digit code to {email}.")
    send_code_in_ui(ui)
    enter_code(ui, latest_code(authsignal_emulator, email))
    token = result_token(page)

    assert token
    assert page.locator("#__authsignal-popup-iframe").count() == 0
    first, second = validate(authsignal, token, user_id), validate(authsignal, token, user_id)
    assert (first["is_valid"], first["state"]) == (True, "CHALLENGE_SUCCEEDED")
    assert second["is_valid"] is False


def test_the_popup_resizes_to_its_content(page, app_origin, authsignal_emulator, authsignal, user_id, email):
    start(page, app_origin, authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email})["url"])

    page.wait_for_function(
        "() => { const f = document.querySelector('#__authsignal-popup-iframe'); return f && f.style.height.endsWith('px'); }"
    )


def test_a_wrong_code_then_the_right_one(page, app_origin, authsignal_emulator, authsignal, user_id, email):
    start(page, app_origin, authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator("#__authsignal-popup-iframe")
    send_code_in_ui(ui)
    code = latest_code(authsignal_emulator, email)

    enter_code(ui, wrong_code(code))
    ui.get_by_text("That code is incorrect. 4 attempts left.").wait_for()
    enter_code(ui, code)

    assert validate(authsignal, result_token(page), user_id)["is_valid"] is True


def test_five_wrong_codes_fail_and_close_with_a_failed_token(
    page, app_origin, authsignal_emulator, authsignal, user_id, email
):
    start(page, app_origin, authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator("#__authsignal-popup-iframe")
    send_code_in_ui(ui)
    bad = wrong_code(latest_code(authsignal_emulator, email))
    for left in (4, 3, 2, 1):
        enter_code(ui, bad)
        ui.get_by_text(f"That code is incorrect. {left} attempt").wait_for()
    enter_code(ui, bad)

    ui.get_by_text("Too many incorrect codes.").wait_for()
    ui.get_by_role("button", name="Close").click()
    result = validate(authsignal, result_token(page), user_id)

    assert (result["is_valid"], result["state"]) == (False, "CHALLENGE_FAILED")


def test_a_dismissed_popup_resolves_without_a_token(page, app_origin, authsignal_emulator, authsignal, user_id, email):
    start(page, app_origin, authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email})["url"])
    page.frame_locator("#__authsignal-popup-iframe").get_by_role("button", name="Send code", exact=True).wait_for()

    page.locator("#__authsignal-popup-overlay").click(position={"x": 5, "y": 5})

    assert result_token(page) is None


def test_the_ui_asks_for_an_email_when_track_had_none(page, app_origin, authsignal_emulator, authsignal, user_id, email):
    start(page, app_origin, authsignal_emulator, authsignal.track(user_id, ACTION, {})["url"])
    ui = page.frame_locator("#__authsignal-popup-iframe")

    ui.get_by_label("Email address").fill(email)
    send_code_in_ui(ui)
    enter_code(ui, latest_code(authsignal_emulator, email))

    assert validate(authsignal, result_token(page), user_id)["is_valid"] is True


def test_redirect_mode_returns_to_the_redirect_url_with_the_token(
    page, app_origin, authsignal_emulator, authsignal, user_id, email
):
    url = authsignal.track(user_id, ACTION, {"email": email, "redirectUrl": f"{app_origin}/done?step=2"})["url"]
    start(page, app_origin, authsignal_emulator, url, mode="redirect")
    page.wait_for_url(f"{authsignal_emulator.origin}/challenge?*")

    send_code_in_ui(page)
    enter_code(page, latest_code(authsignal_emulator, email))
    page.wait_for_url(f"{app_origin}/done?step=2&token=*")
    token = page.evaluate("new URLSearchParams(location.search).get('token')")

    assert validate(authsignal, token, user_id)["is_valid"] is True


def test_window_mode_resolves_with_a_token(page, app_origin, authsignal_emulator, authsignal, user_id, email):
    url = authsignal.track(user_id, ACTION, {"email": email})["url"]
    with page.context.expect_page() as opened:
        start(page, app_origin, authsignal_emulator, url, mode="window")
    window = opened.value

    send_code_in_ui(window)
    enter_code(window, latest_code(authsignal_emulator, email))

    assert validate(authsignal, result_token(page), user_id)["is_valid"] is True


@pytest.fixture(scope="module")
def strict_emulator():
    """A local Authsignal that allows one origin the test app is not on."""
    with AuthsignalEmulator(AuthsignalEmulatorConfig(allowed_origins="http://127.0.0.1:1")) as emulator:
        yield emulator


def test_a_disallowed_origin_cannot_frame_the_ui(page, app_origin, strict_emulator, user_id, email):
    client = AuthsignalClient(strict_emulator.config.secret, api_url=strict_emulator.base_url)
    start(page, app_origin, strict_emulator, client.track(user_id, ACTION, {"email": email})["url"])
    page.wait_for_selector("#__authsignal-popup-iframe")
    page.wait_for_timeout(1000)

    assert page.frame_locator("#__authsignal-popup-iframe").get_by_role("button", name="Send code").count() == 0
    assert page.evaluate("window.launchDone") is False


def test_a_disallowed_opener_gets_no_token(page, app_origin, strict_emulator, user_id, email):
    client = AuthsignalClient(strict_emulator.config.secret, api_url=strict_emulator.base_url)
    url = client.track(user_id, ACTION, {"email": email})["url"]
    with page.context.expect_page() as opened:
        start(page, app_origin, strict_emulator, url, mode="window")
    window = opened.value

    window.get_by_text("which is not an allowed origin").wait_for()

    assert window.get_by_role("button", name="Send code").count() == 0
    assert page.evaluate("window.launchDone") is False


# ----- the authenticator app and switching methods --------------------------------------

POPUP = "#__authsignal-popup-iframe"


@pytest.fixture(scope="module")
def app_first_emulator():
    """A tenant whose first method is the authenticator app (as after a password)."""
    with AuthsignalEmulator(AuthsignalEmulatorConfig(methods="AUTHENTICATOR_APP,EMAIL_OTP")) as emulator:
        yield emulator


def secret_shown(ui) -> str:
    secret = ui.locator("#totp-secret")
    expect(secret).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    return secret.inner_text()


def qr_code_shown(ui) -> bool:
    image = ui.get_by_role("img", name="QR code to add this account to your authenticator app")
    expect(image).to_be_visible()
    return image.evaluate("img => img.complete && img.naturalWidth > 0 && img.src.startsWith('data:image/svg+xml')")


def test_a_new_user_enrols_the_authenticator_app_then_is_asked_only_for_a_code(
    page, app_origin, app_first_emulator, user_id, email
):
    client = AuthsignalClient(app_first_emulator.config.secret, api_url=app_first_emulator.base_url)
    start(page, app_origin, app_first_emulator, client.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator(POPUP)

    expect(ui.get_by_role("heading")).to_have_text("Set up your authenticator app")
    assert qr_code_shown(ui)
    secret = secret_shown(ui)
    enter_code(ui, pyotp.TOTP(secret).now())
    first = validate(client, result_token(page), user_id)

    assert (first["is_valid"], first["state"], first["verification_method"]) == (
        True, "CHALLENGE_SUCCEEDED", "AUTHENTICATOR_APP",
    )
    assert [a["verification_method"] for a in client.get_authenticators(user_id)] == ["AUTHENTICATOR_APP"]

    start(page, app_origin, app_first_emulator, client.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator(POPUP)

    expect(ui.get_by_role("heading")).to_have_text("Enter your authenticator code")
    expect(ui.get_by_label("Verification code")).to_be_visible()
    expect(ui.locator("#totp-setup")).to_be_hidden()
    assert ui.get_by_role("button", name="Send code").count() == 0
    # The next step's code (one step of skew): the enrolment used this step's.
    enter_code(ui, pyotp.TOTP(secret).at(time.time() + 30))
    second = validate(client, result_token(page), user_id)

    assert (second["is_valid"], second["verification_method"]) == (True, "AUTHENTICATOR_APP")


def test_a_wrong_authenticator_code_says_how_many_attempts_are_left(
    page, app_origin, app_first_emulator, user_id, email
):
    client = AuthsignalClient(app_first_emulator.config.secret, api_url=app_first_emulator.base_url)
    start(page, app_origin, app_first_emulator, client.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator(POPUP)
    code = pyotp.TOTP(secret_shown(ui)).now()

    enter_code(ui, wrong_code(code))
    expect(ui.get_by_role("alert")).to_have_text("That code is incorrect. 4 attempts left.")
    enter_code(ui, code)

    assert validate(client, result_token(page), user_id)["is_valid"] is True


def test_use_another_method_switches_to_the_authenticator_app_and_back_to_email(
    page, app_origin, authsignal_emulator, authsignal, user_id, email
):
    start(page, app_origin, authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator(POPUP)
    # A new user of the default tenant starts with its first method: an email code.
    expect(ui.get_by_role("heading")).to_have_text("Verify your email")
    ui.get_by_role("button", name="Send code", exact=True).wait_for()

    ui.get_by_role("button", name="Use another method").click()
    expect(ui.get_by_role("button", name="Email code")).to_have_count(0)  # the one in use is not listed
    ui.get_by_role("button", name="Authenticator app").click()
    secret = secret_shown(ui)
    ui.get_by_role("button", name="Use another method").click()
    ui.get_by_role("button", name="Email code").click()
    send_code_in_ui(ui)
    ui.get_by_role("button", name="Use another method").click()
    ui.get_by_role("button", name="Authenticator app").click()
    assert secret_shown(ui) == secret  # the same enrolment, not a new secret
    ui.get_by_role("button", name="Use another method").click()
    ui.get_by_role("button", name="Email code").click()
    enter_code(ui, latest_code(authsignal_emulator, email))
    result = validate(authsignal, result_token(page), user_id)

    assert (result["is_valid"], result["verification_method"]) == (True, "EMAIL_OTP")
    assert [a["verification_method"] for a in authsignal.get_authenticators(user_id)] == ["EMAIL_OTP"]


def test_use_another_method_from_the_app_to_an_email_code(page, app_origin, app_first_emulator, user_id, email):
    client = AuthsignalClient(app_first_emulator.config.secret, api_url=app_first_emulator.base_url)
    start(page, app_origin, app_first_emulator, client.track(user_id, ACTION, {"email": email})["url"])
    ui = page.frame_locator(POPUP)
    secret_shown(ui)

    ui.get_by_role("button", name="Use another method").click()
    ui.get_by_role("button", name="Email code").click()
    send_code_in_ui(ui)
    enter_code(ui, latest_code(app_first_emulator, email))

    assert validate(client, result_token(page), user_id)["verification_method"] == "EMAIL_OTP"


def test_a_blocked_action_shows_no_code(page, app_origin, authsignal_emulator, authsignal, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    authsignal.update_action(user_id, ACTION, track["idempotency_key"], {"state": "BLOCK"})
    start(page, app_origin, authsignal_emulator, track["url"])
    ui = page.frame_locator(POPUP)

    expect(ui.get_by_text("This action was blocked.")).to_be_visible()
    assert ui.get_by_label("Verification code").is_hidden()
    assert ui.get_by_role("button", name="Send code").count() == 0
    assert ui.get_by_role("button", name="Use another method").count() == 0
    ui.get_by_role("button", name="Close").click()

    result = validate(authsignal, result_token(page), user_id)
    assert (result["is_valid"], result["state"]) == (False, "BLOCK")


def test_the_web_sdks_headless_totp_methods_work_against_the_emulator(
    new_context, web_sdk_path, authsignal_emulator, authsignal, user_id, email
):
    """``authsignal.totp.enroll()`` and ``.verify({code})`` of the unmodified
    SDK, same-origin (test_more_methods_in_a_browser.py calls it cross-origin): a page of the emulator's
    own origin with the SDK added to it."""
    page = new_context(bypass_csp=True).new_page()
    page.goto(f"{authsignal_emulator.origin}/challenge?token=none")
    page.add_script_tag(path=str(web_sdk_path))
    track = authsignal.track(user_id, ACTION, {"email": email})
    enrolled = page.evaluate(
        """async ([tenantId, baseUrl, token]) => {
             window.client = new authsignal.Authsignal({ tenantId, baseUrl });
             window.client.setToken(token);
             return await window.client.totp.enroll();
           }""",
        [authsignal_emulator.config.tenant_id, authsignal_emulator.base_url, track["token"]],
    )
    code = pyotp.parse_uri(enrolled["data"]["uri"]).now()
    verified = page.evaluate("async (code) => await window.client.totp.verify({ code })", code)

    assert enrolled["data"]["secret"] and enrolled["data"]["userId"] == user_id
    assert verified["data"]["isVerified"] is True
    assert verified["data"]["userAuthenticator"]["verificationMethod"] == "AUTHENTICATOR_APP"
    assert validate(authsignal, verified["data"]["token"], user_id)["is_valid"] is True
