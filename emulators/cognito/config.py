"""Settings of the local Cognito: the one user pool, its app client, the
triggers, and the time limits (with overrides so tests need not wait)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Union
from urllib.parse import urlsplit

from ..host_check import normalize_host, parse_hosts

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9229
DEFAULT_REGION = "us-east-1"

#: The trigger names of a pool's ``LambdaConfig`` that the local Cognito runs.
TRIGGER_NAMES = (
    "PreSignUp",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
)

#: By default the pool runs the project's handlers, imported on first use so
#: the emulator starts even before (or without) ``lambdas/`` being importable.
DEFAULT_TRIGGERS: dict[str, str] = {
    "PreSignUp": "lambdas.pre_sign_up:handler",
    "DefineAuthChallenge": "lambdas.define_auth_challenge:handler",
    "CreateAuthChallenge": "lambdas.create_auth_challenge:handler",
    "VerifyAuthChallengeResponse": "lambdas.verify_auth_challenge_response:handler",
}

#: The ``ExplicitAuthFlows`` values AWS accepts on an app client.
EXPLICIT_AUTH_FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
)
DEFAULT_EXPLICIT_AUTH_FLOWS = ("ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
#: ``RefreshTokenRotation.Feature`` values, and the range of its ``RetryGracePeriodSeconds``.
REFRESH_TOKEN_ROTATION = ("ENABLED", "DISABLED")
MAX_RETRY_GRACE_PERIOD_SECONDS = 60

#: Cognito locks a user's password out after this many failures in a row.
PASSWORD_ATTEMPTS_BEFORE_LOCKOUT = 5
#: The local Cognito's lockout lasts this long by default (AWS's grows from
#: 1 second, doubling with each further failure, to about 15 minutes).
DEFAULT_PASSWORD_LOCKOUT_SECONDS = 60.0
MAX_PASSWORD_LOCKOUT_SECONDS = 900.0

#: A trigger is a callable ``(event, context) -> event``, or ``"module:attr"``
#: naming one (imported lazily, on the first invocation).
Trigger = Union[Callable[[dict, object], object], str]

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
#: ``ClientSecretType`` of the service model: what ``RevokeToken`` accepts.
_CLIENT_SECRET = re.compile(r"^[A-Za-z0-9_+]{24,64}$")


@dataclass
class CognitoEmulatorConfig:
    region: str = DEFAULT_REGION
    pool_name: str = "local-user-pool"
    client_name: str = "local-app-client"
    #: A fixed client secret; None with ``with_client_secret`` generates one
    #: (kept across restarts); None without it gives a public client.
    client_secret: str | None = None
    with_client_secret: bool = False
    explicit_auth_flows: tuple[str, ...] = DEFAULT_EXPLICIT_AUTH_FLOWS
    #: ``ENABLED`` (AWS's recommendation) or ``LEGACY``.
    prevent_user_existence_errors: str = "ENABLED"
    #: ``AuthSessionValidity`` of the app client, in minutes (3 to 15).
    auth_session_validity_minutes: int = 3
    #: Tests only: a session lifetime in seconds that replaces the minutes.
    auth_session_validity_seconds: float | None = None
    #: Lifetime of ID and access tokens (``ExpiresIn``); AWS's default is one hour.
    token_validity_seconds: int = 3600
    refresh_token_validity_seconds: int = 30 * 24 * 3600
    #: ``RefreshTokenRotation.Feature`` of the app client. ``ENABLED``:
    #: ``GetTokensFromRefreshToken`` answers a new refresh token and retires the
    #: one it was given, and ``REFRESH_TOKEN_AUTH`` is refused.
    refresh_token_rotation: str = "DISABLED"
    #: ``RefreshTokenRotation.RetryGracePeriodSeconds`` (0 to 60): how long a
    #: rotated refresh token keeps working, for client retries.
    refresh_token_retry_grace_period_seconds: int = 0
    #: Triggers by name (see :data:`TRIGGER_NAMES`); a name left out is a
    #: trigger the pool does not have. None means :data:`DEFAULT_TRIGGERS`.
    triggers: Mapping[str, Trigger] | None = None
    #: How long a user's password is refused ("Password attempts exceeded")
    #: after 5 failed attempts in a row, and after each further failure. A
    #: fixed period: AWS's starts at 1 second and doubles up to about 15 minutes.
    password_lockout_seconds: float = DEFAULT_PASSWORD_LOCKOUT_SECONDS
    #: Cognito gives a trigger 5 seconds; tests shorten it.
    trigger_timeout_seconds: float = 5.0
    #: SQLite file keeping the pool, client, keys, users and tokens; None keeps
    #: them in memory.
    state_path: str | None = None
    #: The URL clients use to reach the emulator, if not the address it binds
    #: (e.g. behind a container port mapping); it prefixes the token issuer.
    public_url: str | None = None
    #: Host names (no port) the emulator answers besides loopback ones, its
    #: bound address and ``public_url``'s host: any other ``Host`` header is
    #: refused (DNS rebinding). A comma-separated string is accepted too.
    allowed_hosts: Iterable[str] = ()
    #: Filled by ``__post_init__``: the effective triggers.
    trigger_map: dict[str, Trigger] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not _REGION.match(self.region):
            raise ValueError(f"region {self.region!r} does not look like an AWS region")
        if self.prevent_user_existence_errors not in ("ENABLED", "LEGACY"):
            raise ValueError("prevent_user_existence_errors must be ENABLED or LEGACY")
        if not 3 <= self.auth_session_validity_minutes <= 15:
            raise ValueError("auth_session_validity_minutes must be 3 to 15")
        if self.auth_session_validity_seconds is not None and self.auth_session_validity_seconds <= 0:
            raise ValueError("auth_session_validity_seconds must be positive")
        self.explicit_auth_flows = tuple(self.explicit_auth_flows)
        unknown = set(self.explicit_auth_flows) - set(EXPLICIT_AUTH_FLOWS)
        if unknown:
            raise ValueError(f"unknown explicit auth flows: {sorted(unknown)}")
        if self.client_secret is not None and not _CLIENT_SECRET.match(self.client_secret):
            raise ValueError("client_secret must be 24 to 64 characters of [A-Za-z0-9_+]")
        if self.refresh_token_rotation not in REFRESH_TOKEN_ROTATION:
            raise ValueError("refresh_token_rotation must be ENABLED or DISABLED")
        grace = self.refresh_token_retry_grace_period_seconds
        if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_RETRY_GRACE_PERIOD_SECONDS:
            raise ValueError(
                f"refresh_token_retry_grace_period_seconds must be a whole number of seconds, 0 to "
                f"{MAX_RETRY_GRACE_PERIOD_SECONDS}"
            )
        if self.token_validity_seconds <= 0 or self.refresh_token_validity_seconds <= 0:
            raise ValueError("token validities must be positive")
        if not 0 < self.password_lockout_seconds <= MAX_PASSWORD_LOCKOUT_SECONDS:
            raise ValueError(f"password_lockout_seconds must be above 0 and at most {MAX_PASSWORD_LOCKOUT_SECONDS:g}")
        if self.trigger_timeout_seconds <= 0:
            raise ValueError("trigger_timeout_seconds must be positive")
        triggers = dict(DEFAULT_TRIGGERS if self.triggers is None else self.triggers)
        unknown = set(triggers) - set(TRIGGER_NAMES)
        if unknown:
            raise ValueError(f"unknown trigger names: {sorted(unknown)}; known: {list(TRIGGER_NAMES)}")
        self.trigger_map = triggers
        if self.public_url is not None:
            self.public_url = self.public_url.rstrip("/")
            try:
                parts = urlsplit(self.public_url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise ValueError
                normalize_host(parts.hostname)
            except ValueError:
                raise ValueError(f"public_url {self.public_url!r} is not an absolute http(s) URL") from None
        try:
            self.allowed_hosts = parse_hosts(self.allowed_hosts)
        except ValueError as exc:
            raise ValueError(f"allowed_hosts: {exc}") from None

    @property
    def public_host(self) -> str | None:
        """The host of ``public_url``, which the emulator answers to."""
        return normalize_host(urlsplit(self.public_url).hostname) if self.public_url else None

    @property
    def rotates_refresh_tokens(self) -> bool:
        return self.refresh_token_rotation == "ENABLED"

    @property
    def session_validity_seconds(self) -> float:
        if self.auth_session_validity_seconds is not None:
            return self.auth_session_validity_seconds
        return self.auth_session_validity_minutes * 60
