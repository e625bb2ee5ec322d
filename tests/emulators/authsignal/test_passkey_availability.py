"""``passkey.isAvailableOnDevice({userId})`` of the unmodified Web SDK: it
looks up the credential ids this browser stored for the user with ``GET
/client/user-authenticators/passkey?credentialIds=...`` (tenant id only), so
the answer must follow what is registered on the local Authsignal."""

from __future__ import annotations

import base64

import pytest
import requests

from .test_passkeys import app_origin, authenticator, open_app, sign_up  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
LOOKUP_PATH = "/client/user-authenticators/passkey?credentialIds="
STORAGE_KEY = "as_user_passkey_map"  # where the SDK keeps a device's credential ids per user


def is_available(page, user_id) -> bool:
    return page.evaluate("(userId) => window.client.passkey.isAvailableOnDevice({ userId })", user_id)


def lookups(page) -> list[str]:
    """Collects the URLs of the lookups the page sends from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if LOOKUP_PATH in r.url and r.method == "GET" else None)
    return seen


def store_on_device(page, user_id, credential_ids) -> None:
    page.evaluate(
        "([key, userId, ids]) => localStorage.setItem(key, JSON.stringify({ [userId]: ids }))",
        [STORAGE_KEY, user_id, credential_ids],
    )


def tenant_header(tenant_id) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(tenant_id.encode()).decode()}


def test_available_after_sign_up_and_not_once_the_passkey_is_deleted(
    page, app_origin, authsignal_emulator, authsignal, user_id, authenticator
):
    open_app(page, app_origin, authsignal_emulator)
    seen = lookups(page)
    data = sign_up(page, authsignal, user_id)
    credential_id = data["registrationResponse"]["id"]

    assert is_available(page, user_id) is True
    # Several ids go comma-joined (JavaScript's array to string): one registered is enough.
    store_on_device(page, user_id, ["bm90LXJlZ2lzdGVyZWQ", credential_id])
    assert is_available(page, user_id) is True
    assert seen[-1].endswith(f"{LOOKUP_PATH}bm90LXJlZ2lzdGVyZWQ,{credential_id}")

    authsignal.delete_authenticator(user_id, data["userAuthenticator"]["userAuthenticatorId"])
    asked = len(seen)
    assert is_available(page, user_id) is False
    assert len(seen) == asked + 1  # the local Authsignal said no, not the SDK on its own


def test_unknown_credential_ids_are_not_available(page, app_origin, authsignal_emulator, user_id):
    open_app(page, app_origin, authsignal_emulator)
    seen = lookups(page)
    store_on_device(page, user_id, ["bm90LXJlZ2lzdGVyZWQ", "YW5vdGhlci1vbmU"])

    assert is_available(page, user_id) is False
    assert seen and seen[-1].endswith(f"{LOOKUP_PATH}bm90LXJlZ2lzdGVyZWQ,YW5vdGhlci1vbmU")


def test_the_lookup_answers_the_passkey_authenticator_to_the_tenant_only(
    page, app_origin, authsignal_emulator, authsignal, user_id, authenticator
):
    open_app(page, app_origin, authsignal_emulator)
    data = sign_up(page, authsignal, user_id)
    credential_id = data["registrationResponse"]["id"]
    url = f"{authsignal_emulator.base_url}/client/user-authenticators/passkey"
    tenant = tenant_header(authsignal_emulator.config.tenant_id)

    found = requests.get(url, params={"credentialIds": credential_id}, timeout=5,
                         headers={**tenant, "Origin": app_origin})
    unknown = requests.get(url, params={"credentialIds": "bm90LXJlZ2lzdGVyZWQ"}, headers=tenant, timeout=5)
    other_tenant = requests.get(url, params={"credentialIds": credential_id}, timeout=5,
                                headers=tenant_header("someone-else"))
    no_ids = requests.get(url, headers=tenant, timeout=5)

    assert found.status_code == 200, found.text
    body = found.json()
    assert body["credentialId"] == credential_id
    assert body["verificationMethod"] == "PASSKEY"
    assert body["userAuthenticatorId"] == data["userAuthenticator"]["userAuthenticatorId"]
    assert body["verifiedAt"] and body["createdAt"]
    assert body["webauthnCredential"]["credentialId"] == credential_id
    assert "userId" not in body  # asked with the tenant id only
    assert found.headers["Access-Control-Allow-Origin"] == app_origin
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "not_found")
    assert other_tenant.status_code == 401
    assert no_ids.status_code == 400
