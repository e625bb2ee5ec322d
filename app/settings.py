"""Every setting of the app, read once from the environment (and ``.env``).

With no Cognito or Authsignal setting at all the app runs in local mode: the
wiring in ``local_stack`` starts both emulators and fills the service settings
in. With any of them set, the app runs in real mode and every required one must
be there: a missing or malformed setting stops start-up with one message
naming it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Mapping
from urllib.parse import urlsplit

DEFAULT_AUTHSIGNAL_URL = "https://api.authsignal.com/v1"
DEFAULT_SIGN_IN_RATE_LIMIT = "10 per minute; 100 per hour"
DEFAULT_SIGN_IN_EMAIL_RATE_LIMIT = "5 per 10 minutes"
DEFAULT_NEW_USER_RATE_LIMIT = "30 per minute"
PASSWORDLESS = "passwordless"
PASSWORD_MFA = "password_mfa"
SIGN_IN_FLOWS = (PASSWORDLESS, PASSWORD_MFA)
UI_MODES = ("popup", "window", "redirect")
AUTHSIGNAL_METHODS = ("EMAIL_OTP", "EMAIL_MAGIC_LINK", "SMS", "WHATSAPP", "AUTHENTICATOR_APP", "PASSKEY")
#: Most time a request spends on upstream calls; below gunicorn.conf.py's timeout.
DEFAULT_UPSTREAM_DEADLINE_SECONDS = 20.0
MAX_UPSTREAM_DEADLINE_SECONDS = 25.0
#: The settings whose presence means "real mode".
SERVICE_SETTINGS = ("COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "AUTHSIGNAL_TENANT_ID")
_POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d)_[0-9A-Za-z]+$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_CLIENT_ID = re.compile(r"^[\w+]{1,128}$")


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    mode: str  # "local" or "real"
    secret_key: str
    #: passwordless (email, then the Authsignal challenge) or password_mfa
    #: (email and password over SRP, then the challenge, which rules may skip).
    sign_in_flow: str = PASSWORDLESS
    #: How the page runs the pre-built UI: the Web SDK's popup (an iframe),
    #: window, or a redirect back to /auth/callback.
    authsignal_ui_mode: str = "popup"
    cognito_region: str | None = None
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None
    cognito_client_secret: str | None = None
    cognito_endpoint_url: str | None = None
    authsignal_tenant_id: str | None = None
    authsignal_url: str = DEFAULT_AUTHSIGNAL_URL
    authsignal_ui_origin: str | None = None
    #: Optional on the app's side: with it the page says which method was used.
    authsignal_secret: str | None = field(default=None, repr=False)
    #: Or the SSM SecureString holding it, as the lambdas read it.
    authsignal_secret_parameter: str | None = None
    authsignal_action: str = "cognitoAuth"
    session_redis_url: str | None = None
    session_file_dir: str | None = None
    #: False only when the site is served over plain http (then a warning at start).
    session_cookie_secure: bool = True
    behind_proxy: bool = False
    #: How many proxies in front of the app append to X-Forwarded-For.
    trusted_proxy_hops: int = 1
    #: How often one client address (an IPv6 /64) may start or confirm a sign-in.
    sign_in_rate_limit: str = DEFAULT_SIGN_IN_RATE_LIMIT
    #: How often one email address may start a sign-in.
    sign_in_email_rate_limit: str = DEFAULT_SIGN_IN_EMAIL_RATE_LIMIT
    #: How many new Cognito users sign-ins may create, from all clients together.
    new_user_rate_limit: str = DEFAULT_NEW_USER_RATE_LIMIT
    upstream_deadline_seconds: float = DEFAULT_UPSTREAM_DEADLINE_SECONDS
    #: Local mode only: where the emulators listen, and the dev inbox to link to.
    local_cognito_port: int = 9229
    local_authsignal_port: int = 9230
    local_state_dir: str | None = None
    #: Local mode only: what the local Authsignal offers, and its rules file.
    local_authsignal_methods: tuple[str, ...] = ()
    local_authsignal_rules: str | None = None
    #: Local mode only: where the app is served, for redirect mode's callback.
    app_url: str = "http://localhost:5000"
    dev_inbox_url: str | None = None
    #: Local mode only: the local Cognito's inbox (password-reset codes).
    cognito_inbox_url: str | None = None

    @property
    def is_local(self) -> bool:
        return self.mode == "local"

    @property
    def uses_passwords(self) -> bool:
        return self.sign_in_flow == PASSWORD_MFA

    @property
    def prebuilt_ui_origin(self) -> str:
        """Where the pre-built UI is served from: what the page may frame."""
        if self.authsignal_ui_origin:
            return self.authsignal_ui_origin
        parts = urlsplit(self.authsignal_url)
        if parts.hostname and (parts.hostname == "authsignal.com" or parts.hostname.endswith(".authsignal.com")):
            return "https://*.authsignal.com"
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def authsignal_api_origin(self) -> str:
        """Where the Web SDK's own calls (passkeys) go: the page may connect there."""
        parts = urlsplit(self.authsignal_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def cognito_endpoint(self) -> str:
        """Where Cognito is reached: the configured endpoint, or AWS's for the region."""
        return self.cognito_endpoint_url or f"https://cognito-idp.{self.cognito_region}.amazonaws.com"

    def is_prebuilt_ui_url(self, url: str) -> bool:
        """A URL the page may open in its popup: on :attr:`prebuilt_ui_origin`
        (a ``*.`` subdomain wildcard allowed), with a query the SDK can extend."""
        allowed = urlsplit(self.prebuilt_ui_origin)
        parts = urlsplit(url)
        if parts.scheme != allowed.scheme or not parts.query:
            return False
        if allowed.netloc.startswith("*."):
            return (parts.hostname or "").endswith(allowed.netloc[1:]) and parts.port is None
        return parts.netloc == allowed.netloc

    def with_services(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "Settings":
        env = {key: value.strip() for key, value in environ.items() if isinstance(value, str) and value.strip()}
        real = any(name in env for name in SERVICE_SETTINGS)
        secret_key = env.get("FLASK_SECRET_KEY") or env.get("SECRET_KEY")
        if secret_key is None and real:
            raise ConfigurationError(
                "FLASK_SECRET_KEY is not set: real mode needs a fixed random key of at least 32 characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if secret_key is not None and len(secret_key) < 32:
            raise ConfigurationError("FLASK_SECRET_KEY is too short: use at least 32 random characters")
        common = dict(
            sign_in_flow=_choice(env, "SIGN_IN_FLOW", SIGN_IN_FLOWS, PASSWORDLESS),
            authsignal_ui_mode=_choice(env, "AUTHSIGNAL_UI_MODE", UI_MODES, "popup"),
            authsignal_action=env.get("AUTHSIGNAL_ACTION", "cognitoAuth"),
            # Local mode without a key: local_stack keeps one in the state folder.
            secret_key=secret_key or "",
            session_redis_url=_redis_url(env.get("SESSION_REDIS_URL")),
            session_file_dir=env.get("SESSION_FILE_DIR"),
            behind_proxy=_boolean(env, "BEHIND_PROXY"),
            trusted_proxy_hops=_integer(env, "TRUSTED_PROXY_HOPS", 1, 1, 5),
            sign_in_rate_limit=_rate_limit(env, "SIGN_IN_RATE_LIMIT", DEFAULT_SIGN_IN_RATE_LIMIT),
            sign_in_email_rate_limit=_rate_limit(env, "SIGN_IN_EMAIL_RATE_LIMIT", DEFAULT_SIGN_IN_EMAIL_RATE_LIMIT),
            new_user_rate_limit=_rate_limit(env, "NEW_USER_RATE_LIMIT", DEFAULT_NEW_USER_RATE_LIMIT),
            upstream_deadline_seconds=_seconds(
                env, "UPSTREAM_DEADLINE_SECONDS", DEFAULT_UPSTREAM_DEADLINE_SECONDS, MAX_UPSTREAM_DEADLINE_SECONDS
            ),
        )
        if not real:
            return cls(
                mode="local",
                # The local stack is served over plain http on loopback.
                session_cookie_secure=_boolean(env, "SESSION_COOKIE_SECURE", default="false"),
                local_cognito_port=_port(env, "LOCAL_COGNITO_PORT", 9229),
                local_authsignal_port=_port(env, "LOCAL_AUTHSIGNAL_PORT", 9230),
                local_state_dir=env.get("LOCAL_STATE_DIR"),
                local_authsignal_methods=_methods(env, "LOCAL_AUTHSIGNAL_METHODS"),
                local_authsignal_rules=_file(env, "LOCAL_AUTHSIGNAL_RULES"),
                app_url=_url(env, "APP_URL") or "http://localhost:5000",
                **common,
            )

        missing = [name for name in SERVICE_SETTINGS if name not in env]
        if missing:
            raise ConfigurationError(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: real mode needs "
                f"{', '.join(SERVICE_SETTINGS)} (or none of them, for local mode)"
            )
        pool_id = env["COGNITO_USER_POOL_ID"]
        match = _POOL_ID.match(pool_id)
        if not match:
            raise ConfigurationError(
                f"COGNITO_USER_POOL_ID {pool_id!r} is malformed: expected <region>_<id>, e.g. eu-west-1_AbC123dEf"
            )
        region = env.get("COGNITO_REGION", match["region"])
        if not _REGION.match(region):
            raise ConfigurationError(f"COGNITO_REGION {region!r} is malformed: expected e.g. eu-west-1")
        if not _CLIENT_ID.match(env["COGNITO_CLIENT_ID"]):
            raise ConfigurationError("COGNITO_CLIENT_ID is malformed: expected the app client id (letters and digits)")
        return cls(
            mode="real",
            cognito_region=region,
            cognito_user_pool_id=pool_id,
            cognito_client_id=env["COGNITO_CLIENT_ID"],
            cognito_client_secret=env.get("COGNITO_CLIENT_SECRET"),
            cognito_endpoint_url=_url(env, "COGNITO_ENDPOINT_URL"),
            authsignal_tenant_id=env["AUTHSIGNAL_TENANT_ID"],
            authsignal_url=_authsignal_url(env.get("AUTHSIGNAL_URL", DEFAULT_AUTHSIGNAL_URL)),
            authsignal_ui_origin=_origin(env, "AUTHSIGNAL_UI_ORIGIN"),
            authsignal_secret=env.get("AUTHSIGNAL_SECRET"),
            authsignal_secret_parameter=env.get("AUTHSIGNAL_SECRET_PARAMETER"),
            session_cookie_secure=_boolean(env, "SESSION_COOKIE_SECURE", default="true"),
            **common,
        )


def _authsignal_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.rstrip("/").endswith("/v1"):
        raise ConfigurationError(
            f"AUTHSIGNAL_URL {value!r} is malformed: expected your region's API base URL ending in /v1, "
            f"e.g. {DEFAULT_AUTHSIGNAL_URL} or https://eu.api.authsignal.com/v1"
        )
    return value.rstrip("/")


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"{name} {value!r} is malformed: expected an http(s) URL")
    return value.rstrip("/")


def _origin(env: Mapping[str, str], name: str) -> str | None:
    value = _url(env, name)
    if value is not None and urlsplit(value).path not in ("", "/"):
        raise ConfigurationError(f"{name} {value!r} is malformed: expected an origin such as https://auth.example.com")
    return value


def _redis_url(value: str | None) -> str | None:
    if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(f"SESSION_REDIS_URL {value!r} is malformed: expected redis://host:port/db")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigurationError(f"{name} {value!r} is malformed: expected a port number")
    return int(value)


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, default)
    try:
        parse_many(value)
    except ValueError:
        raise ConfigurationError(f"{name} {value!r} is malformed: expected e.g. '{default}'") from None
    return value


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ConfigurationError(f"{name} {value!r} is malformed: expected a whole number from {low} to {high}")
    return int(value)


def _seconds(env: Mapping[str, str], name: str, default: float, high: float) -> float:
    value = env.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= high:
        raise ConfigurationError(f"{name} {value!r} is malformed: expected seconds, more than 0 and at most {high:g}")
    return seconds


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, default)
    if value not in choices:
        raise ConfigurationError(f"{name} {value!r} is malformed: expected one of {', '.join(choices)}")
    return value


def _methods(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    value = env.get(name)
    if value is None:
        return ()
    methods = tuple(part.strip().upper() for part in value.split(",") if part.strip())
    unknown = [method for method in methods if method not in AUTHSIGNAL_METHODS]
    if unknown or not methods:
        raise ConfigurationError(
            f"{name} {value!r} is malformed: expected a comma-separated list of {', '.join(AUTHSIGNAL_METHODS)}"
        )
    return methods


def _file(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is not None and not os.path.isfile(value):
        raise ConfigurationError(f"{name} {value!r} is not a file")
    return value


def _boolean(env: Mapping[str, str], name: str, default: str = "false") -> bool:
    value = env.get(name, default).lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigurationError(f"{name} {value!r} is malformed: expected true or false")
    return value in ("true", "1", "yes")
