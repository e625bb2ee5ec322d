"""Passkeys: the unmodified Web SDK's ``passkey.signUp`` and ``passkey.signIn``
in headless Chromium with a virtual authenticator (CDP ``WebAuthn`` domain), on
an app page served from http://localhost:<port> (WebAuthn refuses IP
addresses as relying-party ids), against the local Authsignal."""

from __future__ import annotations

import pytest
import requests

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from emulators.authsignal.config import ConfigError

from .helpers import sdk_page, serve_sdk_page

pytestmark = pytest.mark.browser
ACTION = "cognitoAuth"

APP_PAGE = sdk_page("Passkey app", """\
  window.run = async function (what, args) {
    try {
      var r = await window.client.passkey[what](args);
      return { error: r.error || null, errorDescription: r.errorDescription || null, data: r.data || null };
    } catch (e) {
      return { thrown: String(e && e.name || e) + ": " + String(e && e.message || "") };
    }
  };
""")


@pytest.fixture(scope="module")
def app_origin(web_sdk_path):
    with serve_sdk_page(APP_PAGE, web_sdk_path) as server:
        yield server.origin.replace("127.0.0.1", "localhost")


@pytest.fixture
def authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return cdp, result["authenticatorId"]


def open_app(page, app_origin, emulator):
    page.goto(f"{app_origin}/")
    page.evaluate("([t, b]) => window.makeClient(t, b)", [emulator.config.tenant_id, emulator.base_url])


def run(page, what, args):
    return page.evaluate("([what, args]) => window.run(what, args)", [what, args])


def sign_up(page, authsignal, user_id, username="alice@example.com"):
    token = authsignal.track(user_id, "addPasskey", {})["token"]
    result = run(page, "signUp", {"token": token, "username": username})
    assert result.get("error") is None and "thrown" not in result, result
    return result["data"]


def validate(authsignal, token, user_id, action=ACTION):
    return authsignal.validate_challenge({"token": token, "userId": user_id, "action": action})


def test_sign_up_lists_a_passkey_authenticator(page, app_origin, authsignal_emulator, authsignal, user_id,
                                               authenticator):
    open_app(page, app_origin, authsignal_emulator)
    data = sign_up(page, authsignal, user_id)
    assert data["token"]
    assert data["userAuthenticator"]["verificationMethod"] == "PASSKEY"
    listed = authsignal.get_authenticators(user_id)
    passkeys = [a for a in listed if a["verification_method"] == "PASSKEY"]
    assert len(passkeys) == 1
    assert passkeys[0]["created_at"] and passkeys[0]["last_verified_at"]
    assert passkeys[0]["user_authenticator_id"] == data["userAuthenticator"]["userAuthenticatorId"]
    # The sign-up completed its action with the passkey.
    result = validate(authsignal, data["token"], user_id, "addPasskey")
    assert result["is_valid"] and result["verification_method"] == "PASSKEY"
    # Delete works for passkeys.
    authsignal.delete_authenticator(user_id, passkeys[0]["user_authenticator_id"])
    assert not [a for a in authsignal.get_authenticators(user_id)
                if a["verification_method"] == "PASSKEY"]


def test_sign_in_with_an_action_is_discoverable_and_validates_once(
    page, app_origin, authsignal_emulator, authsignal, user_id, authenticator
):
    open_app(page, app_origin, authsignal_emulator)
    sign_up(page, authsignal, user_id)
    result = run(page, "signIn", {"action": ACTION})
    assert result.get("error") is None and "thrown" not in result, result
    data = result["data"]
    assert data["isVerified"] is True and data["userId"] == user_id and data["userAuthenticatorId"]
    first = validate(authsignal, data["token"], user_id)
    assert first["is_valid"] is True
    assert first["state"] == "CHALLENGE_SUCCEEDED" and first["verification_method"] == "PASSKEY"
    assert first["action"] == ACTION and first["user_id"] == user_id
    assert validate(authsignal, data["token"], user_id)["is_valid"] is False


def test_sign_in_with_a_track_token(page, app_origin, authsignal_emulator, authsignal, user_id, authenticator):
    open_app(page, app_origin, authsignal_emulator)
    sign_up(page, authsignal, user_id)
    token = authsignal.track(user_id, ACTION, {})["token"]
    result = run(page, "signIn", {"token": token})
    assert result.get("error") is None and "thrown" not in result, result
    validated = validate(authsignal, result["data"]["token"], user_id)
    assert validated["is_valid"] and validated["verification_method"] == "PASSKEY"


def test_a_cloned_credential_whose_counter_goes_back_is_refused(
    page, app_origin, authsignal_emulator, authsignal, user_id, authenticator
):
    cdp, authenticator_id = authenticator
    open_app(page, app_origin, authsignal_emulator)
    sign_up(page, authsignal, user_id)
    assert run(page, "signIn", {"action": ACTION})["data"]["isVerified"] is True
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    # A copy of the key with an older counter, as a cloned authenticator would have.
    cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator_id})
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator_id,
                                        "credential": {**credential, "signCount": 0}})
    result = run(page, "signIn", {"action": ACTION})
    # (The Web SDK answers the API's errorDescription as ``error``.)
    assert "sign count of 1 was not greater than current count of 2" in (result.get("error") or ""), result


def test_get_challenge_and_track_with_its_challenge_id(
    page, app_origin, authsignal_emulator, authsignal, user_id, authenticator
):
    open_app(page, app_origin, authsignal_emulator)
    sign_up(page, authsignal, user_id)
    base, auth = authsignal_emulator.base_url, (authsignal_emulator.config.secret, "")
    params = {"userId": user_id, "action": ACTION, "verificationMethod": "PASSKEY"}
    assert requests.get(f"{base}/challenges", params=params, auth=auth, timeout=5).status_code == 404
    assert run(page, "signIn", {"action": ACTION})["data"]["isVerified"] is True
    answer = requests.get(f"{base}/challenges", params=params, auth=auth, timeout=5)
    assert answer.status_code == 200, answer.text
    challenge = answer.json()
    assert challenge["verificationMethod"] == "PASSKEY" and challenge["challengeId"] and challenge["expiresAt"]
    tracked = authsignal.track(user_id, ACTION, {"challengeId": challenge["challengeId"]})
    assert tracked["state"] == "CHALLENGE_SUCCEEDED"
    result = validate(authsignal, tracked["token"], user_id)
    assert result["is_valid"] and result["verification_method"] == "PASSKEY"
    # The challenge counts once: tracked again, or for another action, it is refused.
    with pytest.raises(Exception):
        authsignal.track(user_id, ACTION, {"challengeId": challenge["challengeId"]})
    # Linked once, it is no longer listed: a later sign-in goes on without it.
    assert requests.get(f"{base}/challenges", params=params, auth=auth, timeout=5).status_code == 404


def test_passkey_origins_must_be_on_the_relying_party_id():
    with pytest.raises(ConfigError):
        AuthsignalEmulatorConfig(passkey_rp_id="example.com", passkey_origins="http://localhost:*")
    with pytest.raises(ConfigError):
        AuthsignalEmulatorConfig(passkey_rp_id="127.0.0.1")
    assert [str(p) for p in AuthsignalEmulatorConfig().passkey_origins] == ["http://localhost:*"]


def test_an_origin_not_allowed_for_passkeys_is_refused(page, app_origin, authenticator):
    # Passkeys from http://localhost:* are not allowed by this emulator (only another port).
    config = AuthsignalEmulatorConfig(passkey_origins="http://localhost:1")
    with AuthsignalEmulator(config) as emulator:
        from authsignal import AuthsignalClient

        client = AuthsignalClient(config.secret, api_url=emulator.base_url)
        open_app(page, app_origin, emulator)
        token = client.track("someone", "addPasskey", {})["token"]
        result = run(page, "signUp", {"token": token, "username": "someone"})
        assert "may not use passkeys of localhost" in (result.get("error") or ""), result
        assert not [a for a in client.get_authenticators("someone") if a["verification_method"] == "PASSKEY"]


def test_a_registration_for_another_relying_party_id_is_refused(page, app_origin, authenticator):
    # The browser refuses to create a credential for an rp id its page is not on.
    config = AuthsignalEmulatorConfig(passkey_rp_id="example.com", passkey_origins="http://example.com:*")
    with AuthsignalEmulator(config) as emulator:
        from authsignal import AuthsignalClient

        client = AuthsignalClient(config.secret, api_url=emulator.base_url)
        open_app(page, app_origin, emulator)
        token = client.track("someone-else", "addPasskey", {})["token"]
        result = run(page, "signUp", {"token": token, "username": "someone"})
        assert "thrown" in result or result.get("error"), result


def test_challenges_are_single_use(authsignal_emulator):
    base, tenant = authsignal_emulator.base_url, authsignal_emulator.config.tenant_id
    import base64

    headers = {"Authorization": "Basic " + base64.b64encode(tenant.encode()).decode()}
    challenge_id = requests.post(f"{base}/client/challenge", json={"action": ACTION}, headers=headers,
                                 timeout=5).json()["challengeId"]
    options = requests.post(f"{base}/client/user-authenticators/passkey/authentication-options",
                            json={"challengeId": challenge_id}, headers=headers, timeout=5).json()
    assert options["challengeId"] == challenge_id
    assert options["options"]["allowCredentials"] == []
    assert options["options"]["userVerification"] == "required"
    bogus = {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
             "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"}}
    first = requests.post(f"{base}/client/verify/passkey",
                          json={"authenticationCredential": bogus, "challengeId": challenge_id},
                          headers=headers, timeout=5)
    assert first.status_code == 400
    second = requests.post(f"{base}/client/verify/passkey",
                           json={"authenticationCredential": bogus, "challengeId": challenge_id},
                           headers=headers, timeout=5)
    assert second.status_code == 400 and "already been used" in second.json()["errorDescription"]
    # Without the tenant id (or a token) the client API refuses.
    assert requests.post(f"{base}/client/challenge", json={"action": ACTION}, timeout=5).status_code == 401
