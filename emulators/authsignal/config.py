"""Settings of the local Authsignal: tenant, secret, verification methods,
rules, limits, allowed origins and hosts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from ..host_check import parse_hosts
from .origins import OriginPattern, parse_origin_patterns
from .rules import RuleSet, load_rules

#: Clearly local-only defaults, printed at start. Never use them anywhere real.
DEFAULT_TENANT_ID = "local-tenant-00000000"
DEFAULT_SECRET = "local-only-authsignal-secret-do-not-use-in-production"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9230
DEFAULT_ALLOWED_ORIGINS = "http://127.0.0.1:*,http://localhost:*"

EMAIL_OTP = "EMAIL_OTP"
EMAIL_MAGIC_LINK = "EMAIL_MAGIC_LINK"
SMS = "SMS"
WHATSAPP = "WHATSAPP"
AUTHENTICATOR_APP = "AUTHENTICATOR_APP"
PASSKEY = "PASSKEY"
DEFAULT_PASSKEY_RP_ID = "localhost"
#: The methods a tenant can offer, as the API spells them.
TENANT_METHODS = ("EMAIL_OTP", "EMAIL_MAGIC_LINK", "SMS", "WHATSAPP", "AUTHENTICATOR_APP", "PASSKEY")
#: Those the pre-built UI of the local Authsignal implements.
EMULATED_METHODS = (EMAIL_OTP, EMAIL_MAGIC_LINK, SMS, WHATSAPP, AUTHENTICATOR_APP, PASSKEY)
DEFAULT_METHODS = (EMAIL_OTP, AUTHENTICATOR_APP)


class ConfigError(ValueError):
    """A setting is malformed. ``option`` is the CLI option that sets it."""

    def __init__(self, setting: str, option: str, message: str):
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.option = option
        self.message = message


def parse_methods(value: str | Iterable[str]) -> tuple[str, ...]:
    """The tenant's methods, in its order of preference, from a comma-separated
    string or a sequence; ValueError names an unknown or not-emulated one."""
    names = value.split(",") if isinstance(value, str) else list(value)
    methods = tuple(dict.fromkeys(str(name).strip() for name in names if str(name).strip()))
    if not methods:
        raise ValueError(f"at least one verification method is required ({', '.join(EMULATED_METHODS)})")
    unknown = [m for m in methods if m not in TENANT_METHODS]
    if unknown:
        raise ValueError(
            f"unknown verification method {unknown[0]!r}: names as the API spells them are "
            f"{', '.join(TENANT_METHODS)}"
        )
    missing = [m for m in methods if m not in EMULATED_METHODS]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise ValueError(
            f"{', '.join(missing)} {verb} not emulated yet by the local Authsignal "
            f"(it emulates {', '.join(EMULATED_METHODS[:-1])} and {EMULATED_METHODS[-1]})"
        )
    return methods


@dataclass
class AuthsignalEmulatorConfig:
    tenant_id: str = DEFAULT_TENANT_ID
    secret: str = DEFAULT_SECRET
    allowed_origins: list[OriginPattern] = field(
        default_factory=lambda: parse_origin_patterns(DEFAULT_ALLOWED_ORIGINS)
    )
    #: Host names (no port) the emulator answers besides loopback ones and its
    #: bound address: any other ``Host`` header is refused (DNS rebinding). A
    #: comma-separated string is accepted too.
    allowed_hosts: Iterable[str] = ()
    #: SQLite file keeping users, actions and the inbox; None keeps them in memory.
    state_path: str | None = None
    #: Refuse attribute names the real API would ignore (snake_case
    #: ``redirect_url``, typos) instead of logging a warning that names the
    #: camelCase one probably meant.
    strict: bool = False
    #: The verification methods the tenant offers, in its order of preference
    #: (a comma-separated string is accepted too). Passkeys work through the
    #: client API (Web SDK) whether or not PASSKEY is listed; the pre-built UI
    #: offers them (to users who have one) only when it is.
    methods: tuple[str, ...] = DEFAULT_METHODS
    #: A JSON file of rules per action code (see rules.py); None: every
    #: action is CHALLENGE_REQUIRED.
    rules_path: str | None = None
    #: The issuer an authenticator app shows next to the account.
    totp_issuer: str = "Local Authsignal"
    #: The WebAuthn relying-party id passkeys are bound to: a registrable
    #: host name (browsers refuse IP addresses), the app's host or a parent.
    passkey_rp_id: str = DEFAULT_PASSKEY_RP_ID
    #: The relying-party name authenticators show.
    passkey_rp_name: str = "Local Authsignal"
    #: Origins (patterns, a port may be *) whose pages may create and use
    #: passkeys; None: the allowed origins on the rp id's host or its subdomains.
    passkey_origins: list[OriginPattern] | None = None
    #: How long a passkey challenge (registration or sign-in) may be answered.
    passkey_challenge_ttl_seconds: int = 300
    token_ttl_seconds: int = 600
    code_ttl_seconds: int = 600
    code_length: int = 6
    max_sends_per_window: int = 12
    send_window_seconds: int = 600
    max_wrong_codes: int = 5
    #: The rules read from ``rules_path`` (empty without one).
    rules: RuleSet = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.tenant_id or not isinstance(self.tenant_id, str):
            raise ValueError("tenant_id must be a non-empty string")
        if not self.secret or not isinstance(self.secret, str):
            raise ValueError("secret must be a non-empty string")
        if isinstance(self.allowed_origins, str):
            self.allowed_origins = parse_origin_patterns(self.allowed_origins)
        if not self.allowed_origins:
            raise ValueError("at least one allowed origin is required")
        rp_id = self.passkey_rp_id
        if (
            not isinstance(rp_id, str)
            or not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", rp_id)
            or re.fullmatch(r"[0-9.]+", rp_id)
        ):
            raise ConfigError(
                "passkey_rp_id", "--passkey-rp-id",
                f"{rp_id!r} is not a host name (lower case, no port, no scheme; WebAuthn refuses IP addresses)",
            )
        if isinstance(self.passkey_origins, str):
            try:
                self.passkey_origins = parse_origin_patterns(self.passkey_origins)
            except ValueError as exc:
                raise ConfigError("passkey_origins", "--passkey-origins", str(exc)) from None
        if self.passkey_origins is None:
            self.passkey_origins = [
                p for p in self.allowed_origins if p.host == rp_id or p.host.endswith("." + rp_id)
            ]
        else:
            for pattern in self.passkey_origins:
                if pattern.host != rp_id and not pattern.host.endswith("." + rp_id):
                    raise ConfigError(
                        "passkey_origins", "--passkey-origins",
                        f"{pattern} is not on the relying party id {rp_id} or one of its subdomains",
                    )
        try:
            self.allowed_hosts = parse_hosts(self.allowed_hosts)
        except ValueError as exc:
            raise ValueError(f"allowed_hosts: {exc}") from None
        try:
            self.methods = parse_methods(self.methods)
        except ValueError as exc:
            raise ConfigError("methods", "--methods", str(exc)) from None
        try:
            self.rules = load_rules(self.rules_path) if self.rules_path else RuleSet()
        except ValueError as exc:
            raise ConfigError("rules_path", "--rules", str(exc)) from None
