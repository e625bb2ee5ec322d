"""What the app tells Authsignal's rules about a sign-in: this browser's
device id (a long-lived random cookie of the app's own, HttpOnly, so no
script can read or copy it) and the client's address and user agent.

They travel as Cognito ``ClientMetadata`` to the Create trigger, which tracks
them, so that a rule such as ``knownDevice`` can let a trusted browser skip
the second factor.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, g, request

from .services import settings

DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def cookie_name() -> str:
    return "__Host-device" if settings().session_cookie_secure else "device"


def device_id() -> str:
    if "device_id" not in g:
        existing = request.cookies.get(cookie_name(), "")
        g.device_id = existing if _DEVICE_ID.match(existing) else secrets.token_urlsafe(16)
        g.new_device_id = g.device_id != existing
    return g.device_id


def client_metadata() -> dict[str, str]:
    """Cognito ``ClientMetadata`` (strings only) for the Create trigger."""
    metadata = {"deviceId": device_id(), "ipAddress": request.remote_addr or ""}
    user_agent = request.headers.get("User-Agent", "")[:512]
    if user_agent:
        metadata["userAgent"] = user_agent
    return metadata


def init_device_cookie(app: Flask) -> None:
    @app.after_request
    def set_device_cookie(response):
        if g.get("new_device_id"):
            response.set_cookie(
                cookie_name(), g.device_id, max_age=DEVICE_COOKIE_DAYS * 86400, path="/",
                secure=settings().session_cookie_secure, httponly=True, samesite="Lax",
            )
        return response
