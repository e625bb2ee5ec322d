"""Attribute names the real API does not read: answered 200 with a console
warning naming the camelCase key probably meant, or refused under --strict.
validate refuses a snake_case user_id either way."""

from __future__ import annotations

import logging

import pytest
import requests
from authsignal import AuthsignalClient
from authsignal.client import ApiException

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from emulators.authsignal.attributes import TRACK, probably_meant

ACTION = "cognitoAuth"
SNAKE_CASE = {
    "redirect_url": "redirectUrl",
    "phone_number": "phoneNumber",
    "ip_address": "ipAddress",
    "user_agent": "userAgent",
    "device_id": "deviceId",
    "redirect_to_settings": "redirectToSettings",
}


@pytest.fixture
def strict_authsignal():
    with AuthsignalEmulator(AuthsignalEmulatorConfig(strict=True)) as emulator:
        yield AuthsignalClient(emulator.config.secret, api_url=emulator.base_url)


def warnings_in(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "emulators.authsignal" and r.levelno == logging.WARNING]


def test_snake_case_track_attributes_are_answered_with_a_warning_each(authsignal, user_id, caplog):
    caplog.set_level(logging.WARNING, logger="emulators.authsignal")
    attributes = {
        "redirect_url": "http://localhost:3000", "redirect_to_settings": True, "phone_number": "1234567890",
        "ip_address": "127.0.0.1", "user_agent": "tests", "device_id": "device123",
    }

    result = authsignal.track(user_id, ACTION, attributes)

    assert result["state"] == "CHALLENGE_REQUIRED"
    assert sorted(warnings_in(caplog)) == sorted(
        f"[local Authsignal] track: {snake} is not an attribute Authsignal reads; did you mean {camel}?"
        for snake, camel in SNAKE_CASE.items()
    )


def test_a_snake_case_redirect_url_is_ignored_as_the_real_api_ignores_it(authsignal, authsignal_emulator, user_id):
    track = authsignal.track(user_id, ACTION, {"redirect_url": "https://evil.example/steal"})

    claims = authsignal_emulator.service.authenticate(track["token"])
    assert authsignal_emulator.service.challenge_context(claims)["redirectUrl"] is None


@pytest.mark.parametrize(
    "name, meant",
    [
        *SNAKE_CASE.items(),
        ("RedirectURL", "redirectUrl"),
        ("EMAIL", "email"),
        ("emial", "email"),
        ("idempotency_key", "idempotencyKey"),
        ("favouriteColour", None),
    ],
)
def test_the_warning_names_the_key_probably_meant(name, meant):
    assert probably_meant(name, TRACK) == meant


def test_a_name_like_no_known_one_is_warned_about_without_a_guess(authsignal, user_id, caplog):
    caplog.set_level(logging.WARNING, logger="emulators.authsignal")

    authsignal.track(user_id, ACTION, {"favouriteColour": "green"})

    assert warnings_in(caplog) == ["[local Authsignal] track: favouriteColour is not an attribute Authsignal reads."]


def test_update_user_and_enroll_warn_too(authsignal, user_id, email, caplog):
    caplog.set_level(logging.WARNING, logger="emulators.authsignal")

    authsignal.update_user(user_id, {"display_name": "Jane"})
    authsignal.enroll_verified_authenticator(
        user_id, {"verificationMethod": "EMAIL_OTP", "email": email, "is_default": True}
    )

    assert warnings_in(caplog) == [
        "[local Authsignal] update user: display_name is not an attribute Authsignal reads; did you mean displayName?",
        "[local Authsignal] enroll verified authenticator: is_default is not an attribute Authsignal reads; "
        "did you mean isDefault?",
    ]
    assert "display_name" not in authsignal.get_user(user_id)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, u, e: c.track(u, ACTION, {"redirect_url": "http://127.0.0.1:5000/"}), id="track"),
        pytest.param(lambda c, u, e: c.update_user(u, {"display_name": "Jane"}), id="update-user"),
        pytest.param(
            lambda c, u, e: c.enroll_verified_authenticator(u, {"verificationMethod": "EMAIL_OTP", "email": e, "is_default": True}),
            id="enroll",
        ),
        pytest.param(
            lambda c, u, e: c.update_action(u, ACTION, c.track(u, ACTION)["idempotency_key"], {"state": "BLOCK", "reason": "x"}),
            id="update-action",
        ),
        pytest.param(
            lambda c, u, e: c.validate_challenge({"token": c.track(u, ACTION)["token"], "actionCode": ACTION}),
            id="validate",
        ),
    ],
)
def test_strict_refuses_names_the_real_api_would_ignore(strict_authsignal, user_id, email, call):
    with pytest.raises(ApiException) as caught:
        call(strict_authsignal, user_id, email)

    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_request"


def test_strict_says_which_name_was_probably_meant_and_why_it_refuses(strict_authsignal, user_id):
    with pytest.raises(ApiException) as caught:
        strict_authsignal.track(user_id, ACTION, {"redirect_url": "http://127.0.0.1:5000/"})

    assert caught.value.error_description == (
        "redirect_url is not an attribute Authsignal reads; did you mean redirectUrl? "
        "(--strict refuses attributes the real API would ignore.)"
    )


def test_strict_still_answers_camel_case(strict_authsignal, user_id, email):
    result = strict_authsignal.track(user_id, ACTION, {"email": email, "redirectUrl": "http://127.0.0.1:5000/"})

    assert result["state"] == "CHALLENGE_REQUIRED"


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_validate_refuses_a_snake_case_user_id_either_way(user_id, strict):
    """Ignoring it, as the real API would, would skip the user check it asks for."""
    with AuthsignalEmulator(AuthsignalEmulatorConfig(strict=strict)) as emulator:
        client = AuthsignalClient(emulator.config.secret, api_url=emulator.base_url)
        token = client.track(user_id, ACTION)["token"]

        with pytest.raises(ApiException) as caught:
            client.validate_challenge({"token": token, "user_id": user_id})

    assert caught.value.status_code == 400
    assert caught.value.error_description == (
        "Unknown field(s): user_id. The body takes token, userId and action (camelCase)."
    )


def test_validate_answers_other_unknown_fields_with_a_warning(authsignal, user_id, caplog):
    caplog.set_level(logging.WARNING, logger="emulators.authsignal")
    token = authsignal.track(user_id, ACTION)["token"]

    result = authsignal.validate_challenge({"token": token, "actionCode": ACTION})

    assert result["state"] == "CHALLENGE_REQUIRED"
    assert warnings_in(caplog) == [
        "[local Authsignal] validate: actionCode is not an attribute Authsignal reads."
    ]


def test_query_users_warns_about_an_unknown_query_parameter(authsignal_emulator, caplog):
    caplog.set_level(logging.WARNING, logger="emulators.authsignal")

    response = requests.get(
        f"{authsignal_emulator.base_url}/users", params={"phone_number": "+6427000000"},
        auth=(authsignal_emulator.config.secret, ""), timeout=5,
    )

    assert response.status_code == 200
    assert warnings_in(caplog) == [
        "[local Authsignal] query users: phone_number is not a query parameter Authsignal reads; "
        "did you mean phoneNumber?"
    ]
