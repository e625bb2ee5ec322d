"""The Web SDK's passkey methods with ``useCookies: true``: its ``/web``
paths (registration options, authentication options, challenge), and fetches
with ``credentials: "include"``, which a browser lets a page read only with
``Access-Control-Allow-Credentials: true``."""

from __future__ import annotations

import pytest
import requests

from .test_passkeys import ACTION, app_origin, authenticator, open_app, run, validate  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
WEB_PATHS = (
    "/client/user-authenticators/passkey/registration-options/web",
    "/client/challenge/web",
    "/client/user-authenticators/passkey/authentication-options/web",
)


def client_paths(page) -> list[str]:
    """Collects the client API paths the page calls (no preflights) from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url.split("/v1", 1)[-1].split("?")[0])
            if "/v1/client/" in r.url and r.method != "OPTIONS" else None)
    return seen


def succeeded(result) -> dict:
    assert result.get("error") is None and "thrown" not in result, result
    return result["data"]


def test_sign_up_and_sign_in_with_use_cookies(page, app_origin, authsignal_emulator, authsignal, user_id,
                                              authenticator):
    open_app(page, app_origin, authsignal_emulator)
    paths = client_paths(page)
    token = authsignal.track(user_id, "addPasskey", {})["token"]

    signed_up = succeeded(run(page, "signUp", {"token": token, "username": "alice@example.com", "useCookies": True}))
    with_action = succeeded(run(page, "signIn", {"action": ACTION, "useCookies": True}))
    discoverable = succeeded(run(page, "signIn", {"useCookies": True}))

    assert all(path in paths for path in WEB_PATHS), paths
    assert validate(authsignal, signed_up["token"], user_id, "addPasskey")["verification_method"] == "PASSKEY"
    assert validate(authsignal, with_action["token"], user_id)["is_valid"] is True
    # Without an action the local Authsignal names it signInWithPasskey (our choice).
    result = validate(authsignal, discoverable["token"], user_id, "signInWithPasskey")
    assert result["is_valid"] and result["verification_method"] == "PASSKEY"


@pytest.mark.parametrize("path", WEB_PATHS)
def test_web_preflights_allow_credentials_for_allowed_origins_only(authsignal_emulator, path):
    def preflight(origin):
        return requests.options(f"{authsignal_emulator.base_url}{path}", timeout=5, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})

    allowed, other = preflight("http://localhost:5000"), preflight("https://evil.example")

    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:5000"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Credentials" not in other.headers
