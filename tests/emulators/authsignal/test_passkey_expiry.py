"""Passkey challenges expire (``passkey_challenge_ttl_seconds``, 5 minutes):
a registration or an assertion answered later is refused, however valid, and
so is a track with an expired ``challengeId``. Time is the test's clock; the
unmodified Web SDK in Chromium makes the real credentials."""

from __future__ import annotations

import base64

import pytest
import requests

from .test_passkeys import ACTION, app_origin, authenticator, open_app, run, sign_up  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def past_expiry(timed_emulator) -> int:
    """Seconds that take a challenge just made past its expiry."""
    return timed_emulator.config.passkey_challenge_ttl_seconds + 1


def advance_before(page, clock, seconds, path) -> None:
    """Let time pass just before the page POSTs to the client API's ``path``
    (after the browser made its credential, before the emulator sees it)."""
    def handle(route):
        if route.request.method == "POST":
            clock.advance(seconds)
        route.continue_()

    page.route(f"**/v1/client{path}", handle)


def passkeys_of(client, user_id) -> list[dict]:
    return [a for a in client.get_authenticators(user_id) if a["verification_method"] == "PASSKEY"]


def test_a_registration_answered_after_expiry_is_refused(
    page, app_origin, timed_emulator, timed_authsignal, clock, past_expiry, user_id, authenticator
):
    open_app(page, app_origin, timed_emulator)
    advance_before(page, clock, past_expiry, "/user-authenticators/passkey")
    token = timed_authsignal.track(user_id, "addPasskey", {})["token"]

    result = run(page, "signUp", {"token": token, "username": "alice@example.com"})

    assert "This passkey challenge has expired." in (result.get("error") or ""), result
    assert passkeys_of(timed_authsignal, user_id) == []


def test_a_sign_in_answered_after_expiry_is_refused(
    page, app_origin, timed_emulator, timed_authsignal, clock, past_expiry, user_id, authenticator
):
    open_app(page, app_origin, timed_emulator)
    sign_up(page, timed_authsignal, user_id)
    advance_before(page, clock, past_expiry, "/verify/passkey")

    result = run(page, "signIn", {"action": ACTION})

    assert "This passkey challenge has expired." in (result.get("error") or ""), result
    (passkey,) = passkeys_of(timed_authsignal, user_id)
    assert passkey["last_verified_at"] == passkey["created_at"]  # not counted as used


def test_authentication_options_for_an_expired_challenge_are_refused(timed_emulator, clock, past_expiry):
    base, tenant = timed_emulator.base_url, timed_emulator.config.tenant_id
    headers = {"Authorization": "Basic " + base64.b64encode(tenant.encode()).decode()}
    fresh, stale = (requests.post(f"{base}/client/challenge", json={"action": ACTION}, headers=headers,
                                  timeout=5).json()["challengeId"] for _ in range(2))

    def options(challenge_id):
        return requests.post(f"{base}/client/user-authenticators/passkey/authentication-options",
                             json={"challengeId": challenge_id}, headers=headers, timeout=5)

    assert options(fresh).status_code == 200
    clock.advance(past_expiry)
    refused = options(stale)

    assert refused.status_code == 400
    assert refused.json()["errorDescription"] == "This passkey challenge has expired."


def test_a_track_with_an_expired_challenge_id_is_refused(
    page, app_origin, timed_emulator, timed_authsignal, clock, past_expiry, user_id, authenticator
):
    open_app(page, app_origin, timed_emulator)
    sign_up(page, timed_authsignal, user_id)
    assert run(page, "signIn", {"action": ACTION})["data"]["isVerified"] is True
    base, auth = timed_emulator.base_url, (timed_emulator.config.secret, "")
    params = {"userId": user_id, "action": ACTION, "verificationMethod": "PASSKEY"}
    challenge_id = requests.get(f"{base}/challenges", params=params, auth=auth, timeout=5).json()["challengeId"]

    clock.advance(past_expiry)
    listed = requests.get(f"{base}/challenges", params=params, auth=auth, timeout=5)
    tracked = requests.post(f"{base}/users/{user_id}/actions/{ACTION}", json={"challengeId": challenge_id},
                            auth=auth, timeout=5)

    assert listed.status_code == 404
    assert tracked.status_code == 400
    assert tracked.json()["errorDescription"] == "challengeId has expired."
