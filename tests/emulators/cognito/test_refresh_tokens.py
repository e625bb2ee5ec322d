"""GetTokensFromRefreshToken, the refresh aws-amplify v6.15+ makes: new ID and
access tokens; with refresh token rotation, a new refresh token too, the old
one working only for the retry grace period; AWS's errors for refresh tokens
that are revoked, expired or unknown."""

from __future__ import annotations

import json

import jwt
import pytest
import requests

from emulators.cognito import CognitoEmulatorConfig
from emulators.cognito.__main__ import main, parse_args
from tests.support.clock import FakeClock

from .helpers import cognito_client, sign_in, sign_up

THIRTY_DAYS = 30 * 24 * 3600


def refresh(client, emulator, refresh_token: str, **extra) -> dict:
    response = client.get_tokens_from_refresh_token(
        ClientId=emulator.client_id, RefreshToken=refresh_token, **extra
    )
    assert set(response) == {"AuthenticationResult", "ResponseMetadata"}
    return response["AuthenticationResult"]


def claims(emulator, token: str, **options) -> dict:
    """The claims of a token, verified against the pool's JWKS and issuer."""
    key = jwt.PyJWKClient(emulator.jwks_url).get_signing_key_from_jwt(token).key
    return jwt.decode(token, key, algorithms=["RS256"], issuer=emulator.issuer, **options)


@pytest.fixture
def rotating(make_emulator):
    """A local Cognito of the test's own with rotation and a 10 s grace
    period, on a clock the test moves; and a signed-in user's tokens."""

    def make(grace: int = 10):
        clock = FakeClock()
        emulator = make_emulator(
            clock=clock, refresh_token_rotation="ENABLED", refresh_token_retry_grace_period_seconds=grace
        )
        client = cognito_client(emulator)
        sign_up(client, emulator, "rotating@example.com")
        return emulator, client, clock, sign_in(client, emulator, "rotating@example.com")

    return make


def test_new_tokens_that_verify_and_no_refresh_token_without_rotation(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    refreshed = refresh(cognito, cognito_emulator, tokens["RefreshToken"])

    assert set(refreshed) == {"AccessToken", "IdToken", "ExpiresIn", "TokenType"}
    assert (refreshed["ExpiresIn"], refreshed["TokenType"]) == (3600, "Bearer")
    access = claims(cognito_emulator, refreshed["AccessToken"])
    identity = claims(cognito_emulator, refreshed["IdToken"], audience=cognito_emulator.client_id)
    before = claims(cognito_emulator, tokens["AccessToken"])
    assert (access["token_use"], identity["token_use"]) == ("access", "id")
    assert access["sub"] == identity["sub"] == sub
    assert identity["email"] == email
    assert access["jti"] != before["jti"]
    for claim in ("username", "client_id", "origin_jti", "auth_time"):
        assert access[claim] == before[claim], claim
    assert cognito.get_user(AccessToken=refreshed["AccessToken"])["Username"] == sub
    # Without rotation the refresh token stays as it was, and keeps working.
    assert refresh(cognito, cognito_emulator, tokens["RefreshToken"])["AccessToken"]


def test_with_rotation_a_new_refresh_token_and_the_old_one_refused_after_the_grace_period(rotating):
    emulator, client, clock, tokens = rotating(grace=10)
    first = tokens["RefreshToken"]

    rotated = refresh(client, emulator, first)
    assert set(rotated) == {"AccessToken", "IdToken", "ExpiresIn", "TokenType", "RefreshToken"}
    second = rotated["RefreshToken"]
    assert second != first
    origin_jti = claims(emulator, tokens["AccessToken"])["origin_jti"]
    assert claims(emulator, rotated["AccessToken"])["origin_jti"] == origin_jti

    clock.advance(9)  # within the grace period, a retry with the old token works
    retried = refresh(client, emulator, first)
    assert retried["RefreshToken"] not in (first, second)

    clock.advance(1)  # the grace period counts from the first rotation
    with pytest.raises(client.exceptions.RefreshTokenReuseException):
        refresh(client, emulator, first)
    assert refresh(client, emulator, second)["RefreshToken"] not in (first, second)
    assert client.get_user(AccessToken=rotated["AccessToken"])


def test_with_rotation_and_no_grace_period_the_old_token_is_refused_at_once(rotating):
    emulator, client, clock, tokens = rotating(grace=0)

    second = refresh(client, emulator, tokens["RefreshToken"])["RefreshToken"]

    with pytest.raises(client.exceptions.RefreshTokenReuseException):
        refresh(client, emulator, tokens["RefreshToken"])
    assert refresh(client, emulator, second)["RefreshToken"]


def test_a_rotated_refresh_token_ends_when_the_sign_in_s_first_one_would_have(rotating):
    emulator, client, clock, tokens = rotating()
    clock.advance(THIRTY_DAYS - 60)
    late = refresh(client, emulator, tokens["RefreshToken"])["RefreshToken"]

    clock.advance(61)

    with pytest.raises(client.exceptions.NotAuthorizedException, match="Refresh Token has expired"):
        refresh(client, emulator, late)


def test_with_rotation_revoking_any_token_of_the_sign_in_revokes_them_all(rotating):
    emulator, client, clock, tokens = rotating()
    rotated = refresh(client, emulator, tokens["RefreshToken"])

    client.revoke_token(Token=rotated["RefreshToken"], ClientId=emulator.client_id)

    for token in (tokens["RefreshToken"], rotated["RefreshToken"]):
        with pytest.raises(client.exceptions.NotAuthorizedException, match="Refresh Token has been revoked"):
            refresh(client, emulator, token)
    for access_token in (tokens["AccessToken"], rotated["AccessToken"]):
        with pytest.raises(client.exceptions.NotAuthorizedException, match="Access Token has been revoked"):
            client.get_user(AccessToken=access_token)


def test_with_rotation_refresh_token_auth_is_refused(rotating):
    emulator, client, clock, tokens = rotating()

    with pytest.raises(client.exceptions.InvalidParameterException, match="use GetTokensFromRefreshToken"):
        client.initiate_auth(
            ClientId=emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )


def test_describe_user_pool_client_shows_the_rotation(cognito_emulator, rotating):
    emulator = rotating(grace=25)[0]

    def rotation(of) -> dict:
        admin = cognito_client(of, signed=True)
        client = admin.describe_user_pool_client(UserPoolId=of.user_pool_id, ClientId=of.client_id)
        return client["UserPoolClient"]["RefreshTokenRotation"]

    assert rotation(emulator) == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 25}
    assert rotation(cognito_emulator) == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}


@pytest.mark.parametrize("revoke", ["RevokeToken", "GlobalSignOut"])
def test_a_revoked_refresh_token_is_refused(cognito, cognito_emulator, email, revoke):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)
    if revoke == "RevokeToken":
        cognito.revoke_token(Token=tokens["RefreshToken"], ClientId=cognito_emulator.client_id)
    else:
        cognito.global_sign_out(AccessToken=tokens["AccessToken"])

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        refresh(cognito, cognito_emulator, tokens["RefreshToken"])
    assert refused.value.response["Error"]["Message"] == "Refresh Token has been revoked"


def test_an_unknown_refresh_token_is_refused(cognito, cognito_emulator):
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        refresh(cognito, cognito_emulator, "not-a-refresh-token-this-pool-issued")
    assert refused.value.response["Error"]["Message"] == "Invalid Refresh Token"


def test_an_expired_refresh_token_is_refused(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    client = cognito_client(emulator)
    sign_up(client, emulator, email)
    tokens = sign_in(client, emulator, email)
    clock.advance(THIRTY_DAYS - 1)
    assert refresh(client, emulator, tokens["RefreshToken"])

    clock.advance(2)

    with pytest.raises(client.exceptions.NotAuthorizedException) as refused:
        refresh(client, emulator, tokens["RefreshToken"])
    assert refused.value.response["Error"]["Message"] == "Refresh Token has expired"


def test_a_refresh_token_of_a_deleted_user_is_refused(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)
    cognito_client(cognito_emulator, signed=True).admin_delete_user(
        UserPoolId=cognito_emulator.user_pool_id, Username=email
    )

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid Refresh Token"):
        refresh(cognito, cognito_emulator, tokens["RefreshToken"])


def test_an_unknown_client_is_not_found(cognito):
    with pytest.raises(cognito.exceptions.ResourceNotFoundException, match="User pool client nosuchclient does not"):
        cognito.get_tokens_from_refresh_token(ClientId="nosuchclient", RefreshToken="abc")


def test_refresh_is_refused_when_the_client_does_not_allow_it(make_emulator, email):
    emulator = make_emulator(explicit_auth_flows=("ALLOW_CUSTOM_AUTH",))
    client = cognito_client(emulator)
    sign_up(client, emulator, email)
    tokens = sign_in(client, emulator, email)

    with pytest.raises(client.exceptions.InvalidParameterException, match="REFRESH_TOKEN_AUTH flow not enabled"):
        refresh(client, emulator, tokens["RefreshToken"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"ClientId": "abc"},
         "1 validation error detected: Value null at 'refreshToken' failed to satisfy constraint: "
         "Member must not be null"),
        ({"ClientId": "abc", "RefreshToken": "abc", "ClientSecret": "short"},
         "1 validation error detected: Value '***' at 'clientSecret' failed to satisfy constraint: "
         "Member must have length greater than or equal to 24"),
        ({"ClientId": "abc", "RefreshToken": "abc", "DeviceKey": "no-underscore"},
         "1 validation error detected: Value 'no-underscore' at 'deviceKey' failed to satisfy constraint: "
         "Member must satisfy regular expression pattern: [\\w-]+_[0-9a-f-]+"),
    ],
)
def test_invalid_parameters_are_reported_like_aws(cognito_emulator, params, message):
    response = requests.post(
        cognito_emulator.endpoint_url,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken",
        },
        data=json.dumps(params),
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json() == {"__type": "InvalidParameterException", "message": message}


def test_device_key_and_client_metadata_are_accepted(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    tokens = sign_in(cognito, cognito_emulator, email)

    refreshed = refresh(
        cognito, cognito_emulator, tokens["RefreshToken"],
        DeviceKey="us-east-1_0123abcd-ef", ClientMetadata={"source": "test"},
    )

    assert refreshed["AccessToken"]


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"refresh_token_rotation": "ON"}, "refresh_token_rotation must be ENABLED or DISABLED"),
        ({"refresh_token_retry_grace_period_seconds": 61}, "refresh_token_retry_grace_period_seconds must be"),
        ({"refresh_token_retry_grace_period_seconds": -1}, "refresh_token_retry_grace_period_seconds must be"),
        ({"refresh_token_retry_grace_period_seconds": 2.5}, "refresh_token_retry_grace_period_seconds must be"),
    ],
)
def test_a_malformed_rotation_setting_is_refused(settings, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        CognitoEmulatorConfig(**settings)


def test_the_cli_takes_the_rotation_and_its_grace_period(capsys):
    args = parse_args(["--refresh-token-rotation", "ENABLED", "--refresh-token-grace-period", "60"])
    assert (args.refresh_token_rotation, args.refresh_token_grace_period) == ("ENABLED", 60)
    defaults = parse_args([])
    assert (defaults.refresh_token_rotation, defaults.refresh_token_grace_period) == ("DISABLED", 0)

    for wrong in (["--refresh-token-grace-period", "61"], ["--refresh-token-rotation", "YES"]):
        with pytest.raises(SystemExit) as exited:
            main(["--port", "0", *wrong])
        assert exited.value.code == 2
    assert "must be 0 to 60 (seconds)" in capsys.readouterr().err
