"""Authsignal tokens: HS256 JWTs signed with the tenant secret.

The same shape serves as the track token (in the pre-built UI's URL, and the
Bearer token of the client API) and the result token (posted back to the app
and validated by the server). Claims follow the SDK fixtures: ``iat``, ``exp``,
``sub``, ``iss``, ``scope`` and ``other``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from .errors import ApiError

ALGORITHM = "HS256"
TRACK_SCOPE = "read:authenticators add:authenticators"
RESULT_SCOPE = "read:authenticators"


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    action: str
    idempotency_key: str
    scope: str


class TokenService:
    def __init__(self, secret: str, tenant_id: str, ttl_seconds: int, clock=time.time):
        self._secret = secret
        self._tenant_id = tenant_id
        self._ttl = ttl_seconds
        self._clock = clock
        self.issuer = "local-authsignal"

    def issue(self, user_id: str, action: str, idempotency_key: str, scope: str) -> str:
        now = int(self._clock())
        claims = {
            "iat": now,
            "exp": now + self._ttl,
            "sub": user_id,
            "iss": self.issuer,
            "scope": scope,
            "other": {
                "tenantId": self._tenant_id,
                "publishableKey": self._tenant_id,
                "userId": user_id,
                "actionCode": action,
                "idempotencyKey": idempotency_key,
            },
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: object) -> TokenClaims:
        """Check signature, expiry and shape; raise :class:`ApiError` if any fails."""
        if not isinstance(token, str) or not token:
            raise ApiError(400, "invalid_request", "token must be a non-empty string.")
        try:
            # Time claims are checked below against our own clock, so tests can move time.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise ApiError(401, "invalid_token", "The token is invalid.") from None
        if not isinstance(claims["exp"], (int, float)) or claims["exp"] <= self._clock():
            raise ApiError(401, "expired_token", "The token has expired.")
        other = claims.get("other")
        if (
            not isinstance(other, dict)
            or other.get("tenantId") != self._tenant_id
            or other.get("userId") != claims["sub"]
            or not all(isinstance(other.get(k), str) for k in ("actionCode", "idempotencyKey"))
        ):
            raise ApiError(401, "invalid_token", "The token is invalid.")
        return TokenClaims(
            user_id=claims["sub"],
            action=other["actionCode"],
            idempotency_key=other["idempotencyKey"],
            scope=str(claims.get("scope", "")),
        )
