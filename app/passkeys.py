"""Passkeys, as the guide's follow-up: a signed-in user adds one (the Web SDK's
``passkey.signUp`` with an enrolment token this server obtains), sees and
removes them; later the sign-in page's ``passkey.signIn`` (browser autofill or
a button) yields a token that ``POST /api/sign-in/passkey`` turns into a
Cognito sign-in in one round trip: ``CUSTOM_AUTH`` for the passkey's user,
whose Create trigger links the passkey challenge, answered at once with the
token (Verify takes only a passkey verification of this user and action).

Passkey sign-in replaces the email step of the passwordless flow only: with
``SIGN_IN_FLOW=password_mfa`` the pool's Define trigger demands the password
first, and a passkey serves as the second step in the pre-built UI instead.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, request, url_for

from . import forms, signed_in_page
from .authsignal_api import PASSKEY
from .cognito import Challenge
from .device import client_metadata
from .errors import REFUSED_BY_RULES, AuthError, bad_input
from .extensions import limiter
from .sign_in_limits import sign_in_rate_limit
from .services import authsignal_api, cognito, settings
from .user_session import current_user, discard_pending_sign_in, start_signed_in_session

bp = Blueprint("passkeys", __name__)
#: Each call makes a call to Authsignal with the tenant's secret.
passkey_rate_limit = limiter.limit(
    "20 per minute", error_message="Too many passkey requests from here. Wait a minute and try again."
)
#: Authsignal user ids here are Cognito subs (UUIDs); any id-like string up to 128 characters.
_USER_ID = re.compile(r"^[A-Za-z0-9._:@+-]{1,128}$")
_AUTHENTICATOR_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
NOT_SIGNED_IN = AuthError("not_signed_in", "Sign in first.", 401)
PASSKEY_REFUSED = "This passkey could not sign you in. Sign in with your email instead."


# ----- for the pages --------------------------------------------------------------
def address_for_passkeys() -> str | None:
    """WebAuthn refuses IP addresses: on one, the page names the address that
    works (``localhost`` on the same port, for the local demo) instead of
    letting the browser fail silently. None when this address works."""
    address = urlsplit(f"//{request.host}")
    try:
        ipaddress.ip_address(address.hostname or "")
    except ValueError:
        return None
    port = f":{address.port}" if address.port else ""
    return f"{request.scheme}://localhost{port}{request.path}"


# ----- adding and removing (signed in) --------------------------------------------
@bp.post("/api/passkeys/enrolment-token")
@passkey_rate_limit
def enrolment_token():
    """The token for ``passkey.signUp``: tracked on the server for the
    signed-in user, so the browser can add a passkey to that account only."""
    user = _signed_in_user()
    token = authsignal_api().passkey_enrolment_token(user.sub, user.email)
    return {"token": token, "username": user.email}


@bp.post("/passkeys/<authenticator_id>/remove")
@passkey_rate_limit
def remove(authenticator_id: str):
    user = _signed_in_user()
    if not _AUTHENTICATOR_ID.match(authenticator_id):
        abort(404)
    if not authsignal_api().remove_passkey(user.sub, authenticator_id):
        abort(404)
    flash("Passkey removed. Also delete it from your device or password manager, so it stops offering it.")
    return redirect(url_for("auth.index"), code=303)


def _signed_in_user():
    if not authsignal_api().configured:
        abort(404)
    user = current_user()
    if user is None:
        raise NOT_SIGNED_IN
    return user


# ----- signing in ---------------------------------------------------------------
@bp.post("/api/sign-in/passkey")
@sign_in_rate_limit
def sign_in():
    """``{token, userId}`` from the Web SDK's ``passkey.signIn``. The user id
    is only where to start: Verify checks the token is that user's passkey
    verification of this action, so a wrong id signs nobody in."""
    if settings().uses_passwords:
        abort(404)
    token = forms.token(forms.json_field("token"), "token must be the token of the passkey sign-in.")
    user_id = forms.json_field("userId")
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        raise bad_input("userId must be the user id of the passkey sign-in.")
    discard_pending_sign_in()
    extras = signed_in_page.SignedInExtras(user_id, method=PASSKEY)
    try:
        challenge = cognito().start_sign_in(user_id)
    except AuthError as error:
        if error.code == "sign_in_failed":  # no such user (any more)
            raise AuthError("passkey_refused", PASSKEY_REFUSED, 401) from None
        raise
    if challenge.blocked:
        raise REFUSED_BY_RULES[challenge.state]
    result = cognito().answer_challenge(challenge, token, client_metadata())
    if isinstance(result, Challenge):
        raise AuthError("passkey_refused", PASSKEY_REFUSED, 401)
    return signed_in_page.sign_in_answer(start_signed_in_session(result, extras.method_of), extras)

