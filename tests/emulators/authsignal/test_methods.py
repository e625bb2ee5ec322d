"""The tenant's verification methods (``--methods``): what track answers
about them, and what the pre-built UI offers, in which order."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
import requests
from authsignal import AuthsignalClient

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from emulators.authsignal.config import ConfigError

from .helpers import ChallengeDriver, complete_challenge

ACTION = "cognitoAuth"


@pytest.fixture(scope="module")
def app_first():
    """A tenant preferring the authenticator app (as after a password)."""
    with AuthsignalEmulator(AuthsignalEmulatorConfig(methods=("AUTHENTICATOR_APP", "EMAIL_OTP"))) as emulator:
        yield emulator


def client_of(emulator) -> AuthsignalClient:
    return AuthsignalClient(emulator.config.secret, api_url=emulator.base_url)


def page_config(url: str) -> dict:
    page = requests.get(url, timeout=5).text
    return json.loads(re.search(r'<script id="challenge-config" type="application/json">(.*?)</script>', page, re.S)[1])


def enrol_app(emulator, client, user_id, email, **attributes) -> None:
    track = client.track(user_id, ACTION, {"email": email, **attributes})
    driver = ChallengeDriver(emulator, track["token"])
    secret = driver.enroll_totp().json()["secret"]
    assert driver.verify_totp(pyotp.TOTP(secret).now()).json()["isVerified"] is True


# ----- configuration -----------------------------------------------------------------

def test_the_default_methods_are_email_otp_then_the_authenticator_app():
    assert AuthsignalEmulatorConfig().methods == ("EMAIL_OTP", "AUTHENTICATOR_APP")


def test_methods_may_be_a_comma_separated_string_in_the_tenants_order():
    assert AuthsignalEmulatorConfig(methods=" AUTHENTICATOR_APP, EMAIL_OTP ").methods == ("AUTHENTICATOR_APP", "EMAIL_OTP")


def test_passkeys_may_be_offered_too():
    assert AuthsignalEmulatorConfig(methods=("EMAIL_OTP", "PASSKEY")).methods == ("EMAIL_OTP", "PASSKEY")


def test_every_other_method_may_be_offered():
    methods = ("SMS", "WHATSAPP", "EMAIL_MAGIC_LINK", "EMAIL_OTP", "AUTHENTICATOR_APP")

    assert AuthsignalEmulatorConfig(methods=methods).methods == methods


@pytest.mark.parametrize("methods", ["email_otp", "TOTP", "EMAIL_OTP,PUSH"])
def test_unknown_method_names_are_refused(methods):
    with pytest.raises(ConfigError) as caught:
        AuthsignalEmulatorConfig(methods=methods)

    assert "unknown verification method" in caught.value.message
    assert "EMAIL_OTP, EMAIL_MAGIC_LINK, SMS, WHATSAPP, AUTHENTICATOR_APP, PASSKEY" in caught.value.message


def test_no_method_at_all_is_refused():
    with pytest.raises(ConfigError):
        AuthsignalEmulatorConfig(methods="")


# ----- track's method fields ---------------------------------------------------------------

def test_track_answers_the_tenants_methods_in_its_order(app_first, user_id, email):
    result = client_of(app_first).track(user_id, ACTION, {"email": email})

    assert result["allowed_verification_methods"] == ["AUTHENTICATOR_APP", "EMAIL_OTP"]
    assert result["enrolled_verification_methods"] == []
    assert result["default_verification_method"] == "AUTHENTICATOR_APP"


def test_a_user_without_authenticators_defaults_to_the_first_allowed(authsignal, user_id, email):
    result = authsignal.track(user_id, ACTION, {"email": email})

    assert (result["is_enrolled"], result["default_verification_method"]) == (False, "EMAIL_OTP")


def test_the_default_is_the_first_enrolled_method_in_the_tenants_order(app_first, user_id, email):
    client = client_of(app_first)
    complete_challenge(app_first, client.track(user_id, ACTION, {"email": email}), email)
    email_only = client.track(user_id, ACTION, {"email": email})
    enrol_app(app_first, client, user_id, email, scope="add:authenticators")

    both = client.track(user_id, ACTION, {"email": email})

    assert email_only["enrolled_verification_methods"] == ["EMAIL_OTP"]
    assert email_only["default_verification_method"] == "EMAIL_OTP"  # enrolled beats allowed
    assert both["enrolled_verification_methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]
    assert both["default_verification_method"] == "AUTHENTICATOR_APP"  # the tenant's order


def test_track_and_get_user_agree_once_enrolled(authsignal, authsignal_emulator, user_id, email):
    enrol_app(authsignal_emulator, authsignal, user_id, email)

    track = authsignal.track(user_id, ACTION, {"email": email})
    user = authsignal.get_user(user_id)

    for body in (track, user):
        assert body["allowed_verification_methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]
        assert body["enrolled_verification_methods"] == ["AUTHENTICATOR_APP"]
        assert body["default_verification_method"] == "AUTHENTICATOR_APP"


# ----- what the pre-built UI offers ----------------------------------------------------------

def test_a_new_user_is_offered_every_method_the_default_first(authsignal, app_first, user_id, email):
    default_tenant = page_config(authsignal.track(user_id, ACTION, {"email": email})["url"])
    preferring_app = page_config(client_of(app_first).track(user_id, ACTION, {"email": email})["url"])

    assert default_tenant["methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]
    assert preferring_app["methods"] == ["AUTHENTICATOR_APP", "EMAIL_OTP"]
    assert preferring_app["totpEnrolled"] is False


def test_an_app_user_is_offered_the_app_first(authsignal, authsignal_emulator, user_id, email):
    enrol_app(authsignal_emulator, authsignal, user_id, email)

    config = page_config(authsignal.track(user_id, ACTION, {"email": email})["url"])

    assert config["methods"] == ["AUTHENTICATOR_APP", "EMAIL_OTP"]
    assert config["totpEnrolled"] is True


def test_an_email_user_is_not_offered_to_enrol_an_app_without_add_authenticators(
    authsignal, authsignal_emulator, user_id, email
):
    complete_challenge(authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email}), email)

    plain = page_config(authsignal.track(user_id, ACTION, {"email": email})["url"])
    scoped = page_config(authsignal.track(user_id, ACTION, {"email": email, "scope": "add:authenticators"})["url"])

    assert plain["methods"] == ["EMAIL_OTP"]
    assert scoped["methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]


def test_an_app_user_tracked_without_email_cannot_enrol_one(authsignal, authsignal_emulator, user_id, email):
    # Binding: entering any email would otherwise bypass the enrolled app.
    enrol_app(authsignal_emulator, authsignal, user_id, email)
    track = authsignal.track(user_id, ACTION)

    config = page_config(track["url"])
    response = ChallengeDriver(authsignal_emulator, track["token"]).post(
        "/user-authenticators/email-otp", {"email": f"other-{email}"}
    )

    assert config["methods"] == ["AUTHENTICATOR_APP"]
    assert response.status_code == 403


def test_a_tenant_with_one_method_offers_only_it(user_id, email):
    config = AuthsignalEmulatorConfig(methods="EMAIL_OTP")
    with AuthsignalEmulator(config) as emulator:
        client = client_of(emulator)
        track = client.track(user_id, ACTION, {"email": email})

        assert page_config(track["url"])["methods"] == ["EMAIL_OTP"]
        assert track["allowed_verification_methods"] == ["EMAIL_OTP"]
