"""Deeply nested JSON is a 400 ``invalid_request`` on the server and client
APIs, never a 500 (json.loads recursing until RecursionError)."""

from __future__ import annotations

import pytest
import requests

ACTION = "cognitoAuth"
TOO_DEEP = "The request body nests JSON more than 32 levels deep."


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def post(authsignal, authsignal_emulator, user_id, email):
    """POST raw ``data`` to a server API path (secret key) or a client API
    path (the track token of a fresh challenge)."""
    track = authsignal.track(user_id, ACTION, {"email": email})

    def post(path: str, data: str) -> requests.Response:
        if path.startswith("/client/"):
            auth = {"headers": {"Authorization": f"Bearer {track['token']}"}}
        else:
            auth = {"auth": (authsignal_emulator.config.secret, "")}
        url = f"{authsignal_emulator.base_url}{path.format(user_id=user_id)}"
        return requests.post(url, data=data, timeout=10, **auth)

    return post


ENDPOINTS = [
    ("/users/{user_id}/actions/other", "custom"),
    ("/validate", "token"),
    ("/client/user-authenticators/email-otp", "email"),
    ("/client/verify/email-otp", "verificationCode"),
]


@pytest.mark.parametrize("path, member", ENDPOINTS)
@pytest.mark.parametrize("levels", [33, 30_000])
def test_deep_json_is_an_invalid_request(post, path, member, levels):
    # 30,000 levels fit the 64 KiB body limit and overflow json.loads' recursion.
    response = post(path, f'{{"{member}": {nested(levels - 1)}}}')

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "errorCode": "invalid_request", "errorDescription": TOO_DEEP}


@pytest.mark.parametrize("path, member", ENDPOINTS)
def test_bare_brackets_are_an_invalid_request(post, path, member):
    response = post(path, "[" * 60_000)

    assert response.status_code == 400
    assert response.json()["errorDescription"] == TOO_DEEP


def test_32_levels_are_parsed_and_33_refused(post):
    at_limit = post("/users/{user_id}/actions/at-limit", '{"custom": ' + nested(31) + "}")
    over_limit = post("/users/{user_id}/actions/over-limit", '{"custom": ' + nested(32) + "}")

    assert at_limit.status_code == 200, at_limit.text
    assert over_limit.status_code == 400
    assert over_limit.json()["errorDescription"] == TOO_DEEP
