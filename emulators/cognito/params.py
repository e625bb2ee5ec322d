"""Reading request parameters the way AWS checks them.

Constraint violations (missing, too short, not in the enum) are
``InvalidParameterException`` worded like AWS's validation layer, e.g.
``1 validation error detected: Value null at 'clientId' failed to satisfy
constraint: Member must not be null``. A value of the wrong JSON type is a
``SerializationException``, as AWS answers a body its deserializer rejects.
Limits and patterns are those of the ``cognito-idp`` service model.
"""

from __future__ import annotations

import re

from .errors import CognitoError, invalid_parameter

CLIENT_ID = re.compile(r"^[\w+]+$")
USER_POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
TOKEN = re.compile(r"^[A-Za-z0-9\-_=.]+$")
SECRET_HASH = re.compile(r"^[\w+=/]+$")
CLIENT_SECRET = re.compile(r"^[\w+]+$")
DEVICE_KEY = re.compile(r"^[\w-]+_[0-9a-f-]+$")
#: Members AWS redacts in its validation messages.
_SENSITIVE = {"ClientId", "Username", "Password", "SecretHash", "Session", "AccessToken", "Token", "ClientSecret"}


def _member(name: str) -> str:
    return name[0].lower() + name[1:]


def _violation(value: object, name: str, constraint: str) -> CognitoError:
    shown = "null" if value is None else "'***'" if name in _SENSITIVE else f"'{value}'"
    return invalid_parameter(
        f"1 validation error detected: Value {shown} at '{_member(name)}' "
        f"failed to satisfy constraint: {constraint}"
    )


def _wrong_type(name: str, expected: str) -> CognitoError:
    return CognitoError("SerializationException", f"{name} must be {expected}.")


def string(
    params: dict,
    name: str,
    *,
    required: bool = True,
    min_len: int = 1,
    max_len: int | None = None,
    pattern: re.Pattern | None = None,
) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise _violation(None, name, "Member must not be null")
        return None
    if not isinstance(value, str):
        raise _wrong_type(name, "a string")
    if len(value) < min_len:
        raise _violation(value, name, f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        raise _violation(value, name, f"Member must have length less than or equal to {max_len}")
    if pattern is not None and not pattern.match(value):
        raise _violation(value, name, f"Member must satisfy regular expression pattern: {pattern.pattern.strip('^$')}")
    return value


def username(params: dict) -> str:
    """``UsernameType``: 1 to 128 letters, marks, symbols, digits or punctuation."""
    value = string(params, "Username", max_len=128)
    if not value.isprintable() or any(ch.isspace() for ch in value):
        raise _violation(
            value, "Username", "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
        )
    return value


def client_id(params: dict) -> str:
    return string(params, "ClientId", max_len=128, pattern=CLIENT_ID)


def user_pool_id(params: dict) -> str:
    return string(params, "UserPoolId", max_len=55, pattern=USER_POOL_ID)


def token(params: dict, name: str) -> str:
    return string(params, name, pattern=TOKEN)


def enum(params: dict, name: str, values: tuple[str, ...], *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None and not required:
        return None
    if value is not None and not isinstance(value, str):
        raise _wrong_type(name, "a string")
    if value not in values:
        if value is None:
            raise _violation(None, name, "Member must not be null")
        raise _violation(value, name, f"Member must satisfy enum value set: [{', '.join(values)}]")
    return value


def integer(params: dict, name: str, low: int, high: int, *, required: bool) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise _violation(None, name, "Member must not be null")
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong_type(name, "an integer")
    if value < low:
        raise _violation(value, name, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise _violation(value, name, f"Member must have value less than or equal to {high}")
    return value


def string_map(params: dict, name: str) -> dict[str, str] | None:
    """A map of strings (``AuthParameters``, ``ClientMetadata``, ...), or None."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _wrong_type(name, "a map of strings to strings")
    return value


def attribute_list(params: dict, name: str) -> list[tuple[str, str]] | None:
    """``AttributeListType``: ``[{"Name": ..., "Value": ...}]`` as pairs."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _wrong_type(name, "a list of {Name, Value}")
    pairs = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise _wrong_type(name, "a list of {Name, Value}")
        attribute_value = item.get("Value", "")
        if not isinstance(attribute_value, str):
            raise _wrong_type(name, "a list of {Name, Value} with string values")
        if not 1 <= len(item["Name"]) <= 32:
            bound = "greater than or equal to 1" if not item["Name"] else "less than or equal to 32"
            raise _violation(item["Name"], f"{name}.member.name", f"Member must have length {bound}")
        if len(attribute_value) > 2048:
            raise _violation(
                "***", f"{name}.member.value",
                "Member must have length less than or equal to 2048",
            )
        pairs.append((item["Name"], attribute_value))
    return pairs


def require(parameters: dict[str, str], key: str) -> str:
    """A key of ``AuthParameters``/``ChallengeResponses`` that must be there."""
    value = parameters.get(key)
    if not value:
        raise invalid_parameter(f"Missing required parameter {key}")
    return value
