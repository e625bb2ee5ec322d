"""Headers on every response: a CSP that lets the page frame only the
Authsignal pre-built UI and be framed by nobody, HSTS over https, and the
usual hardening."""

from __future__ import annotations

from flask import Flask, request


def content_security_policy(prebuilt_ui_origin: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # The Web SDK styles its popup with an injected <style> element.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
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


def init_security_headers(app: Flask, prebuilt_ui_origin: str) -> None:
    policy = content_security_policy(prebuilt_ui_origin)

    @app.after_request
    def add_headers(response):
        response.headers["Content-Security-Policy"] = policy
        # The pre-built UI learns the embedding page's origin from the referrer.
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # Popups the page opens (the Web SDK's window mode) keep their opener.
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        if request.endpoint != "static" and not request.path.startswith("/vendor/"):
            response.headers["Cache-Control"] = "no-store"
        return response
