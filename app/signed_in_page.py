"""The signed-in page: whole for ``GET /``, or its content alone in the
answer of a sign-in, so the sign-in page shows it without a reload (one
request fewer, and no second render of the whole page). Neither holds a
token: the tokens stay on the server."""

from __future__ import annotations

from flask import render_template, url_for
from flask_wtf.csrf import generate_csrf

from .errors import AuthError
from .services import authsignal_api
from .user_session import User


def page(user: User, messages: list[str]) -> str:
    return render_template("signed_in.html", user=user, messages=messages, **_passkeys(user))


def sign_in_answer(user: User) -> dict:
    """What the page needs to become the signed-in page: its content, its
    title, and the new session's CSRF token (the old one ended with it)."""
    return {
        "status": "signed_in",
        "redirect": url_for("auth.index"),
        "title": "Signed in",
        "html": render_template("_signed_in_card.html", user=user, **_passkeys(user)),
        "csrfToken": generate_csrf(),
    }


def _passkeys(user: User) -> dict:
    """The user's passkeys, or a sentence saying why they could not be listed;
    None when the app has no Authsignal secret (no passkey parts at all)."""
    if not authsignal_api().configured:
        return {"passkeys": None, "passkeys_problem": None}
    try:
        return {"passkeys": authsignal_api().passkeys(user.sub), "passkeys_problem": None}
    except AuthError as error:
        return {"passkeys": [], "passkeys_problem": error.message}
