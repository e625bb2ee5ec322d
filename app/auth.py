"""The pages and the two JSON calls of passwordless sign-in.

``POST /api/sign-in`` does what Amplify's ``signUp`` + ``signIn`` do in the
SPA we mirror, ``POST /api/confirm`` what ``confirmSignIn`` does; the page in
between only runs the Authsignal popup.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, g, get_flashed_messages, redirect, render_template, request, url_for

from .cognito import Challenge
from .errors import START_AGAIN, AuthError, bad_input
from .extensions import limiter
from .services import cognito, settings
from .user_session import (
    current_user,
    end_session,
    remember_challenge,
    start_signed_in_session,
    take_pending_sign_in,
)

bp = Blueprint("auth", __name__)
#: Each sign-in creates or touches a Cognito user and tracks an Authsignal action.
sign_in_rate_limit = limiter.limit(lambda: settings().sign_in_rate_limit)
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{1,4096}$")


@bp.get("/")
def index():
    user = current_user()
    messages = get_flashed_messages()
    if g.get("auth_problem"):
        messages.append(g.auth_problem)
    if user is not None:
        return render_template("signed_in.html", user=user, messages=messages)
    return render_template("sign_in.html", messages=messages)


@bp.post("/api/sign-in")
@sign_in_rate_limit
def sign_in():
    email = _email(_json_field("email"))
    take_pending_sign_in()  # a new attempt replaces any earlier one
    cognito().sign_up(email)
    challenge = cognito().start_sign_in(email)
    _check_challenge_url(challenge.url)
    remember_challenge(email, challenge)
    return {"url": challenge.url}


@bp.post("/api/confirm")
@sign_in_rate_limit
def confirm():
    token = _json_field("token")
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise bad_input("token must be the token the Authsignal popup returned.")
    pending = take_pending_sign_in()
    if pending is None:
        raise AuthError("no_sign_in", f"There is no sign-in in progress. {START_AGAIN}", 409)
    result = cognito().answer_challenge(pending.challenge, token)
    if isinstance(result, Challenge):
        _check_challenge_url(result.url)
        remember_challenge(pending.email, result)
        error = AuthError("wrong_answer", "The verification did not succeed. Try again.", 422)
        return error.body(url=result.url), error.status
    start_signed_in_session(result)
    return {"status": "signed_in", "redirect": url_for("auth.index")}


@bp.post("/sign-out")
def sign_out():
    end_session()
    return redirect(url_for("auth.index"), code=303)


# ----- input ----------------------------------------------------------------
def _json_field(name: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_input("Send a JSON object.")
    return body.get(name)


def _email(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_input("Enter your email address.")
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise bad_input("Enter a valid email address, like name@example.com.") from None
    return result.normalized.lower()


def _check_challenge_url(url: str) -> None:
    """Hand the browser only a pre-built UI URL on the origin our CSP frames."""
    if not settings().is_prebuilt_ui_url(url):
        raise AuthError(
            "unexpected_challenge",
            "The verification service returned an unexpected address. Check AUTHSIGNAL_UI_ORIGIN.",
            502,
        )
