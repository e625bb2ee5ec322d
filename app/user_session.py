"""What the server keeps for a browser: a sign-in in progress (Cognito's
``Session`` and user name) or a signed-in user's tokens, in the session store
under a random id. Flask's signed cookie carries only that id (and, for every
visitor, the CSRF token): nothing of the record ever reaches the browser, and
a visitor who has not started a sign-in has no record at all."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from flask import flash, g, session

from .cognito import Challenge, Tokens
from .errors import START_AGAIN, AuthError
from .services import cognito, session_store, token_verifier
from .token_verifier import JwksUnavailable, TokenExpired, TokenInvalid

log = logging.getLogger(__name__)
#: The cookie session's key for the server-side record's id.
SID = "sid"
PENDING = "pending_sign_in"
AUTH = "auth"
#: A sign-in in progress lives as long as Cognito's longest session (15 minutes).
PENDING_LIFETIME_SECONDS = 15 * 60
SIGNED_IN_LIFETIME_SECONDS = 30 * 24 * 60 * 60


@dataclass(frozen=True)
class User:
    sub: str
    email: str
    access_expires_at: int
    #: How the second step was passed: an Authsignal method, "ALLOW" (rules), or None (unknown).
    method: str | None = None


@dataclass(frozen=True)
class PendingSignIn:
    email: str
    challenge: Challenge


# ----- the record ---------------------------------------------------------------
def _record() -> dict:
    """This browser's server-side record (read once per request), or ``{}``."""
    if "session_record" not in g:
        sid = session.get(SID)
        g.session_record = (session_store().get(sid) if isinstance(sid, str) else None) or {}
        if sid and not g.session_record:
            session.pop(SID, None)  # expired or deleted: forget the id
    return g.session_record


def _save(record: dict) -> None:
    """Write the record under this browser's id (a new one if it has none), or
    delete it when empty. A browser with a record keeps its cookie 30 days."""
    store, sid = session_store(), session.get(SID)
    if not record:
        if sid:
            store.delete(sid)
        session.pop(SID, None)
    else:
        sid = sid or secrets.token_urlsafe(32)
        lifetime = SIGNED_IN_LIFETIME_SECONDS if AUTH in record else PENDING_LIFETIME_SECONDS
        store.set(sid, record, lifetime)
        session[SID] = sid
        session.permanent = True
    g.session_record = record


def _drop_record_and_cookie_data() -> None:
    """Delete the record and everything in the cookie (the CSRF token too):
    an id or token known before sign-in is worth nothing after it."""
    sid = session.pop(SID, None)
    if sid:
        session_store().delete(sid)
    session.clear()
    g.session_record = {}


# ----- a sign-in in progress ----------------------------------------------------------
def remember_challenge(email: str, challenge: Challenge) -> None:
    pending = {
        "email": email,
        "username": challenge.username,
        "session": challenge.session,
        "url": challenge.url,
        "idempotency_key": challenge.idempotency_key,
        "started_at": int(time.time()),
    }
    _save({**_record(), PENDING: pending})


def take_pending_sign_in() -> PendingSignIn | None:
    """Remove and return the sign-in in progress: each Cognito session is single-use."""
    record = dict(_record())
    pending = record.pop(PENDING, None)
    if not pending:
        return None
    _save(record)
    if time.time() - pending["started_at"] > PENDING_LIFETIME_SECONDS:
        raise AuthError("session_expired", f"That took too long. {START_AGAIN}", 409)
    challenge = Challenge(
        username=pending["username"], session=pending["session"], url=pending["url"],
        idempotency_key=pending.get("idempotency_key"),
    )
    return PendingSignIn(pending["email"], challenge)


def discard_pending_sign_in() -> None:
    """A new attempt replaces any earlier one; an expired one is just as gone."""
    try:
        take_pending_sign_in()
    except AuthError:
        pass


def restore_pending_sign_in(pending: PendingSignIn) -> None:
    """Put back a sign-in whose answer never reached Cognito, so it can be sent again."""
    remember_challenge(pending.email, pending.challenge)


# ----- signed in -------------------------------------------------------------------
def start_signed_in_session(tokens: Tokens, method_of=lambda sub: None) -> User:
    """Check the new tokens, then keep them under a fresh id; ``method_of(sub)``
    says how the second step was passed, for the page."""
    try:
        claims = token_verifier().verify(tokens.id_token, "id", access_token=tokens.access_token)
        access = token_verifier().verify(tokens.access_token, "access")
    except (TokenInvalid, JwksUnavailable) as exc:
        log.error("Cognito returned tokens that do not verify: %s", type(exc).__name__)
        raise AuthError("token_invalid", "The sign-in service returned tokens that could not be verified.", 502) from None
    method = method_of(claims["sub"])
    _revoke_current_tokens()  # signing in again replaces, and ends, an earlier sign-in
    _drop_record_and_cookie_data()
    auth = {
        "sub": claims["sub"],
        "email": claims.get("email", ""),
        "username": access.get("username") or claims.get("cognito:username") or claims["sub"],
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "access_expires_at": int(access["exp"]),
        "method": method,
    }
    _save({AUTH: auth})  # under a new id
    return User(claims["sub"], claims.get("email", ""), int(access["exp"]), method)


def current_user() -> User | None:
    """The signed-in user, after verifying the access token (and refreshing it
    when it has expired). Upstream trouble leaves the tokens in place and says so
    in ``g.auth_problem``; a revoked or invalid token signs the user out."""
    if "current_user" in g:
        return g.current_user
    g.current_user = _load_user()
    return g.current_user


def _load_user() -> User | None:
    auth = _record().get(AUTH)
    if not auth:
        return None
    try:
        token_verifier().verify(auth["access_token"], "access")
    except TokenExpired:
        return _refresh(auth)
    except TokenInvalid:
        log.warning("Dropping a session whose access token does not verify")
        _drop_auth()
        return None
    except JwksUnavailable:
        g.auth_problem = "Your session could not be checked: the sign-in service is unavailable. Try again shortly."
        return None
    return User(auth["sub"], auth["email"], auth["access_expires_at"], auth.get("method"))


def _refresh(auth: dict) -> User | None:
    try:
        tokens = cognito().refresh(auth["refresh_token"])
        access = token_verifier().verify(tokens.access_token, "access")
    except AuthError as exc:
        if exc.status in (401, 409):
            _drop_auth()
            g.auth_problem = "Your session has ended. Sign in again."
        else:
            g.auth_problem = f"Your session could not be renewed. {exc.message}"
        return None
    except (TokenInvalid, JwksUnavailable):
        g.auth_problem = "Your session could not be renewed. Try again shortly."
        return None
    _save({**_record(), AUTH: {
        **auth,
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,  # a new one when the client rotates them
        "access_expires_at": int(access["exp"]),
    }})
    return User(auth["sub"], auth["email"], int(access["exp"]), auth.get("method"))


def _drop_auth() -> None:
    record = dict(_record())
    record.pop(AUTH, None)
    _save(record)


def _revoke_current_tokens() -> bool:
    """Revoke the session's refresh token at Cognito, if any; False if Cognito refused or failed."""
    auth = _record().get(AUTH)
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
    _drop_record_and_cookie_data()
    if not revoked:
        flash(
            "You are signed out here, but the sign-in service could not be reached to revoke your tokens; "
            "they stop working when they expire."
        )
