"""Headers on every response: a CSP that lets the page frame only the
Authsignal pre-built UI, talk only to itself and Authsignal's API, and be
framed by nobody, HSTS over https, and the
usual hardening."""

from __future__ import annotations

from flask import Flask, request


def content_security_policy(prebuilt_ui_origin: str, api_origin: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # The Web SDK styles its popup with an injected <style> element.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            # The Web SDK's passkey calls go to Authsignal's client API.
            f"connect-src 'self' {api_origin}",
            f"frame-src {prebuilt_ui_origin}",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


#: Powerful features the pages never use, denied to them and to any frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb", "browsing-topics",
    )
)
HSTS = "max-age=63072000; includeSubDomains"


def permissions_policy(prebuilt_ui_origin: str) -> str:
    """Passkeys for the page itself and for the pre-built UI it frames (the
    Web SDK's iframe asks for them with its ``allow`` attribute)."""
    allowed = f'(self "{prebuilt_ui_origin}")' if "*" not in prebuilt_ui_origin else "(self *)"
    webauthn = ", ".join(f"{feature}={allowed}" for feature in ("publickey-credentials-get", "publickey-credentials-create"))
    return f"{PERMISSIONS_POLICY}, {webauthn}"


def init_security_headers(app: Flask, prebuilt_ui_origin: str, api_origin: str) -> None:
    policy = content_security_policy(prebuilt_ui_origin, api_origin)
    permissions = permissions_policy(prebuilt_ui_origin)

    @app.after_request
    def add_headers(response):
        response.headers["Content-Security-Policy"] = policy
        # The pre-built UI learns the embedding page's origin from the referrer.
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # Popups the page opens (the Web SDK's window mode) keep their opener.
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
        response.headers["Permissions-Policy"] = permissions
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        if request.endpoint != "static" and not request.path.startswith("/vendor/"):
            response.headers["Cache-Control"] = "no-store"
        return response
