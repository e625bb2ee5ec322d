"""The passwordless sign-in as the app drives it with boto3 (unsigned):
SignUp, CUSTOM_AUTH, tokens, GetUser, refresh, RevokeToken, GlobalSignOut."""

from __future__ import annotations

import re
import uuid

import jwt
import pytest

from .helpers import CUSTOM_CHALLENGE, PASSWORD, answer, answer_for, cognito_client, sign_in, sign_up, start

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_sign_up_creates_a_confirmed_user_named_by_a_uuid(cognito, cognito_emulator, email):
    response = cognito.sign_up(
        ClientId=cognito_emulator.client_id, Username=email, Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )

    assert response["UserConfirmed"] is True
    assert UUID.match(response["UserSub"])
    assert "CodeDeliveryDetails" not in response
    user = cognito_client(cognito_emulator, signed=True).admin_get_user(
        UserPoolId=cognito_emulator.user_pool_id, Username=email
    )
    assert user["Username"] == response["UserSub"]
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]} == {
        "sub": response["UserSub"], "email": email, "email_verified": "true",
    }


def test_custom_auth_challenges_then_issues_tokens(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)

    challenge = start(cognito, cognito_emulator, email)
    assert challenge["ChallengeName"] == CUSTOM_CHALLENGE
    assert 20 <= len(challenge["Session"]) <= 4096
    assert challenge["ChallengeParameters"] == {
        "url": f"https://challenge.example/{sub}/1",
        "USERNAME": sub,
    }

    result = answer(cognito, cognito_emulator, challenge, answer_for(sub, 1))

    assert "ChallengeName" not in result and "Session" not in result
    tokens = result["AuthenticationResult"]
    assert tokens["TokenType"] == "Bearer"
    assert tokens["ExpiresIn"] == 3600
    assert tokens["RefreshToken"].count(".") != 2, "refresh tokens are opaque, not JWTs"
    id_claims, access_claims = claims_of(tokens["IdToken"]), claims_of(tokens["AccessToken"])
    issuer = f"{cognito_emulator.endpoint_url}/{cognito_emulator.user_pool_id}"
    assert id_claims["sub"] == sub and id_claims["cognito:username"] == sub
    assert id_claims["email"] == email and id_claims["email_verified"] is True
    assert id_claims["aud"] == cognito_emulator.client_id
    assert id_claims["token_use"] == "id" and id_claims["iss"] == issuer
    assert access_claims["sub"] == sub and access_claims["username"] == sub
    assert access_claims["client_id"] == cognito_emulator.client_id
    assert access_claims["scope"] == "aws.cognito.signin.user.admin"
    assert access_claims["token_use"] == "access" and access_claims["iss"] == issuer
    for claims in (id_claims, access_claims):
        assert claims["exp"] == claims["iat"] + 3600
        assert claims["auth_time"] <= claims["iat"]
        uuid.UUID(claims["jti"])
    assert id_claims["jti"] != access_claims["jti"]
    assert id_claims["origin_jti"] == access_claims["origin_jti"]


def test_get_user_returns_the_user_of_the_access_token(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    user = cognito.get_user(AccessToken=tokens["AccessToken"])

    assert user["Username"] == sub
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]} == {
        "sub": sub, "email": email, "email_verified": "true",
    }


def test_refresh_returns_new_id_and_access_tokens_but_no_refresh_token(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    refreshed = cognito.initiate_auth(
        ClientId=cognito_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]

    assert set(refreshed) == {"AccessToken", "IdToken", "ExpiresIn", "TokenType"}
    new_access, old_access = claims_of(refreshed["AccessToken"]), claims_of(tokens["AccessToken"])
    assert new_access["jti"] != old_access["jti"]
    assert new_access["origin_jti"] == old_access["origin_jti"]
    assert new_access["auth_time"] == old_access["auth_time"]
    assert cognito.get_user(AccessToken=refreshed["AccessToken"])["Username"] == new_access["sub"]


def test_revoke_token_stops_the_refresh_token_and_its_access_tokens(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)
    other_session = sign_in(cognito, cognito_emulator, email)

    cognito.revoke_token(Token=tokens["RefreshToken"], ClientId=cognito_emulator.client_id)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Refresh Token has been revoked"):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Access Token has been revoked"):
        cognito.get_user(AccessToken=tokens["AccessToken"])
    # Only that sign-in is revoked; another one of the same user still works.
    assert cognito.get_user(AccessToken=other_session["AccessToken"])
    # Revoking again, or an unknown token, is no error (RFC 7009).
    cognito.revoke_token(Token=tokens["RefreshToken"], ClientId=cognito_emulator.client_id)


def test_revoke_token_refuses_an_access_token(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.UnsupportedTokenTypeException):
        cognito.revoke_token(Token=tokens["AccessToken"], ClientId=cognito_emulator.client_id)


def test_global_sign_out_revokes_every_session_of_the_user(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    first = sign_in(cognito, cognito_emulator, email)
    second = sign_in(cognito, cognito_emulator, email)

    cognito.global_sign_out(AccessToken=first["AccessToken"])

    for tokens in (first, second):
        with pytest.raises(cognito.exceptions.NotAuthorizedException, match="^.*Access Token has been revoked$"):
            cognito.get_user(AccessToken=tokens["AccessToken"])
        with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Refresh Token has been revoked"):
            cognito.initiate_auth(
                ClientId=cognito_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
            )
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Access Token has been revoked"):
        cognito.global_sign_out(AccessToken=first["AccessToken"])
    # Signing in again works.
    assert cognito.get_user(AccessToken=sign_in(cognito, cognito_emulator, email)["AccessToken"])


def test_invalid_tokens_are_refused_with_aws_messages(cognito, cognito_emulator):
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid Access Token"):
        cognito.get_user(AccessToken="not.a.token")
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid Refresh Token"):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": "no-such-refresh-token"},
        )


def test_an_id_token_is_not_an_access_token(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid Access Token"):
        cognito.get_user(AccessToken=tokens["IdToken"])


def test_sign_up_of_an_existing_email_fails_in_any_case(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)

    with pytest.raises(
        cognito.exceptions.UsernameExistsException, match="An account with the given email already exists."
    ):
        sign_up(cognito, cognito_emulator, email.upper())


@pytest.mark.parametrize(
    "password, message",
    [
        ("Sh0rt!", "Password not long enough"),
        ("no-upper-1", "Password must have uppercase characters"),
        ("NO-LOWER-1", "Password must have lowercase characters"),
        ("No-Digits!", "Password must have numeric characters"),
        ("NoSymbols12", "Password must have symbol characters"),
    ],
)
def test_sign_up_enforces_the_default_password_policy(cognito, cognito_emulator, email, password, message):
    with pytest.raises(
        cognito.exceptions.InvalidPasswordException, match=f"Password did not conform with policy: {message}"
    ):
        cognito.sign_up(ClientId=cognito_emulator.client_id, Username=email, Password=password)


def test_sign_up_needs_an_email_as_username_and_writable_attributes(cognito, cognito_emulator, email):
    with pytest.raises(cognito.exceptions.InvalidParameterException, match="Username should be an email."):
        cognito.sign_up(ClientId=cognito_emulator.client_id, Username="not-an-email", Password=PASSWORD)
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="unauthorized attribute"):
        sign_up(cognito, cognito_emulator, email, UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    with pytest.raises(cognito.exceptions.InvalidParameterException, match="Type for attribute {custom:x}"):
        sign_up(cognito, cognito_emulator, email, UserAttributes=[{"Name": "custom:x", "Value": "1"}])


def test_a_user_the_pre_sign_up_trigger_leaves_unconfirmed_cannot_sign_in(cognito, cognito_emulator, triggers, email):
    triggers.replace("PreSignUp", lambda event, context: event)

    response = cognito.sign_up(ClientId=cognito_emulator.client_id, Username=email, Password=PASSWORD)

    assert response["UserConfirmed"] is False
    assert response["CodeDeliveryDetails"] == {
        "Destination": f"{email[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
    }
    with pytest.raises(cognito.exceptions.UserNotConfirmedException, match="User is not confirmed."):
        start(cognito, cognito_emulator, email)


def test_admin_get_user_finds_by_email_or_internal_name_and_admin_delete_user_removes(
    cognito, cognito_emulator, email
):
    admin = cognito_client(cognito_emulator, signed=True)
    sub = sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    by_name = admin.admin_get_user(UserPoolId=cognito_emulator.user_pool_id, Username=sub)
    assert by_name["Username"] == sub and by_name["Enabled"] is True
    assert by_name["UserCreateDate"] <= by_name["UserLastModifiedDate"]

    admin.admin_delete_user(UserPoolId=cognito_emulator.user_pool_id, Username=email)

    with pytest.raises(admin.exceptions.UserNotFoundException, match="User does not exist."):
        admin.admin_get_user(UserPoolId=cognito_emulator.user_pool_id, Username=sub)
    with pytest.raises(admin.exceptions.UserNotFoundException):
        admin.admin_delete_user(UserPoolId=cognito_emulator.user_pool_id, Username=sub)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid Refresh Token"):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    # The email is free again.
    assert sign_up(cognito, cognito_emulator, email) != sub


def test_admin_operations_check_the_pool_id(cognito_emulator, email):
    admin = cognito_client(cognito_emulator, signed=True)

    with pytest.raises(
        admin.exceptions.ResourceNotFoundException, match="User pool us-east-1_nothere00 does not exist."
    ):
        admin.admin_get_user(UserPoolId="us-east-1_nothere00", Username=email)
