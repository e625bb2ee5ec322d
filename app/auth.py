"""The pages and the two JSON calls of passwordless sign-in.

``POST /api/sign-in`` does what Amplify's ``signUp`` + ``signIn`` do in the
SPA we mirror, ``POST /api/confirm`` what ``confirmSignIn`` does; the page in
between only runs the Authsignal popup.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, current_app, g, get_flashed_messages, redirect, render_template, request, url_for

from .cognito import Challenge
from .errors import START_AGAIN, AuthError, bad_input
from .extensions import limiter
from .rate_limits import email_key
from .services import cognito, settings
from .user_session import (
    current_user,
    end_session,
    remember_challenge,
    restore_pending_sign_in,
    start_signed_in_session,
    take_pending_sign_in,
)

bp = Blueprint("auth", __name__)
#: Each sign-in creates or touches a Cognito user and tracks an Authsignal action.
sign_in_rate_limit = limiter.limit(
    lambda: settings().sign_in_rate_limit,
    error_message="Too many sign-in attempts from here. Wait a minute and try again.",
)
sign_in_email_rate_limit = limiter.limit(
    lambda: settings().sign_in_email_rate_limit,
    key_func=email_key,
    scope="sign-in-per-email",
    error_message="Too many sign-in attempts for this email address. Wait a few minutes and try again.",
)
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
@sign_in_email_rate_limit
def sign_in():
    email = _email(_json_field("email"))
    _discard_pending_sign_in()  # a new attempt replaces any earlier one
    challenge = _start_sign_in(email)
    _check_challenge_url(challenge.url)
    remember_challenge(email, challenge)
    return {"url": challenge.url}


@bp.post("/api/confirm")
@sign_in_rate_limit
def confirm():
    """Every failure says whether the user must start again (``startAgain``):
    only an answer that certainly never reached Cognito may be sent again."""
    token = _json_field("token")
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise bad_input("token must be the token the Authsignal popup returned.")
    try:
        return _answer(token)
    except AuthError as error:
        return _start_again(error)


def _answer(token: str):
    pending = take_pending_sign_in()
    if pending is None:
        raise AuthError("no_sign_in", "There is no sign-in in progress.", 409)
    try:
        result = cognito().answer_challenge(pending.challenge, token)
    except AuthError as error:
        if error.sent:
            raise
        restore_pending_sign_in(pending)
        return error.body(startAgain=False), error.status
    if isinstance(result, Challenge):
        _check_challenge_url(result.url)
        remember_challenge(pending.email, result)
        error = AuthError("wrong_answer", "The verification did not succeed. Try again.", 422)
        return error.body(url=result.url, startAgain=False), error.status
    start_signed_in_session(result)
    return {"status": "signed_in", "redirect": url_for("auth.index")}


@bp.post("/sign-out")
def sign_out():
    end_session()
    return redirect(url_for("auth.index"), code=303)


# ----- steps --------------------------------------------------------------------
def _discard_pending_sign_in() -> None:
    try:
        take_pending_sign_in()
    except AuthError:
        pass  # an expired one is just as gone


def _start_sign_in(email: str) -> Challenge:
    """Silent sign-up, then custom auth. While the cap on new users is reached,
    sign-up is skipped: existing users still sign in, new ones are told to wait."""
    budget = current_app.extensions["new_user_budget"]
    if budget.available():
        if cognito().sign_up(email):
            budget.count_one()
        return cognito().start_sign_in(email)
    try:
        return cognito().start_sign_in(email)
    except AuthError as error:
        if error.code != "sign_in_failed":
            raise
        raise AuthError(
            "too_many_new_users",
            "Too many new accounts are being created right now. Try again in a minute.",
            429,
            retry_after=budget.seconds_until_available(),
        ) from None


def _start_again(error: AuthError):
    """The answer for a confirm that spent the sign-in: nothing is left to retry."""
    message = error.message if START_AGAIN in error.message else f"{error.message} {START_AGAIN}"
    response = AuthError(error.code, message, error.status).body(startAgain=True), error.status
    if error.retry_after is not None:
        response += ({"Retry-After": str(error.retry_after)},)
    return response


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
