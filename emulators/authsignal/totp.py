"""The authenticator app (TOTP, RFC 6238): 6 digits, 30-second steps, SHA-1,
as every authenticator app expects; secrets of 160 bits, base32.

A code is accepted for the current time step or one step either side (clock
skew), and only for a step later than the last one accepted for that
authenticator, so a code cannot be replayed within its window.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets

import pyotp
import qrcode
import qrcode.image.svg

STEP_SECONDS = 30
DIGITS = 6
SKEW_STEPS = 1
_CODE = re.compile(rf"^\d{{{DIGITS}}}$")


def new_secret() -> str:
    """160 random bits from ``secrets``, base32 (32 characters, no padding)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=...&issuer=...``"""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def time_step(now: float) -> int:
    return int(now // STEP_SECONDS)


def accepted_step(secret: str, code: str, now: float, last_used_step: int | None) -> int | None:
    """The time step ``code`` is right for, within the skew and later than
    ``last_used_step``; None if there is none."""
    if not _CODE.match(code):
        return None
    hotp = pyotp.HOTP(secret, digits=DIGITS)
    current = time_step(now)
    found = None
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        # Every step is compared (in constant time), whichever matches.
        matches = hmac.compare_digest(hotp.at(step).encode(), code.encode())
        if matches and (last_used_step is None or step > last_used_step) and found is None:
            found = step
    return found


def qr_code_svg(uri: str) -> str:
    """The URI as a QR code, in SVG (no Pillow needed)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")
