"""Forgot password (``SIGN_IN_FLOW=password_mfa``): Cognito's
``ForgotPassword`` emails a code, ``ConfirmForgotPassword`` sets the new
password with it. Plain forms, no script: they work in any browser.

The reset changes only the first factor; the next sign-in still asks for the
Authsignal challenge as usual.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, get_flashed_messages, redirect, render_template, request, session, url_for

from . import forms
from .errors import AuthError
from .extensions import limiter
from .services import cognito, settings

bp = Blueprint("password_reset", __name__)
#: The email a reset is for, kept in the signed cookie between the two pages.
RESET_EMAIL = "reset_email"
reset_rate_limit = limiter.limit(
    lambda: settings().sign_in_rate_limit,
    methods=["POST"],
    error_message="Too many attempts from here. Wait a minute and try again.",
)


@bp.before_request
def only_with_passwords():
    if not settings().uses_passwords:
        abort(404)


@bp.route("/forgot-password", methods=["GET", "POST"])
@reset_rate_limit
def forgot_password():
    if request.method == "GET":
        return render_template("forgot_password.html")
    try:
        email = forms.email(request.form.get("email"))
        destination = cognito().forgot_password(email)
    except AuthError as error:
        return _form_error("forgot_password.html", error, email=request.form.get("email", ""))
    session[RESET_EMAIL] = email
    flash(f"We sent a code to {destination}.")
    return redirect(url_for("password_reset.reset_password"), code=303)


@bp.route("/reset-password", methods=["GET", "POST"])
@reset_rate_limit
def reset_password():
    email = session.get(RESET_EMAIL)
    if not email:
        return redirect(url_for("password_reset.forgot_password"))
    if request.method == "GET":
        return render_template("reset_password.html", email=email, messages=get_flashed_messages())
    try:
        cognito().confirm_forgot_password(
            email, forms.code(request.form.get("code")), forms.password(request.form.get("password"))
        )
    except AuthError as error:
        return _form_error("reset_password.html", error, email=email)
    session.pop(RESET_EMAIL, None)
    flash("Your password is set. Sign in with your new password.")
    return redirect(url_for("auth.index"), code=303)


def _form_error(template: str, error: AuthError, **context):
    """The form again, with the message next to its field (or above the form)."""
    return render_template(template, error=error, **context), error.status
