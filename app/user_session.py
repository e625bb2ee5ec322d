"""What the server-side session holds: a sign-in in progress (Cognito's
``Session`` and user name) or a signed-in user's tokens. Nothing of it ever
reaches the browser; the cookie carries only the session id."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import current_app, flash, g, session

from .cognito import Challenge, Tokens
from .errors import AuthError
from .services import cognito, token_verifier
from .token_verifier import JwksUnavailable, TokenExpired, TokenInvalid

log = logging.getLogger(__name__)
PENDING = "pending_sign_in"
AUTH = "auth"


@dataclass(frozen=True)
class User:
    sub: str
    email: str
    access_expires_at: int


def remember_challenge(email: str, challenge: Challenge) -> None:
    session[PENDING] = {
        "email": email,
        "username": challenge.username,
        "session": challenge.session,
        "url": challenge.url,
        "started_at": int(time.time()),
    }


@dataclass(frozen=True)
class PendingSignIn:
    email: str
    challenge: Challenge


def take_pending_sign_in() -> PendingSignIn | None:
    """Remove and return the sign-in in progress: each Cognito session is single-use."""
    pending = session.pop(PENDING, None)
    if not pending:
        return None
    challenge = Challenge(username=pending["username"], session=pending["session"], url=pending["url"])
    return PendingSignIn(pending["email"], challenge)


def start_signed_in_session(tokens: Tokens) -> User:
    """Check the new tokens, then move them into a fresh session (a new id, so a
    session id known before sign-in is worth nothing after it)."""
    try:
        claims = token_verifier().verify(tokens.id_token, "id", access_token=tokens.access_token)
        access = token_verifier().verify(tokens.access_token, "access")
    except (TokenInvalid, JwksUnavailable) as exc:
        log.error("Cognito returned tokens that do not verify: %s", type(exc).__name__)
        raise AuthError("token_invalid", "The sign-in service returned tokens that could not be verified.", 502) from None
    _revoke_current_tokens()  # signing in again replaces, and ends, an earlier sign-in
    session.clear()
    session[AUTH] = {
        "sub": claims["sub"],
        "email": claims.get("email", ""),
        "username": access.get("username") or claims.get("cognito:username") or claims["sub"],
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "access_expires_at": int(access["exp"]),
    }
    current_app.session_interface.regenerate(session)  # needs a non-empty session
    return User(claims["sub"], claims.get("email", ""), int(access["exp"]))


def current_user() -> User | None:
    """The signed-in user, after verifying the access token (and refreshing it
    when it has expired). Upstream trouble leaves the tokens in place and says so
    in ``g.auth_problem``; a revoked or invalid token signs the user out."""
    if "current_user" in g:
        return g.current_user
    g.current_user = _load_user()
    return g.current_user


def _load_user() -> User | None:
    auth = session.get(AUTH)
    if not auth:
        return None
    try:
        token_verifier().verify(auth["access_token"], "access")
    except TokenExpired:
        return _refresh(auth)
    except TokenInvalid:
        log.warning("Dropping a session whose access token does not verify")
        session.pop(AUTH, None)
        return None
    except JwksUnavailable:
        g.auth_problem = "Your session could not be checked: the sign-in service is unavailable. Try again shortly."
        return None
    return User(auth["sub"], auth["email"], auth["access_expires_at"])


def _refresh(auth: dict) -> User | None:
    try:
        tokens = cognito().refresh(auth["refresh_token"], auth["username"])
        access = token_verifier().verify(tokens.access_token, "access")
    except AuthError as exc:
        if exc.status in (401, 409):
            session.pop(AUTH, None)
            g.auth_problem = "Your session has ended. Sign in again."
        else:
            g.auth_problem = f"Your session could not be renewed. {exc.message}"
        return None
    except (TokenInvalid, JwksUnavailable):
        g.auth_problem = "Your session could not be renewed. Try again shortly."
        return None
    session[AUTH] = {
        **auth,
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "access_expires_at": int(access["exp"]),
    }
    return User(auth["sub"], auth["email"], int(access["exp"]))


def _revoke_current_tokens() -> bool:
    """Revoke the session's refresh token at Cognito, if any; False if Cognito refused or failed."""
    auth = session.get(AUTH)
    if not auth:
        return True
    try:
        cognito().revoke(auth["refresh_token"])
    except AuthError as exc:
        log.warning("Could not revoke a refresh token: %s", exc.code)
        return False
    return True


def end_session() -> None:
    """Revoke the refresh token at Cognito (best effort) and destroy the session."""
    revoked = _revoke_current_tokens()
    session.clear()  # an empty session is deleted from the store, and its cookie with it
    if not revoked:
        flash(
            "You are signed out here, but the sign-in service could not be reached to revoke your tokens; "
            "they stop working when they expire."
        )
        current_app.session_interface.regenerate(session)
