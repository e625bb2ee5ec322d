"""Which method the user passed the Authsignal challenge with, for the page:
Authsignal's server API ``get action`` (with the secret key, on the server).

Only a courtesy: without ``AUTHSIGNAL_SECRET`` the app does not ask, and any
failure just leaves the method unknown; it never fails a sign-in.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import requests

from .services import settings

log = logging.getLogger(__name__)
TIMEOUT = (2.0, 3.0)
LABELS = {
    "EMAIL_OTP": "Email code",
    "EMAIL_MAGIC_LINK": "Email link",
    "SMS": "Text message",
    "WHATSAPP": "WhatsApp",
    "AUTHENTICATOR_APP": "Authenticator app",
    "PASSKEY": "Passkey",
}


def verification_method(user_id: str, idempotency_key: str | None) -> str | None:
    config = settings()
    if not config.authsignal_secret or not idempotency_key:
        return None
    user, action, key = (quote(part, safe="") for part in (user_id, config.authsignal_action, idempotency_key))
    try:
        response = requests.get(
            f"{config.authsignal_url}/users/{user}/actions/{action}/{key}",
            auth=(config.authsignal_secret, ""), timeout=TIMEOUT,
        )
        response.raise_for_status()
        method = response.json().get("verificationMethod")
    except (requests.RequestException, ValueError, AttributeError) as exc:
        log.warning("Could not ask Authsignal which method was used: %s", type(exc).__name__)
        return None
    return method if method in LABELS else None


def label(method: str | None) -> str | None:
    return LABELS.get(method) if method else None
