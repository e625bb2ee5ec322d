"""Checks on the values the server API receives: user ids, action codes,
emails, states. Each failure is a 400 saying what was expected."""

from __future__ import annotations

import re

import phonenumbers

from .errors import invalid_request

#: The real API's documented pattern for action codes.
ACTION_CODE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

ACTION_STATES = (
    "ALLOW", "BLOCK", "CHALLENGE_REQUIRED", "CHALLENGE_SUCCEEDED", "CHALLENGE_FAILED",
    "REVIEW_REQUIRED", "REVIEW_SUCCEEDED", "REVIEW_FAILED",
)


def is_email(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL.match(value))


def check_user_id(user_id: str) -> None:
    if not user_id or len(user_id) > 255:
        raise invalid_request("userId must be 1 to 255 characters.")


def check_action_code(action: str) -> None:
    if not ACTION_CODE.match(action):
        raise invalid_request(
            f"Action code {action[:80]!r} is invalid: action codes are 1 to 64 letters, "
            "digits, '_' or '-' (^[a-zA-Z0-9_-]{1,64}$)."
        )


def check_object(body: object) -> dict:
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    return body


def optional_string(body: dict, name: str, max_length: int = 255) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= max_length):
        raise invalid_request(f"{name} must be a string of 1 to {max_length} characters.")
    return value


def optional_bool(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid_request(f"{name} must be true or false.")
    return value


def optional_email(body: dict, name: str = "email") -> str | None:
    value = body.get(name)
    if value is not None and not is_email(value):
        raise invalid_request(f"{name} is not a valid email address.")
    return value


PHONE_NUMBER_HELP = (
    "Enter a valid phone number in international format: + and the country code, "
    "then the number (e.g. +64 21 123 4567)."
)


def e164(value: object) -> str | None:
    """``value`` as an E.164 phone number (``+64211234567``), or None when it
    is not a valid number in international format (``phonenumbers`` decides)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    try:
        number = phonenumbers.parse(value.strip(), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
