"""The attribute names each server API body takes, and what happens to others.

The real API answers 200 to names it does not read (the Python SDK's own
suite sends snake_case ``redirect_url``, ``phone_number``...), so by default
an unknown name is ignored with a console warning naming the camelCase key
that was probably meant: otherwise a typo silently drops a redirect or an
email. ``--strict`` refuses it instead.
"""

from __future__ import annotations

import difflib
import logging
import re
from typing import Iterable

from .errors import invalid_request

log = logging.getLogger("emulators.authsignal")

TRACK = frozenset({
    "email", "phoneNumber", "username", "redirectUrl", "redirectToSettings",
    "idempotencyKey", "ipAddress", "userAgent", "deviceId", "scope", "custom",
    "locale", "challengeId", "customDomain", "useCookies",
})
VALIDATE = frozenset({"token", "userId", "action"})
UPDATE_USER = frozenset({
    "email", "emailVerified", "phoneNumber", "phoneNumberVerified", "username",
    "displayName", "custom", "locale", "defaultVerificationMethod",
})
ENROLL_AUTHENTICATOR = frozenset({"verificationMethod", "email", "phoneNumber", "isDefault"})
UPDATE_ACTION = frozenset({"state"})


def hint(name: str, known: Iterable[str], noun: str = "attribute") -> str:
    """``redirect_url is not an attribute Authsignal reads; did you mean redirectUrl?``"""
    meant = probably_meant(name, known)
    article = "an" if noun[0] in "aeiou" else "a"
    text = f"{name} is not {article} {noun} Authsignal reads"
    return f"{text}; did you mean {meant}?" if meant else f"{text}."


def probably_meant(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was probably meant as: its camelCase spelling,
    the same name in another case, or a close misspelling."""
    known = sorted(known)
    camel = re.sub(r"_+([a-zA-Z0-9])", lambda m: m.group(1).upper(), name.strip("_"))
    if camel in known:
        return camel
    folded = {k.lower(): k for k in known}
    if camel.lower() in folded:
        return folded[camel.lower()]
    close = difflib.get_close_matches(camel, known, n=1, cutoff=0.8)
    return close[0] if close else None


def check_names(body: dict, known: Iterable[str], where: str, strict: bool, noun: str = "attribute") -> None:
    """Warn about (or, ``strict``, refuse) names in ``body`` that are not in ``known``."""
    unknown = sorted(set(body) - set(known))
    if not unknown:
        return
    hints = [hint(name, known, noun) for name in unknown]
    if strict:
        raise invalid_request(" ".join(hints) + f" (--strict refuses {noun}s the real API would ignore.)")
    for text in hints:
        log.warning("[local Authsignal] %s: %s", where, text)
