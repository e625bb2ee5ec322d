"""The client API the Web SDK's headless methods and our pre-built UI call:
``Authorization: Bearer <track token>`` (or, for a discoverable passkey
sign-in and the passkey lookup, the tenant id). Its paths are the Web SDK's
own, and it answers CORS requests (preflight included) from the allowed
origins, so an app on another origin can build its own UI with the SDK's
headless methods."""

from __future__ import annotations

import base64
from urllib.parse import unquote

from flask import Blueprint, g, make_response, request

from .config import EMAIL_MAGIC_LINK, EMAIL_OTP, SMS, WHATSAPP
from .errors import ApiError
from .http_common import json_body, json_response, service
from .origins import is_allowed

bp = Blueprint("authsignal_client_api", __name__)

_CORS_METHODS = "GET, POST, OPTIONS"
_CORS_HEADERS = "Authorization, Content-Type"


def _allowed_origin() -> str | None:
    origin = request.headers.get("Origin")
    return origin if is_allowed(origin, service().config.allowed_origins) else None


@bp.before_request
def require_bearer_token():
    if request.method == "OPTIONS":
        # A CORS preflight: no credentials; the headers come from add_cors_headers.
        response = make_response("", 204)
        if _allowed_origin():
            response.headers["Access-Control-Allow-Methods"] = _CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response
    header = request.headers.get("Authorization", "")
    if request.endpoint in _TOKEN_OPTIONAL and not header.lower().startswith("bearer "):
        # A discoverable passkey sign-in: the Web SDK sends Basic <tenant id>, no token.
        _check_tenant(header)
        g.claims = None
        return None
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        raise ApiError(401, "unauthorized", "A Bearer token from track is required.")
    g.claims = service().authenticate(auth.token)


def _check_tenant(header: str) -> None:
    """``Basic base64(tenant id)``, as the Web SDK sends it without a token."""
    scheme, _, value = header.partition(" ")
    try:
        tenant = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        tenant = None
    if scheme.lower() != "basic" or unquote(tenant or "").rstrip(":") != service().config.tenant_id:
        raise ApiError(401, "unauthorized", "A Bearer token from track, or the tenant id, is required.")


@bp.after_request
def add_cors_headers(response):
    """Only an allowed origin is echoed back (never ``*``); others get no CORS
    headers, so their pages cannot read the answers. Credentials are allowed
    because the Web SDK's ``useCookies`` fetches send them (``credentials:
    "include"``) and a browser hides the answer otherwise; no cookie is ever
    set or read, so they carry nothing."""
    response.headers.add("Vary", "Origin")
    origin = _allowed_origin()
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


def _field(name: str):
    body = json_body(default={})
    return body.get(name) if isinstance(body, dict) else None


# ----- email OTP ---------------------------------------------------------------------------
@bp.post("/user-authenticators/email-otp")
def enroll_email_otp():
    return json_response(service().enroll_email(g.claims, _field("email")))


@bp.post("/challenge/email-otp")
def challenge_email_otp():
    return json_response(service().send(g.claims, EMAIL_OTP))


@bp.post("/verify/email-otp")
def verify_email_otp():
    return json_response(service().verify_code(g.claims, _field("verificationCode"), EMAIL_OTP))


# ----- email magic link -----------------------------------------------------------------------
@bp.post("/user-authenticators/email-magic-link")
def enroll_email_magic_link():
    return json_response(service().enroll_email(g.claims, _field("email"), EMAIL_MAGIC_LINK))


@bp.post("/challenge/email-magic-link")
def challenge_email_magic_link():
    return json_response(service().send(g.claims, EMAIL_MAGIC_LINK))


@bp.post("/verify/email-magic-link/finalize")
def finalize_email_magic_link():
    """What ``emailML.checkVerificationStatus()`` polls (every second) until ``isVerified``."""
    return json_response(service().finalize_magic_link(g.claims))


# ----- SMS and WhatsApp ----------------------------------------------------------------------
@bp.post("/user-authenticators/sms")
def enroll_sms():
    return json_response(service().enroll_phone(g.claims, _field("phoneNumber"), SMS))


@bp.post("/user-authenticators/whatsapp")
def enroll_whatsapp():
    """Not a Web SDK path (its WhatsApp client has no enroll): what the
    pre-built UI calls for a user with no phone number."""
    return json_response(service().enroll_phone(g.claims, _field("phoneNumber"), WHATSAPP))


@bp.post("/challenge/sms")
def challenge_sms():
    return json_response(service().send(g.claims, SMS))


@bp.post("/challenge/whatsapp")
def challenge_whatsapp():
    return json_response(service().send(g.claims, WHATSAPP))


@bp.post("/verify/sms")
def verify_sms():
    return json_response(service().verify_code(g.claims, _field("verificationCode"), SMS))


@bp.post("/verify/whatsapp")
def verify_whatsapp():
    return json_response(service().verify_code(g.claims, _field("verificationCode"), WHATSAPP))


# ----- the authenticator app -------------------------------------------------------------------
@bp.post("/user-authenticators/totp")
def enroll_totp():
    """The Web SDK's ``authsignal.totp.enroll()``: ``{userAuthenticatorId, userId, uri, secret}``."""
    return json_response(service().enroll_totp(g.claims))


@bp.post("/verify/totp")
def verify_totp():
    """The Web SDK's ``authsignal.totp.verify({code})``."""
    return json_response(service().verify_totp(g.claims, _field("verificationCode")))


# ----- passkeys ------------------------------------------------------------------------------
# The ``/web`` paths are what the Web SDK calls with ``useCookies: true``; they
# answer as the others (the real service's cookies are not emulated).

#: Endpoints a discoverable passkey sign-in, or ``isAvailableOnDevice``, calls without a track token.
_TOKEN_OPTIONAL = {
    "authsignal_client_api.passkey_challenge",
    "authsignal_client_api.passkey_authentication_options",
    "authsignal_client_api.verify_passkey",
    "authsignal_client_api.registered_passkey",
}


def _body() -> dict:
    body = json_body(default={})
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
    return body


@bp.post("/user-authenticators/passkey/registration-options")
@bp.post("/user-authenticators/passkey/registration-options/web")
def passkey_registration_options():
    """``passkey.signUp``: ``{username, authenticatorAttachment}`` -> ``{options, challengeId}``."""
    return json_response(service().passkeys.registration_options(g.claims, _body()))


@bp.post("/user-authenticators/passkey")
def add_passkey():
    """``passkey.signUp``: ``{registrationCredential, challengeId}`` -> ``{isVerified, accessToken, ...}``."""
    return json_response(service().passkeys.add_authenticator(g.claims, _body()))


@bp.post("/challenge")
@bp.post("/challenge/web")
def passkey_challenge():
    """``passkey.signIn({action})``: ``{action}`` -> ``{challengeId}``, no token needed."""
    return json_response(service().passkeys.challenge(_body()))


@bp.post("/user-authenticators/passkey/authentication-options")
@bp.post("/user-authenticators/passkey/authentication-options/web")
def passkey_authentication_options():
    return json_response(service().passkeys.authentication_options(g.claims, _body()))


@bp.get("/user-authenticators/passkey")
def registered_passkey():
    """``passkey.isAvailableOnDevice({userId})``: ``?credentialIds=a,b`` (the
    ids this device stored for the user) -> 200 and the passkey, or 404."""
    return json_response(service().passkeys.registered_authenticator(request.args.get("credentialIds")))


@bp.post("/verify/passkey")
def verify_passkey():
    return json_response(service().passkeys.verify(g.claims, _body()))
