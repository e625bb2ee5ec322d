"""The wire protocol (AWS JSON 1.1) and the discovery operations."""

from __future__ import annotations

import json
import re

import pytest
import requests

from .helpers import SIGV4_AUTHORIZATION, cognito_client

TARGET = "AWSCognitoIdentityProviderService"


def post(
    emulator, operation: str | None, body: object = None, raw: bytes | None = None, signed: bool = False
) -> requests.Response:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if operation is not None:
        headers["X-Amz-Target"] = f"{TARGET}.{operation}"
    if signed:
        headers["Authorization"] = SIGV4_AUTHORIZATION
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return requests.post(emulator.endpoint_url, headers=headers, data=data, timeout=5)


def test_errors_are_400_with_type_and_message(cognito_emulator):
    response = post(cognito_emulator, "GetUser", {"AccessToken": "garbage"})

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.json() == {"__type": "NotAuthorizedException", "message": "Invalid Access Token"}


def test_an_operation_the_emulator_lacks_is_named_in_the_error(cognito_emulator):
    admin = cognito_client(cognito_emulator, signed=True)

    with pytest.raises(
        admin.exceptions.UnsupportedOperationException, match="AdminCreateUser is not supported by the local Cognito"
    ):
        admin.admin_create_user(UserPoolId=cognito_emulator.user_pool_id, Username="someone@example.com")


def test_a_request_without_the_target_header_is_an_unknown_operation(cognito_emulator):
    response = post(cognito_emulator, None, {})

    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


def test_a_body_that_is_not_a_json_object_is_a_serialization_error(cognito_emulator):
    assert post(cognito_emulator, "SignUp", raw=b"{not json").json()["__type"] == "SerializationException"
    assert post(cognito_emulator, "SignUp", body=[1, 2]).json()["__type"] == "SerializationException"
    assert post(cognito_emulator, "SignUp", body={"ClientId": 7}).json()["__type"] == "SerializationException"


@pytest.mark.parametrize(
    "operation, body, message",
    [
        ("InitiateAuth", {"AuthFlow": "CUSTOM_AUTH"},
         "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"),
        ("InitiateAuth", {"ClientId": "abc", "AuthFlow": "MAGIC"},
         "1 validation error detected: Value 'MAGIC' at 'authFlow' failed to satisfy constraint: "
         "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, "
         "ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]"),
        ("RespondToAuthChallenge", {"ClientId": "abc", "ChallengeName": "CUSTOM_CHALLENGE", "Session": "short"},
         "1 validation error detected: Value '***' at 'session' failed to satisfy constraint: "
         "Member must have length greater than or equal to 20"),
        ("SignUp", {"ClientId": "abc", "Username": "has space@example.com", "Password": "x"},
         "1 validation error detected: Value '***' at 'username' failed to satisfy constraint: "
         "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"),
        ("ListUserPools", {"MaxResults": 61},
         "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: "
         "Member must have value less than or equal to 60"),
        ("DescribeUserPool", {"UserPoolId": "no pool"},
         "1 validation error detected: Value 'no pool' at 'userPoolId' failed to satisfy constraint: "
         "Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"),
    ],
)
def test_invalid_parameters_are_reported_like_aws(cognito_emulator, operation, body, message):
    # Signed, for the admin operations; the public ones ignore the header.
    response = post(cognito_emulator, operation, body, signed=True)

    assert response.status_code == 400
    assert response.json() == {"__type": "InvalidParameterException", "message": message}


def test_list_and_describe_the_pool(cognito_emulator):
    admin = cognito_client(cognito_emulator, signed=True)

    [summary] = admin.list_user_pools(MaxResults=60)["UserPools"]
    pool = admin.describe_user_pool(UserPoolId=cognito_emulator.user_pool_id)["UserPool"]

    assert re.fullmatch(r"us-east-1_[0-9A-Za-z]{9}", cognito_emulator.user_pool_id)
    assert summary["Id"] == pool["Id"] == cognito_emulator.user_pool_id
    assert summary["Name"] == pool["Name"] == "local-user-pool"
    assert set(pool["LambdaConfig"]) == {
        "PreSignUp", "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse",
    }
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["Arn"].endswith(f":userpool/{cognito_emulator.user_pool_id}")
    assert pool["CreationDate"] <= pool["LastModifiedDate"]
    with pytest.raises(
        admin.exceptions.ResourceNotFoundException, match="User pool us-east-1_nothere00 does not exist."
    ):
        admin.describe_user_pool(UserPoolId="us-east-1_nothere00")


def test_list_and_describe_the_client(cognito_emulator):
    admin = cognito_client(cognito_emulator, signed=True)

    [summary] = admin.list_user_pool_clients(UserPoolId=cognito_emulator.user_pool_id)["UserPoolClients"]
    client = admin.describe_user_pool_client(
        UserPoolId=cognito_emulator.user_pool_id, ClientId=cognito_emulator.client_id
    )["UserPoolClient"]

    assert re.fullmatch(r"[0-9a-z]{26}", cognito_emulator.client_id)
    assert summary == {
        "ClientId": cognito_emulator.client_id,
        "UserPoolId": cognito_emulator.user_pool_id,
        "ClientName": "local-app-client",
    }
    assert client["ClientId"] == cognito_emulator.client_id
    assert "ClientSecret" not in client
    assert client["ExplicitAuthFlows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["AuthSessionValidity"] == 3
    assert (client["AccessTokenValidity"], client["TokenValidityUnits"]["AccessToken"]) == (60, "minutes")
    assert (client["RefreshTokenValidity"], client["TokenValidityUnits"]["RefreshToken"]) == (30, "days")
    assert client["EnableTokenRevocation"] is True


def test_browsers_may_call_it_cross_origin(cognito_emulator):
    preflight = requests.options(
        cognito_emulator.endpoint_url,
        headers={
            "Origin": "http://localhost:5000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent",
        },
        timeout=5,
    )

    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-amz-target" in preflight.headers["Access-Control-Allow-Headers"]
    assert post(cognito_emulator, "GetUser", {"AccessToken": "x"}).headers["Access-Control-Allow-Origin"] == "*"
