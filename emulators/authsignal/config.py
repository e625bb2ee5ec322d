"""Settings of the local Authsignal: tenant, secret, limits, allowed origins
and hosts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..host_check import parse_hosts
from .origins import OriginPattern, parse_origin_patterns

#: Clearly local-only defaults, printed at start. Never use them anywhere real.
DEFAULT_TENANT_ID = "local-tenant-00000000"
DEFAULT_SECRET = "local-only-authsignal-secret-do-not-use-in-production"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9230
DEFAULT_ALLOWED_ORIGINS = "http://127.0.0.1:*,http://localhost:*"


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
    token_ttl_seconds: int = 600
    code_ttl_seconds: int = 600
    code_length: int = 6
    max_sends_per_window: int = 12
    send_window_seconds: int = 600
    max_wrong_codes: int = 5

    def __post_init__(self) -> None:
        if not self.tenant_id or not isinstance(self.tenant_id, str):
            raise ValueError("tenant_id must be a non-empty string")
        if not self.secret or not isinstance(self.secret, str):
            raise ValueError("secret must be a non-empty string")
        if isinstance(self.allowed_origins, str):
            self.allowed_origins = parse_origin_patterns(self.allowed_origins)
        if not self.allowed_origins:
            raise ValueError("at least one allowed origin is required")
        try:
            self.allowed_hosts = parse_hosts(self.allowed_hosts)
        except ValueError as exc:
            raise ValueError(f"allowed_hosts: {exc}") from None
