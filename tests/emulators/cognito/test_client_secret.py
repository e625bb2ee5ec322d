"""An app client with a secret: every call proves it with SECRET_HASH (over
the user name it names), and RevokeToken and GetTokensFromRefreshToken with
the secret itself."""

from __future__ import annotations

import pytest

from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

from .helpers import PASSWORD, answer_for, cognito_client, secret_hash


@pytest.fixture(scope="module")
def secret_emulator(fake_triggers):
    with CognitoEmulator(CognitoEmulatorConfig(with_client_secret=True, triggers=fake_triggers.mapping())) as emulator:
        yield emulator


@pytest.fixture
def client(secret_emulator):
    return cognito_client(secret_emulator)


def hash_for(emulator, username: str) -> str:
    return secret_hash(emulator.client_secret, username, emulator.client_id)


def signed_up(client, emulator, email: str) -> str:
    return client.sign_up(
        ClientId=emulator.client_id, Username=email, Password=PASSWORD, SecretHash=hash_for(emulator, email)
    )["UserSub"]


def signed_in(client, emulator, email: str) -> dict:
    challenge = client.initiate_auth(
        ClientId=emulator.client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": email, "SECRET_HASH": hash_for(emulator, email)},
    )
    sub = challenge["ChallengeParameters"]["USERNAME"]
    return client.respond_to_auth_challenge(
        ClientId=emulator.client_id, ChallengeName="CUSTOM_CHALLENGE", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": sub, "ANSWER": answer_for(sub, 1), "SECRET_HASH": hash_for(emulator, sub)},
    )["AuthenticationResult"]


def test_the_generated_secret_is_described_with_the_client(secret_emulator):
    described = cognito_client(secret_emulator, signed=True).describe_user_pool_client(
        UserPoolId=secret_emulator.user_pool_id, ClientId=secret_emulator.client_id
    )["UserPoolClient"]

    assert described["ClientSecret"] == secret_emulator.client_secret
    assert len(secret_emulator.client_secret) == 51


def test_the_whole_flow_with_secret_hashes(client, secret_emulator, email):
    sub = signed_up(client, secret_emulator, email)
    tokens = signed_in(client, secret_emulator, email)

    refreshed = client.initiate_auth(
        ClientId=secret_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        # The hash of a refresh is over the internal user name, the sub.
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"], "SECRET_HASH": hash_for(secret_emulator, sub)},
    )["AuthenticationResult"]
    assert client.get_user(AccessToken=refreshed["AccessToken"])["Username"] == sub

    client.revoke_token(
        Token=tokens["RefreshToken"], ClientId=secret_emulator.client_id, ClientSecret=secret_emulator.client_secret
    )
    with pytest.raises(client.exceptions.NotAuthorizedException, match="Access Token has been revoked"):
        client.get_user(AccessToken=refreshed["AccessToken"])


def test_a_missing_secret_hash_is_refused(client, secret_emulator, email):
    missing = f"Client {secret_emulator.client_id} is configured with secret but SECRET_HASH was not received"

    with pytest.raises(client.exceptions.NotAuthorizedException, match=missing):
        client.sign_up(ClientId=secret_emulator.client_id, Username=email, Password=PASSWORD)
    sub = signed_up(client, secret_emulator, email)
    with pytest.raises(client.exceptions.NotAuthorizedException, match=missing):
        client.initiate_auth(
            ClientId=secret_emulator.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email}
        )
    challenge = client.initiate_auth(
        ClientId=secret_emulator.client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": email, "SECRET_HASH": hash_for(secret_emulator, email)},
    )
    with pytest.raises(client.exceptions.NotAuthorizedException, match=missing):
        client.respond_to_auth_challenge(
            ClientId=secret_emulator.client_id, ChallengeName="CUSTOM_CHALLENGE", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": sub, "ANSWER": answer_for(sub, 1)},
        )
    tokens = signed_in(client, secret_emulator, email)
    with pytest.raises(client.exceptions.NotAuthorizedException, match=missing):
        client.initiate_auth(
            ClientId=secret_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )


def test_a_wrong_secret_hash_is_refused(client, secret_emulator, email):
    wrong = f"Unable to verify secret hash for client {secret_emulator.client_id}"
    other_secret = "x" * 51

    with pytest.raises(client.exceptions.NotAuthorizedException, match=wrong):
        client.sign_up(
            ClientId=secret_emulator.client_id, Username=email, Password=PASSWORD,
            SecretHash=secret_hash(other_secret, email, secret_emulator.client_id),
        )
    sub = signed_up(client, secret_emulator, email)
    with pytest.raises(client.exceptions.NotAuthorizedException, match=wrong):
        client.initiate_auth(
            ClientId=secret_emulator.client_id, AuthFlow="CUSTOM_AUTH",
            # A hash over the sub is not a hash over the email the call names.
            AuthParameters={"USERNAME": email, "SECRET_HASH": hash_for(secret_emulator, sub)},
        )
    challenge = client.initiate_auth(
        ClientId=secret_emulator.client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": email, "SECRET_HASH": hash_for(secret_emulator, email)},
    )
    with pytest.raises(client.exceptions.NotAuthorizedException, match=wrong):
        client.respond_to_auth_challenge(
            ClientId=secret_emulator.client_id, ChallengeName="CUSTOM_CHALLENGE", Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": sub, "ANSWER": answer_for(sub, 1),
                "SECRET_HASH": secret_hash(other_secret, sub, secret_emulator.client_id),
            },
        )
    tokens = signed_in(client, secret_emulator, email)
    with pytest.raises(client.exceptions.NotAuthorizedException, match=wrong):
        client.initiate_auth(
            ClientId=secret_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"], "SECRET_HASH": hash_for(secret_emulator, email)},
        )


def test_revoke_token_needs_the_client_secret(client, secret_emulator, email):
    signed_up(client, secret_emulator, email)
    tokens = signed_in(client, secret_emulator, email)

    with pytest.raises(client.exceptions.UnauthorizedException):
        client.revoke_token(Token=tokens["RefreshToken"], ClientId=secret_emulator.client_id)
    with pytest.raises(client.exceptions.UnauthorizedException):
        client.revoke_token(Token=tokens["RefreshToken"], ClientId=secret_emulator.client_id, ClientSecret="y" * 51)
    assert client.get_user(AccessToken=tokens["AccessToken"])


def test_get_tokens_from_refresh_token_needs_the_client_secret(client, secret_emulator, email):
    signed_up(client, secret_emulator, email)
    tokens = signed_in(client, secret_emulator, email)
    client_id = secret_emulator.client_id

    with pytest.raises(client.exceptions.NotAuthorizedException) as missing:
        client.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=tokens["RefreshToken"])
    with pytest.raises(client.exceptions.NotAuthorizedException) as wrong:
        client.get_tokens_from_refresh_token(
            ClientId=client_id, RefreshToken=tokens["RefreshToken"], ClientSecret="y" * 51
        )
    refreshed = client.get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=tokens["RefreshToken"], ClientSecret=secret_emulator.client_secret
    )["AuthenticationResult"]

    assert missing.value.response["Error"]["Message"] == (
        f"Client {client_id} is configured with secret but ClientSecret was not received"
    )
    assert wrong.value.response["Error"]["Message"] == f"Unable to verify client secret for client {client_id}"
    assert client.get_user(AccessToken=refreshed["AccessToken"])


def test_a_fixed_secret_can_be_configured(make_emulator):
    emulator = make_emulator(client_secret="fixed_local_secret_0123456789")

    assert emulator.client_secret == "fixed_local_secret_0123456789"
