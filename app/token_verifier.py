"""Verify Cognito tokens against the pool's JWKS with pycognito, fetching the
JWKS once and again only when a token names a key it does not have (rotation).

The JWKS is fetched here, with a short timeout, and handed to pycognito (whose
own fetch waits up to 15 s): a slow JWKS endpoint must not hang every page."""

from __future__ import annotations

import threading
import time

import jwt
import requests
from pycognito import Cognito
from pycognito.exceptions import TokenVerificationException


#: Connect and read timeouts of the JWKS fetch.
JWKS_TIMEOUT = (2.0, 3.0)


class TokenInvalid(Exception):
    """The token is not one this pool issued for this client."""


class TokenExpired(TokenInvalid):
    """The token was good but its time is up: refresh it."""


class JwksUnavailable(Exception):
    """The pool's JWKS could not be fetched: no token can be checked now."""


class TokenVerifier:
    def __init__(self, region: str, user_pool_id: str, client_id: str, endpoint_url: str | None = None,
                 clock=time.time):
        kwargs = {"endpoint_url": endpoint_url} if endpoint_url else None
        # pycognito keeps the JWKS on the instance: one instance, one fetch.
        self._pycognito = Cognito(user_pool_id, client_id, user_pool_region=region, boto3_client_kwargs=kwargs)
        self._lock = threading.Lock()
        self._clock = clock

    def verify(self, token: str, token_use: str, access_token: str | None = None) -> dict:
        """The token's claims, or :class:`TokenInvalid` / :class:`TokenExpired`.

        ``access_token`` goes with an ID token, for its ``at_hash`` if it has one.
        """
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise TokenInvalid("not a JWT") from None
        with self._lock:
            if not self._has_key(kid):
                self._pycognito.pool_jwk = None  # maybe rotated: fetch the JWKS again
                if not self._has_key(kid):
                    raise TokenInvalid("signed by a key the pool does not have")
            self._pycognito.access_token = access_token
            try:
                return self._pycognito.verify_token(token, f"{token_use}_token", token_use)
            except TokenVerificationException as exc:
                if self._expired(token):
                    raise TokenExpired(str(exc)) from None
                raise TokenInvalid(str(exc)) from None

    def _has_key(self, kid: str | None) -> bool:
        try:
            if not self._pycognito.pool_jwk:
                response = requests.get(f"{self._pycognito.user_pool_url}/.well-known/jwks.json", timeout=JWKS_TIMEOUT)
                response.raise_for_status()
                self._pycognito.pool_jwk = response.json()
            keys = self._pycognito.get_keys().get("keys", [])
        except (requests.RequestException, ValueError, AttributeError) as exc:
            self._pycognito.pool_jwk = None
            raise JwksUnavailable(type(exc).__name__) from None
        return any(key.get("kid") == kid for key in keys)

    def _expired(self, token: str) -> bool:
        claims = jwt.decode(token, options={"verify_signature": False})
        return isinstance(claims.get("exp"), (int, float)) and claims["exp"] <= self._clock()
