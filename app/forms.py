"""Reading what the browser sent: the JSON calls' fields and the forms' inputs,
each refused with a plain message (and the field it is about)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask import request

from .errors import AuthError, bad_input

MAX_PASSWORD_LENGTH = 256
#: What an Authsignal token (a JWT) may look like, at most 4 KiB.
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{1,4096}$")


def json_field(name: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_input("Send a JSON object.")
    return body.get(name)


def is_token(value) -> bool:
    return isinstance(value, str) and bool(_TOKEN.match(value))


def token(value, message: str) -> str:
    """An Authsignal token from the browser, else a 400 saying ``message``."""
    if not is_token(value):
        raise bad_input(message)
    return value


def email(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AuthError("invalid_input", "Enter your email address.", 400, field="email")
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise AuthError("invalid_input", "Enter a valid email address, like name@example.com.", 400,
                        field="email") from None
    return result.normalized.lower()


def password(value, name: str = "password") -> str:
    """A password as typed (never stripped, never logged)."""
    if not isinstance(value, str) or not value:
        raise AuthError("invalid_input", "Enter your password.", 400, field=name)
    if len(value) > MAX_PASSWORD_LENGTH:
        raise AuthError("invalid_input", f"Use at most {MAX_PASSWORD_LENGTH} characters.", 400, field=name)
    return value


def code(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text.isdigit() or not 4 <= len(text) <= 10:
        raise AuthError("invalid_input", "Enter the code from the email.", 400, field="code")
    return text
