"""The pages and the JSON calls of sign-in, in either flow (``SIGN_IN_FLOW``).

``POST /api/sign-in`` does what Amplify's ``signUp`` + ``signIn`` do in the
SPA we mirror (``CUSTOM_WITHOUT_SRP`` with an email alone, or
``CUSTOM_WITH_SRP`` with a password), ``POST /api/sign-up`` creates an
account with a password, and ``POST /api/confirm`` does what ``confirmSignIn``
does; the page in between only runs the Authsignal popup. When Authsignal's
rules allow a sign-in after a password, the server answers the challenge
itself and no popup opens.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, g, get_flashed_messages, redirect, render_template, request, url_for

from . import forms, signed_in_page
from .cognito import Challenge
from .device import client_metadata
from .errors import REFUSED_BY_RULES, START_AGAIN, AuthError
from .sign_in_limits import sign_in_email_rate_limit, sign_in_rate_limit
from .services import cognito, settings
from .signed_in_page import ALLOWED_BY_RULES, SignedInExtras
from .user_session import (
    current_user,
    discard_pending_sign_in,
    end_session,
    remember_challenge,
    restore_pending_sign_in,
    start_signed_in_session,
    take_pending_sign_in,
)

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


@bp.get("/")
def index():
    user = current_user()
    messages = get_flashed_messages()
    if g.get("auth_problem"):
        messages.append(g.auth_problem)
    if user is not None:
        return signed_in_page.page(user, messages)
    return render_template("sign_in.html", messages=messages)


@bp.get("/sign-up")
def sign_up_page():
    if not settings().uses_passwords:
        abort(404)
    if current_user() is not None:
        return redirect(url_for("auth.index"))
    return render_template("sign_up.html")


@bp.post("/api/sign-in")
@sign_in_rate_limit
@sign_in_email_rate_limit
def sign_in():
    email = forms.email(forms.json_field("email"))
    discard_pending_sign_in()  # a new attempt replaces any earlier one
    if settings().uses_passwords:
        password = forms.password(forms.json_field("password"))
        challenge = cognito().start_password_sign_in(email, password, client_metadata())
    else:
        challenge = _start_passwordless_sign_in(email)
    return _next_step(email, challenge)


@bp.post("/api/sign-up")
@sign_in_rate_limit
@sign_in_email_rate_limit
def sign_up():
    """Create the account, then sign in with it at once, as the guide's SPA does."""
    if not settings().uses_passwords:
        abort(404)
    email = forms.email(forms.json_field("email"))
    password = forms.password(forms.json_field("password"))
    budget = current_app.extensions["new_user_budget"]
    if not budget.available():
        raise _too_many_new_users(budget)
    discard_pending_sign_in()
    cognito().create_account(email, password)
    budget.count_one()
    return _next_step(email, cognito().start_password_sign_in(email, password, client_metadata()))


@bp.post("/api/confirm")
@sign_in_rate_limit
def confirm():
    """Every failure says whether the user must start again (``startAgain``):
    only an answer that certainly never reached Cognito may be sent again."""
    token = forms.token(forms.json_field("token"), "token must be the token the Authsignal popup returned.")
    try:
        return _answer(token)
    except AuthError as error:
        if error.start_again is not None:
            raise
        raise _start_again(error) from None


def _answer(token: str):
    pending = take_pending_sign_in()
    if pending is None:
        raise AuthError("no_sign_in", "There is no sign-in in progress.", 409)
    extras = SignedInExtras(pending.challenge.username, pending.challenge.idempotency_key)
    try:
        result = cognito().answer_challenge(pending.challenge, token, client_metadata())
    except AuthError as error:
        if error.sent:
            raise
        restore_pending_sign_in(pending)
        raise AuthError(error.code, error.message, error.status, sent=False, start_again=False) from None
    if isinstance(result, Challenge) and result.needs_the_user:
        # The Verify trigger found the answer wrong (its log says why).
        log.info("Cognito asked for the challenge again: the answer was not accepted")
        _check_challenge_url(result.url)
        remember_challenge(pending.email, result)
        error = AuthError("wrong_answer", "The verification did not succeed. Try again.", 422, start_again=False)
        return error.body(url=result.url), error.status
    return _next_step(pending.email, result, extras)


@bp.get("/auth/callback")
@sign_in_rate_limit
def callback():
    """Redirect mode: the pre-built UI sends the browser back here with the
    result token; the sign-in in progress is in this browser's server-side
    session, so the server finishes it and goes to the page."""
    token = request.args.get("token", "")
    if not forms.is_token(token):
        raise AuthError("invalid_callback", f"This sign-in link is not valid. {START_AGAIN}", 400)
    pending = take_pending_sign_in()
    if pending is None:
        raise AuthError(
            "no_sign_in", f"This sign-in is already over, or was not started in this browser. {START_AGAIN}", 409
        )
    extras = SignedInExtras(pending.challenge.username, pending.challenge.idempotency_key)
    result = cognito().answer_challenge(pending.challenge, token, client_metadata())
    if isinstance(result, Challenge) and result.needs_the_user:
        raise AuthError("wrong_answer", f"The verification did not succeed. {START_AGAIN}", 422)
    _next_step(pending.email, result, extras)
    return redirect(url_for("auth.index"), code=303)


@bp.post("/sign-out")
def sign_out():
    end_session()
    return redirect(url_for("auth.index"), code=303)


# ----- steps --------------------------------------------------------------------
def _start_passwordless_sign_in(email: str) -> Challenge:
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
        raise _too_many_new_users(budget) from None


def _next_step(email: str, result, extras: SignedInExtras | None = None):
    """Signed in; blocked by Authsignal's rules; allowed by them (the server
    answers with the track token, which never reaches the browser); or the
    popup's URL for the browser. ``extras`` were started with the answered
    challenge (the method it was passed with, the user's passkeys)."""
    if isinstance(result, Challenge) and result.blocked:
        raise REFUSED_BY_RULES[result.state]
    if isinstance(result, Challenge) and result.allowed:
        extras = SignedInExtras(result.username, method=ALLOWED_BY_RULES)
        result = cognito().answer_challenge(result, result.track_token, client_metadata())
        if isinstance(result, Challenge):
            raise AuthError("sign_in_failed", f"Sign-in failed. {START_AGAIN}", 401)
    if not isinstance(result, Challenge):
        extras = extras or SignedInExtras(None)
        return signed_in_page.sign_in_answer(start_signed_in_session(result, extras.method_of), extras)
    _check_challenge_url(result.url)
    remember_challenge(email, result)
    return {"url": result.url}


def _too_many_new_users(budget) -> AuthError:
    return AuthError(
        "too_many_new_users",
        "Too many new accounts are being created right now. Try again in a minute.",
        429,
        retry_after=budget.seconds_until_available(),
    )


def _start_again(error: AuthError) -> AuthError:
    """The failure of a confirm that spent the sign-in: nothing is left to retry."""
    message = error.message if START_AGAIN in error.message else f"{error.message} {START_AGAIN}"
    return AuthError(error.code, message, error.status, retry_after=error.retry_after, start_again=True)


# ----- output -------------------------------------------------------------------
def _check_challenge_url(url: str) -> None:
    """Hand the browser only a pre-built UI URL on the origin our CSP frames."""
    if not settings().is_prebuilt_ui_url(url):
        raise AuthError(
            "unexpected_challenge",
            "The verification service returned an unexpected address. Check AUTHSIGNAL_UI_ORIGIN.",
            502,
        )
