"""How the signed-in page names the method the user passed the Authsignal
challenge with (asked of Authsignal's ``get action`` on the server, see
``signed_in_page``). Only a courtesy: without ``AUTHSIGNAL_SECRET`` the app
does not ask, and any failure just leaves the method unknown; it never fails
a sign-in.
"""

from __future__ import annotations

LABELS = {
    "EMAIL_OTP": "Email code",
    "EMAIL_MAGIC_LINK": "Email link",
    "SMS": "Text message",
    "WHATSAPP": "WhatsApp",
    "AUTHENTICATOR_APP": "Authenticator app",
    "PASSKEY": "Passkey",
}


def label(method: str | None) -> str | None:
    return LABELS.get(method) if method else None
