"""Identifiers shaped like AWS's, so code that checks or parses them (pycognito
takes the region from the pool id) treats the local ones as real."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def user_pool_id(region: str) -> str:
    """``us-east-1_AbCdEfGh1``: the region, an underscore, 9 letters or digits."""
    return f"{region}_{_random(_ALNUM, 9)}"


def app_client_id() -> str:
    """26 lowercase letters or digits."""
    return _random(_LOWER_ALNUM, 26)


def app_client_secret() -> str:
    """51 lowercase letters or digits, the length AWS generates."""
    return _random(_LOWER_ALNUM, 51)


def secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """``base64(HMAC_SHA256(client_secret, username + client_id))``."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def opaque_token(nbytes: int) -> str:
    """A random, URL-safe token; only its SHA-256 is stored (see :func:`digest`)."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
