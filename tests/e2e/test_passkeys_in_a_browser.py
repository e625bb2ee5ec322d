"""Passkeys through the app, in headless Chromium with a virtual platform
authenticator (DevTools ``WebAuthn`` domain: internal transport, resident
keys, user verification): add one after an email-code sign-in, sign in with
it from the browser's autofill and from the button, remove it; and what goes
wrong plainly: a cancelled prompt, a passkey of another site, a cloned
passkey, a token sent with another user's id.

The app is served on ``http://localhost:<port>``: WebAuthn refuses IP
addresses, and the local Authsignal's relying party is ``localhost``."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from app import create_app
from emulators.background_server import BackgroundServer
from tests.conftest import app_environ
from tests.emulators.authsignal.helpers import enter_code_in_ui, latest_code, send_code_in_ui

pytestmark = pytest.mark.browser
POPUP = "#__authsignal-popup-iframe"


@pytest.fixture(scope="module")
def app_origin(local_cognito, authsignal_emulator, web_sdk_path, tmp_path_factory):
    app = create_app({"ENVIRON": app_environ(local_cognito, authsignal_emulator, tmp_path_factory.mktemp("sessions"))})
    with BackgroundServer(app) as server:
        yield server.origin.replace("127.0.0.1", "localhost")


class Authenticator:
    """A virtual platform authenticator attached to one page's browser context."""

    def __init__(self, page, user_verified=True):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": user_verified, "automaticPresenceSimulation": True,
        }})["authenticatorId"]

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def add(self, credential: dict) -> None:
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential})

    def set_user_verified(self, verified: bool) -> None:
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})


#: A browser without passkey autofill (conditional mediation), where the button
#: is the way in. Chromium's virtual authenticator answers an autofill request
#: at once, standing in for the person picking the passkey from the list; the
#: tests of anything but autofill turn it off so it cannot act first.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


@pytest.fixture
def page(page):
    page.add_init_script(NO_AUTOFILL)
    return page


@pytest.fixture
def autofill_page(new_context):
    return new_context().new_page()


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_in_with_email_code(page, app_origin, emulator, email):
    page.goto(f"{app_origin}/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in", exact=True).click()
    popup = page.frame_locator(POPUP)
    send_code_in_ui(popup)
    # The popup (127.0.0.1) is another site than the app (localhost): the keyboard, not clicks.
    enter_code_in_ui(popup, latest_code(emulator, email))
    expect(heading(page)).to_have_text(f"Signed in as {email}")


def add_passkey(page):
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-list .passkey")).to_have_count(1)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(heading(page)).to_have_text("Sign in")


def verified_with(page):
    return page.locator("dt", has_text="Verified with").locator("xpath=following-sibling::dd[1]")


def enrolled(page, app_origin, emulator, email) -> Authenticator:
    """A user who signed in with an email code, added a passkey and signed out."""
    authenticator = Authenticator(page)
    sign_in_with_email_code(page, app_origin, emulator, email)
    add_passkey(page)
    sign_out(page)
    return authenticator


def test_add_a_passkey_then_sign_in_with_the_button(page, app_origin, authsignal_emulator, email):
    Authenticator(page)
    sign_in_with_email_code(page, app_origin, authsignal_emulator, email)
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()

    add_passkey(page)
    passkey = page.locator("#passkey-list .passkey")
    expect(passkey).to_contain_text(re.compile(r"Passkey\s+added \d\d \w{3} \d{4}"))
    # This device now holds the user's passkey: nothing more to add here.
    expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()

    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(heading(page)).to_have_text(f"Signed in as {email}")
    expect(verified_with(page)).to_have_text("Passkey")
    expect(page.locator("#passkey-list .passkey")).to_contain_text(re.compile(r"last used \d"))


def test_sign_in_from_the_browsers_autofill(autofill_page, app_origin, authsignal_emulator, email):
    page = autofill_page
    Authenticator(page)
    sign_in_with_email_code(page, app_origin, authsignal_emulator, email)
    add_passkey(page)
    expect(page.get_by_label("Email")).to_have_count(0)

    # The sign-in page offers the passkey in the autofill as it loads; the
    # virtual authenticator picks it.
    page.get_by_role("button", name="Sign out").click()

    expect(heading(page)).to_have_text(f"Signed in as {email}", timeout=15_000)
    expect(verified_with(page)).to_have_text("Passkey")


def test_the_email_field_asks_the_browser_for_passkeys(page, app_origin):
    page.goto(f"{app_origin}/")
    assert page.get_by_label("Email").get_attribute("autocomplete") == "username webauthn"


def test_remove_a_passkey(page, app_origin, authsignal_emulator, authsignal, email):
    Authenticator(page)
    sign_in_with_email_code(page, app_origin, authsignal_emulator, email)
    add_passkey(page)

    page.locator("#passkey-list .passkey").get_by_role("button", name=re.compile("^Remove")).click()

    expect(page.get_by_role("status").first).to_contain_text("Passkey removed")
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()
    sub = page.locator("code").inner_text()
    assert [a for a in authsignal.get_authenticators(sub) if a["verification_method"] == "PASSKEY"] == []
    # The device's credential is no longer one of the user's: adding one is offered again.
    expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()


def test_a_removed_passkey_no_longer_signs_in(page, app_origin, authsignal_emulator, email):
    Authenticator(page)
    sign_in_with_email_code(page, app_origin, authsignal_emulator, email)
    add_passkey(page)
    page.locator("#passkey-list .passkey").get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()
    sign_out(page)

    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator("#error")).to_contain_text("not registered")
    expect(heading(page)).to_have_text("Sign in")


def test_a_cancelled_prompt_leaves_the_email_sign_in_working(page, app_origin, authsignal_emulator, email):
    authenticator = enrolled(page, app_origin, authsignal_emulator, email)
    authenticator.set_user_verified(False)  # the person does not confirm: the browser refuses

    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator("#error")).to_have_text(
        "No passkey was used. Sign in with your email, or try the passkey again.")
    sign_in_with_email_code(page, app_origin, authsignal_emulator, email)


def test_a_passkey_of_another_site_is_not_offered(page, app_origin, authsignal_emulator, email):
    """A credential for another relying party stays invisible to this site:
    the browser has nothing to offer, the person is told plainly."""
    authenticator = Authenticator(page)
    page.goto(f"{app_origin}/")
    authenticator.add({
        "credentialId": "b3RoZXItc2l0ZS1wYXNza2V5", "isResidentCredential": True, "rpId": "example.com",
        "privateKey": _new_private_key(), "userHandle": "b3RoZXI=", "signCount": 0,
    })

    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator("#error")).to_contain_text("No passkey was used")
    expect(heading(page)).to_have_text("Sign in")


def test_a_cloned_passkey_is_refused(new_context, page, app_origin, authsignal_emulator, email):
    """A copy of the key whose counter is behind the one the service saw last."""
    authenticator = enrolled(page, app_origin, authsignal_emulator, email)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(heading(page)).to_have_text(f"Signed in as {email}")
    [original] = authenticator.credentials()
    assert original["signCount"] >= 1

    thief = new_context().new_page()
    thief.add_init_script(NO_AUTOFILL)
    thief.goto(f"{app_origin}/")
    Authenticator(thief).add({**original, "signCount": 0})
    thief.get_by_role("button", name="Sign in with a passkey").click()

    expect(thief.locator("#error")).to_contain_text(re.compile(r"refused: .*sign count of \d+ was not greater"))
    expect(heading(thief)).to_have_text("Sign in")


def test_a_passkey_token_sent_with_another_users_id_signs_nobody_in(page, new_context, app_origin,
                                                                    authsignal_emulator, email):
    victim = new_context()
    victim_page = victim.new_page()
    sign_in_with_email_code(victim_page, app_origin, authsignal_emulator, "victim-" + email)
    victim_sub = victim_page.locator("code").inner_text()
    victim.close()
    enrolled(page, app_origin, authsignal_emulator, email)

    def swap_user(route):
        body = json.loads(route.request.post_data)
        route.continue_(post_data=json.dumps({**body, "userId": victim_sub}))

    page.route("**/api/sign-in/passkey", swap_user)
    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator("#error")).to_have_text("This passkey could not sign you in. Sign in with your email instead.")
    page.goto(f"{app_origin}/")
    expect(heading(page)).to_have_text("Sign in")


def test_on_an_ip_address_the_page_says_where_passkeys_work(page, app_origin):
    page.goto(app_origin.replace("localhost", "127.0.0.1") + "/")

    expect(page.locator("#passkey-address")).to_contain_text(f"open {app_origin}/")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)


def _new_private_key() -> str:
    """A PKCS#8 P-256 key, base64 (not url) as the DevTools protocol takes it."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return base64.b64encode(der).decode()


# ----- after a password: the passkey as the second step, in the pre-built UI ------------
PASSWORD = "Correct-Horse-7-battery"


@pytest.fixture(scope="module")
def localhost_authsignal():
    """A tenant on http://localhost:<port> (the pre-built UI's page must be on
    the relying party too), offering email codes and passkeys."""
    from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

    with AuthsignalEmulator(AuthsignalEmulatorConfig(methods=("EMAIL_OTP", "PASSKEY")), host="localhost") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def password_app_origin(local_cognito, localhost_authsignal, web_sdk_path, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHSIGNAL_URL", localhost_authsignal.base_url)
        patch.setenv("AUTHSIGNAL_SECRET", localhost_authsignal.config.secret)
        patch.setenv("SIGN_IN_FLOW", "password_mfa")
        environ = {
            **app_environ(local_cognito, localhost_authsignal, tmp_path_factory.mktemp("sessions")),
            "SIGN_IN_FLOW": "password_mfa",
        }
        with BackgroundServer(create_app({"ENVIRON": environ})) as server:
            yield server.origin.replace("127.0.0.1", "localhost")


def test_after_a_password_a_passkey_is_the_second_step(page, password_app_origin, localhost_authsignal, email):
    Authenticator(page)
    page.goto(f"{password_app_origin}/sign-up")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    popup = page.frame_locator(POPUP)
    send_code_in_ui(popup)
    popup.get_by_label("Verification code").fill(latest_code(localhost_authsignal, email))
    popup.get_by_role("button", name="Verify").click()
    expect(heading(page)).to_have_text(f"Signed in as {email}")
    add_passkey(page)
    sign_out(page)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    popup.get_by_role("button", name="Use another method").click()
    popup.get_by_role("button", name="Passkey").click()
    popup.get_by_role("button", name="Use passkey").click()

    expect(heading(page)).to_have_text(f"Signed in as {email}")
    expect(verified_with(page)).to_have_text("Passkey")


# ----- local mode, as `make run` serves it ----------------------------------------------
@pytest.fixture(scope="module")
def local_mode_origin(tmp_path_factory, web_sdk_path):
    """The app in local mode (its own emulators, the local Authsignal on
    localhost, PASSKEY among the default methods), served on localhost."""
    import os

    from tests.support.ports import free_port

    with pytest.MonkeyPatch.context() as patch:
        for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET", "SIGN_IN_FLOW", "AUTHSIGNAL_REDIRECT_URL"):
            patch.setenv(name, os.environ.get(name, ""))
        app = create_app({"ENVIRON": {
            "LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_AUTHSIGNAL_PORT": str(free_port()),
            "LOCAL_STATE_DIR": str(tmp_path_factory.mktemp("local-state")),
        }})
        with BackgroundServer(app) as server:
            yield server.origin.replace("127.0.0.1", "localhost"), app.extensions["settings"].dev_inbox_url


def test_local_mode_add_a_passkey_and_use_it_both_ways(page, local_mode_origin, email):
    import requests

    origin, inbox = local_mode_origin

    def code():
        return requests.get(f"{inbox}.json", params={"to": email}, timeout=5).json()[0]["code"]

    def email_code_sign_in():
        page.goto(f"{origin}/")
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Sign in", exact=True).click()
        return page.frame_locator(POPUP)

    Authenticator(page)
    popup = email_code_sign_in()
    send_code_in_ui(popup)
    popup.get_by_label("Verification code").fill(code())
    popup.get_by_role("button", name="Verify").click()
    expect(heading(page)).to_have_text(f"Signed in as {email}")
    add_passkey(page)
    sign_out(page)

    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(heading(page)).to_have_text(f"Signed in as {email}")
    expect(verified_with(page)).to_have_text("Passkey")
    sign_out(page)

    # The pre-built UI offers it too, now that the user has one.
    popup = email_code_sign_in()
    popup.get_by_role("button", name="Use another method").click()
    popup.get_by_role("button", name="Passkey").click()
    popup.get_by_role("button", name="Use passkey").click()
    expect(heading(page)).to_have_text(f"Signed in as {email}")
    expect(verified_with(page)).to_have_text("Passkey")
