"""The pre-built UI: the page ``track``'s ``url`` points at, on the
emulator's own origin, embeddable only by the allowed app origins."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request, url_for

from . import totp
from .errors import ApiError
from .http_common import service

bp = Blueprint("authsignal_prebuilt_ui", __name__)


def content_security_policy() -> str:
    ancestors = " ".join(str(p) for p in service().config.allowed_origins)
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )


def secure_page(html: str, status: int = 200):
    response = make_response(html, status)
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The token is in this page's URL: never leak it through a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/challenge")
def challenge_page():
    token = request.args.get("token", "")
    try:
        claims = service().authenticate(token)
    except ApiError as error:
        message = (
            "This sign-in link has expired. Close this window and start again."
            if error.code == "expired_token"
            else "This sign-in link is not valid. Close this window and start again."
        )
        return secure_page(render_template("authsignal/error.html", message=message), 401)
    context = service().challenge_context(claims)
    config = {
        "token": token,
        "apiBase": "/v1",
        "qrCodePath": url_for("authsignal_prebuilt_ui.totp_qr_code"),
        "email": context["email"],
        "phoneNumber": context["phoneNumber"],
        "state": context["state"],
        "redirectUrl": context["redirectUrl"],
        "attemptsRemaining": context["attemptsRemaining"],
        "allowedOrigins": [str(p) for p in service().config.allowed_origins],
        "codeLength": service().config.code_length,
        "totpCodeLength": totp.DIGITS,
        "methods": context["methods"],
        "totpEnrolled": context["totpEnrolled"],
        "passkeyRpId": service().config.passkey_rp_id,
    }
    return secure_page(render_template("authsignal/challenge.html", config=config, email=context["email"]))


@bp.get("/magic-link")
def magic_link():
    """The link a magic-link email carries: opening it, in any tab or browser,
    completes the challenge once; the pre-built UI, polling, then closes by itself."""
    done, message = service().open_magic_link(request.args.get("token", ""))
    return secure_page(
        render_template("authsignal/magic_link.html", done=done, message=message), 200 if done else 400
    )


@bp.get("/challenge/totp-qr-code")
def totp_qr_code():
    """The QR code of the authenticator app being enrolled, as SVG, for the
    page's own script (``Authorization: Bearer <track token>``): it shows it
    as a ``data:`` image, which the page's CSP allows."""
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        raise ApiError(401, "unauthorized", "A Bearer token from track is required.")
    svg = service().totp_qr_code(service().authenticate(auth.token))
    response = make_response(svg)
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
