"""ID and access tokens: RS256 JWTs signed with the pool's RSA key.

The claims are those of real Cognito tokens. ``iss`` is
``<emulator URL>/<pool id>``: pycognito, given ``endpoint_url``, fetches the
JWKS from ``{endpoint_url}/{pool id}/.well-known/jwks.json`` and requires
exactly that issuer. The ``kid`` is derived from the public key, so it stays
the same across restarts with a state file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .errors import ACCESS_TOKEN_EXPIRED, ACCESS_TOKEN_INVALID, not_authorized

ALGORITHM = "RS256"
ACCESS_SCOPE = "aws.cognito.signin.user.admin"


def generate_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class Authentication:
    """What one sign-in shares across the tokens it yields (and their refreshes)."""

    username: str
    client_id: str
    auth_time: int
    #: The ``jti`` of the refresh token: ``origin_jti`` of every token from it.
    origin_jti: str


class TokenSigner:
    def __init__(self, private_key_pem: str, issuer: Callable[[], str], clock: Callable[[], float] = time.time):
        self._private_key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        self._public_key = self._private_key.public_key()
        public_der = self._public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.b64encode(hashlib.sha256(public_der).digest()).decode()
        self._issuer = issuer
        self._clock = clock

    @property
    def issuer(self) -> str:
        return self._issuer()

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._public_key))
        return {"keys": [{"alg": ALGORITHM, "e": jwk["e"], "kid": self.kid, "kty": "RSA", "n": jwk["n"], "use": "sig"}]}

    def id_token(self, auth: Authentication, attributes: dict[str, str], validity: int) -> str:
        claims = {
            "sub": attributes["sub"],
            "email_verified": attributes.get("email_verified") == "true",
            "iss": self.issuer,
            "cognito:username": auth.username,
            "origin_jti": auth.origin_jti,
            "aud": auth.client_id,
            "event_id": str(uuid.uuid4()),
            "token_use": "id",
            "auth_time": auth.auth_time,
            "email": attributes["email"],
        }
        return self._sign(claims, validity)

    def access_token(self, auth: Authentication, sub: str, validity: int) -> str:
        claims = {
            "sub": sub,
            "iss": self.issuer,
            "client_id": auth.client_id,
            "origin_jti": auth.origin_jti,
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": ACCESS_SCOPE,
            "auth_time": auth.auth_time,
            "username": auth.username,
        }
        return self._sign(claims, validity)

    def verify_access_token(self, token: str) -> dict:
        """The claims of an access token this pool signed; ``NotAuthorizedException``
        with AWS's messages when it is not one, or has expired."""
        try:
            # Time is checked against our own clock, so tests can move it.
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "jti", "origin_jti", "username", "client_id"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise not_authorized(ACCESS_TOKEN_INVALID) from None
        if claims.get("token_use") != "access":
            raise not_authorized(ACCESS_TOKEN_INVALID)
        if claims["exp"] <= self._clock():
            raise not_authorized(ACCESS_TOKEN_EXPIRED)
        return claims

    def _sign(self, claims: dict, validity: int) -> str:
        now = int(self._clock())
        payload = {**claims, "exp": now + validity, "iat": now, "jti": str(uuid.uuid4())}
        return jwt.encode(payload, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid})
