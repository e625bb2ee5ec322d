"""Deeply nested JSON is a 400 SerializationException on every operation,
never a 500 (json.loads recursing until RecursionError)."""

from __future__ import annotations

import json

import pytest
import requests

from .helpers import SIGV4_AUTHORIZATION

TARGET = "AWSCognitoIdentityProviderService"
OPERATIONS = [
    "SignUp",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "GetUser",
    "GlobalSignOut",
    "RevokeToken",
    "GetTokensFromRefreshToken",
    "AdminGetUser",
    "AdminDeleteUser",
    "ListUserPools",
    "DescribeUserPool",
    "ListUserPoolClients",
    "DescribeUserPoolClient",
]
TOO_DEEP = "The request body nests JSON more than 32 levels deep."


def post(emulator, operation: str, data: str) -> requests.Response:
    """Signed (in form), so the admin operations get as far as reading the body."""
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"{TARGET}.{operation}",
        "Authorization": SIGV4_AUTHORIZATION,
    }
    return requests.post(emulator.endpoint_url, headers=headers, data=data, timeout=10)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("operation", OPERATIONS)
def test_100000_levels_of_brackets_are_a_serialization_error(cognito_emulator, operation):
    response = post(cognito_emulator, operation, "[" * 100_000)

    assert response.status_code == 400
    assert response.json() == {"__type": "SerializationException", "message": TOO_DEEP}
    assert response.headers["x-amzn-ErrorType"] == "SerializationException:"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_deep_member_of_a_valid_object_is_a_serialization_error(cognito_emulator, operation):
    body = '{"ClientId": "x", "ClientMetadata": ' + nested(50_000) + "}"

    response = post(cognito_emulator, operation, body)

    assert response.status_code == 400
    assert response.json() == {"__type": "SerializationException", "message": TOO_DEEP}


def test_32_levels_are_parsed_and_33_refused_not_counting_brackets_in_strings(cognito_emulator):
    # The object is the first level, the member's arrays the others.
    at_limit = post(cognito_emulator, "ListUserPools", '{"MaxResults": 1, "Unused": ' + nested(31) + "}")
    over_limit = post(cognito_emulator, "ListUserPools", '{"MaxResults": 1, "Unused": ' + nested(32) + "}")
    in_strings = post(
        cognito_emulator, "ListUserPools", json.dumps({"MaxResults": 1, "Unused": "[{" * 1000 + '\\"[' * 100})
    )

    assert at_limit.status_code == 200, at_limit.text
    assert in_strings.status_code == 200, in_strings.text
    assert over_limit.status_code == 400
    assert over_limit.json()["message"] == TOO_DEEP
