"""Headers on every response: a CSP that lets the page frame only the
Authsignal pre-built UI and be framed by nobody, and the usual hardening."""

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


def init_security_headers(app: Flask, prebuilt_ui_origin: str) -> None:
    policy = content_security_policy(prebuilt_ui_origin)

    @app.after_request
    def add_headers(response):
        response.headers["Content-Security-Policy"] = policy
        # The pre-built UI learns the embedding page's origin from the referrer.
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static" and not request.path.startswith("/vendor/"):
            response.headers["Cache-Control"] = "no-store"
        return response
