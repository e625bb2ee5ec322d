"""Which method the user passed the Authsignal challenge with, for the page:
Authsignal's server API ``get action`` (with the secret key, on the server).

Only a courtesy: without ``AUTHSIGNAL_SECRET`` the app does not ask, and any
failure just leaves the method unknown; it never fails a sign-in.
"""

from __future__ import annotations

from .services import authsignal_api

LABELS = {
    "EMAIL_OTP": "Email code",
    "EMAIL_MAGIC_LINK": "Email link",
    "SMS": "Text message",
    "WHATSAPP": "WhatsApp",
    "AUTHENTICATOR_APP": "Authenticator app",
    "PASSKEY": "Passkey",
}


def verification_method(user_id: str, idempotency_key: str | None) -> str | None:
    api = authsignal_api()
    if not api.configured or not idempotency_key:
        return None
    method = api.verification_method(user_id, idempotency_key)
    return method if method in LABELS else None


def label(method: str | None) -> str | None:
    return LABELS.get(method) if method else None
