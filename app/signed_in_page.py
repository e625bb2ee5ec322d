"""The signed-in page: whole for ``GET /``, or its content alone in the
answer of a sign-in, so the sign-in page shows it without a reload (one
request fewer, and no second render of the whole page). Neither holds a
token: the tokens stay on the server."""

from __future__ import annotations

from concurrent.futures import Future

from flask import render_template, url_for
from flask_wtf.csrf import generate_csrf

from .deadline import DeadlineExceeded, call_result, start_call
from .errors import AuthError
from .services import authsignal_api
from .user_session import User
from .verification_method import LABELS

#: The "method" of a sign-in Authsignal's rules let through without a challenge.
ALLOWED_BY_RULES = "ALLOW"
PASSKEYS_UNAVAILABLE = "Your passkeys could not be listed just now. Reload the page to try again."


class SignedInExtras:
    """What the signed-in page shows besides the tokens' claims: the method
    the challenge was passed with, and the user's passkeys. Both are asked of
    Authsignal as soon as the user id is known, while Cognito checks the
    answer, so a sign-in waits for those calls alongside Cognito's rather
    than after it. If the sign-in fails, their answers are simply dropped.

    ``method`` is known already for a passkey sign-in or a rules ALLOW; else
    it is asked with the challenge's ``idempotency_key``."""

    def __init__(self, user_id: str | None, idempotency_key: str | None = None, method: str | None = None):
        api = authsignal_api()
        self.user_id, self.method = user_id, method
        asks = api.configured and bool(user_id)
        self._method_call = (
            start_call(api.verification_method, user_id, idempotency_key)
            if asks and method is None and idempotency_key else None
        )
        self._passkeys_call = start_call(api.passkeys, user_id) if asks else None

    def method_of(self, sub: str) -> str | None:
        """For ``start_signed_in_session``: the method, if asked for this very user."""
        if self.method is not None or self._method_call is None or sub != self.user_id:
            return self.method
        try:
            method = call_result(self._method_call)
        except DeadlineExceeded:
            return None
        return method if method in LABELS else None

    def passkeys(self, user: User) -> dict:
        return _passkeys(user, self._passkeys_call if user.sub == self.user_id else None)


def page(user: User, messages: list[str]) -> str:
    return render_template("signed_in.html", user=user, messages=messages, **_passkeys(user))


def sign_in_answer(user: User, extras: SignedInExtras) -> dict:
    """What the page needs to become the signed-in page: its content, its
    title, and the new session's CSRF token (the old one ended with it)."""
    return {
        "status": "signed_in",
        "redirect": url_for("auth.index"),
        "title": "Signed in",
        "html": render_template("_signed_in_card.html", user=user, **extras.passkeys(user)),
        "csrfToken": generate_csrf(),
    }


def _passkeys(user: User, started: Future | None = None) -> dict:
    """The user's passkeys (from the call ``started`` already, if any), or a
    sentence saying why they could not be listed; None when the app has no
    Authsignal secret (no passkey parts at all)."""
    if not authsignal_api().configured:
        return {"passkeys": None, "passkeys_problem": None}
    try:
        passkeys = call_result(started) if started else authsignal_api().passkeys(user.sub)
    except AuthError as error:
        return {"passkeys": [], "passkeys_problem": error.message}
    except DeadlineExceeded:
        return {"passkeys": [], "passkeys_problem": PASSKEYS_UNAVAILABLE}
    return {"passkeys": passkeys, "passkeys_problem": None}
