"""The triggers' settings, read from environment variables when first needed
(not at import time), with names as in the example we mirror. The secret key
comes from ``AUTHSIGNAL_SECRET``, or from the SSM parameter named by
``AUTHSIGNAL_SECRET_PARAMETER`` (how the deploy template passes it)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .parameter_store import read_secure_parameter

DEFAULT_API_URL = "https://api.authsignal.com/v1"
DEFAULT_ACTION = "cognitoAuth"
#: Cognito gives a trigger about 5 seconds; an Authsignal call must end well before.
DEFAULT_TIMEOUT_SECONDS = 3.0


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class AuthsignalSettings:
    secret: str
    api_url: str
    action: str
    timeout_seconds: float
    #: Where the pre-built UI sends the browser back in redirect (and window) mode.
    redirect_url: str | None = None

    @classmethod
    def from_environment(cls, environ=os.environ) -> "AuthsignalSettings":
        secret = environ.get("AUTHSIGNAL_SECRET", "").strip()
        parameter = environ.get("AUTHSIGNAL_SECRET_PARAMETER", "").strip()
        if not secret and parameter:
            secret = read_secure_parameter(parameter)
        if not secret:
            raise ConfigurationError(
                "AUTHSIGNAL_SECRET is not set, nor AUTHSIGNAL_SECRET_PARAMETER (the SSM parameter holding "
                "the tenant's secret key): one of them is required"
            )
        api_url = environ.get("AUTHSIGNAL_URL", "").strip() or DEFAULT_API_URL
        if not api_url.startswith(("https://", "http://")) or not api_url.rstrip("/").endswith("/v1"):
            raise ConfigurationError(
                f"AUTHSIGNAL_URL must be the API base URL ending in /v1, e.g. {DEFAULT_API_URL}"
            )
        action = environ.get("AUTHSIGNAL_ACTION", "").strip() or DEFAULT_ACTION
        raw_timeout = environ.get("AUTHSIGNAL_TIMEOUT_SECONDS", "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_SECONDS
        except ValueError:
            raise ConfigurationError("AUTHSIGNAL_TIMEOUT_SECONDS must be a number of seconds") from None
        if not 0 < timeout <= 4.5:
            raise ConfigurationError("AUTHSIGNAL_TIMEOUT_SECONDS must be above 0 and at most 4.5")
        redirect_url = environ.get("AUTHSIGNAL_REDIRECT_URL", "").strip() or None
        if redirect_url is not None and not redirect_url.startswith(("https://", "http://")):
            raise ConfigurationError("AUTHSIGNAL_REDIRECT_URL must be the app's callback URL, e.g. https://app.example.com/auth/callback")
        return cls(
            secret=secret, api_url=api_url.rstrip("/"), action=action, timeout_seconds=timeout, redirect_url=redirect_url
        )


PASSWORDLESS = "passwordless"
PASSWORD_MFA = "password_mfa"
SIGN_IN_FLOWS = (PASSWORDLESS, PASSWORD_MFA)


def sign_in_flow(environ=os.environ) -> str:
    """``SIGN_IN_FLOW``: which sequence of steps Define accepts, and whether a
    rules ``ALLOW`` may skip the Authsignal challenge (only after a password)."""
    flow = environ.get("SIGN_IN_FLOW", "").strip() or PASSWORDLESS
    if flow not in SIGN_IN_FLOWS:
        raise ConfigurationError(f"SIGN_IN_FLOW must be one of {', '.join(SIGN_IN_FLOWS)}, not {flow!r}")
    return flow
