"""The client API the Web SDK's headless methods and our pre-built UI call:
``Authorization: Bearer <track token>``."""

from __future__ import annotations

from flask import Blueprint, g, request

from .errors import ApiError
from .http_common import json_body, json_response, service

bp = Blueprint("authsignal_client_api", __name__)


@bp.before_request
def require_bearer_token():
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        raise ApiError(401, "unauthorized", "A Bearer token from track is required.")
    g.claims = service().authenticate(auth.token)


@bp.post("/user-authenticators/email-otp")
def enroll_email_otp():
    body = json_body(default={})
    email = body.get("email") if isinstance(body, dict) else None
    return json_response(service().enroll_email(g.claims, email))


@bp.post("/challenge/email-otp")
def challenge_email_otp():
    return json_response(service().send_email_code(g.claims))


@bp.post("/verify/email-otp")
def verify_email_otp():
    body = json_body(default={})
    code = body.get("verificationCode") if isinstance(body, dict) else None
    return json_response(service().verify_email_code(g.claims, code))


@bp.post("/user-authenticators/totp")
def enroll_totp():
    """The Web SDK's ``authsignal.totp.enroll()``: ``{userAuthenticatorId, userId, uri, secret}``."""
    return json_response(service().enroll_totp(g.claims))


@bp.post("/verify/totp")
def verify_totp():
    """The Web SDK's ``authsignal.totp.verify({code})``."""
    body = json_body(default={})
    code = body.get("verificationCode") if isinstance(body, dict) else None
    return json_response(service().verify_totp(g.claims, code))
