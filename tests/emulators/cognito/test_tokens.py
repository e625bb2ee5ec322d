"""Tokens as pycognito checks them: JWKS and issuer where pycognito looks,
given the emulator as its ``endpoint_url``."""

from __future__ import annotations

import jwt
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric import rsa
from pycognito import Cognito
from pycognito.exceptions import TokenVerificationException

from .helpers import cognito_client, sign_in, sign_up


@pytest.fixture(autouse=True)
def no_jwks_from_the_environment(monkeypatch):
    """pycognito prefers a JWKS in ``COGNITO_JWKS``; these tests need it fetched."""
    monkeypatch.delenv("COGNITO_JWKS", raising=False)


def pycognito_for(emulator, tokens: dict, endpoint_url: str | None = None) -> Cognito:
    return Cognito(
        emulator.user_pool_id,
        emulator.client_id,
        user_pool_region=emulator.region,
        id_token=tokens["IdToken"],
        access_token=tokens["AccessToken"],
        refresh_token=tokens["RefreshToken"],
        botocore_config=Config(signature_version=UNSIGNED),
        boto3_client_kwargs={"endpoint_url": endpoint_url or emulator.endpoint_url},
    )


@pytest.fixture
def tokens(cognito, cognito_emulator, email) -> dict:
    sign_up(cognito, cognito_emulator, email)
    return sign_in(cognito, cognito_emulator, email)


def forge(token: str, key, **changes) -> str:
    """The token's claims and header, signed with ``key``."""
    header = jwt.get_unverified_header(token)
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})


def test_pycognito_verifies_the_tokens(cognito_emulator, tokens, email):
    user = pycognito_for(cognito_emulator, tokens)

    user.verify_tokens()

    assert user.id_claims["email"] == email
    assert user.access_claims["token_use"] == "access"


def test_pycognito_renews_and_reads_the_user_and_signs_out(cognito_emulator, tokens, email):
    user = pycognito_for(cognito_emulator, tokens)

    user.renew_access_token()
    assert user.access_token != tokens["AccessToken"]
    assert user.get_user().email == email

    user.logout()
    with pytest.raises(Exception, match="Access Token has been revoked"):
        pycognito_for(cognito_emulator, tokens).get_user()


def test_pycognito_rejects_a_token_signed_by_another_key(cognito_emulator, tokens):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {**tokens, "IdToken": forge(tokens["IdToken"], other_key)}

    with pytest.raises(TokenVerificationException, match="Signature verification failed"):
        pycognito_for(cognito_emulator, forged).verify_tokens()


def test_the_emulator_rejects_an_access_token_signed_by_another_key(cognito, tokens):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid Access Token"):
        cognito.get_user(AccessToken=forge(tokens["AccessToken"], other_key))


def test_pycognito_rejects_a_token_of_another_issuer(make_emulator, email):
    # Behind a port mapping the issuer is the public URL, not the bound address.
    emulator = make_emulator(public_url="http://cognito.local.test:9229")
    client = cognito_client(emulator, endpoint_url=emulator.origin)
    sign_up(client, emulator, email)
    tokens = sign_in(client, emulator, email)
    assert jwt.decode(tokens["IdToken"], options={"verify_signature": False})["iss"] == (
        f"http://cognito.local.test:9229/{emulator.user_pool_id}"
    )
    user = pycognito_for(emulator, tokens, endpoint_url=emulator.origin)

    with pytest.raises(TokenVerificationException, match="Invalid issuer"):
        user.verify_tokens()


def test_jwks_and_openid_configuration_are_served_per_pool(cognito_emulator, tokens):
    issuer = f"{cognito_emulator.endpoint_url}/{cognito_emulator.user_pool_id}"

    jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=5).json()
    configuration = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    missing = requests.get(f"{cognito_emulator.endpoint_url}/us-east-1_nothere00/.well-known/jwks.json", timeout=5)

    [key] = jwks["keys"]
    assert set(key) == {"alg", "e", "kid", "kty", "n", "use"}
    assert (key["alg"], key["kty"], key["use"]) == ("RS256", "RSA", "sig")
    assert key["kid"] == jwt.get_unverified_header(tokens["IdToken"])["kid"]
    assert jwt.decode(
        tokens["IdToken"], jwt.PyJWK(key).key, algorithms=["RS256"],
        audience=cognito_emulator.client_id, issuer=issuer,
    )
    assert configuration["issuer"] == issuer
    assert configuration["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert configuration["id_token_signing_alg_values_supported"] == ["RS256"]
    assert missing.status_code == 404


def test_each_pool_signs_with_its_own_key(cognito_emulator, make_emulator):
    other = make_emulator()

    def kid(emulator):
        return requests.get(emulator.jwks_url, timeout=5).json()["keys"][0]["kid"]

    assert kid(other) != kid(cognito_emulator)
