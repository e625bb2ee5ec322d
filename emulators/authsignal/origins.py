"""Which app origins may embed the pre-built UI, receive its result token or
be redirected to: exact origins or a ``*`` port (``http://127.0.0.1:*``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_PATTERN = re.compile(
    r"^(?P<scheme>https?)://(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}|\*))?$"
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@dataclass(frozen=True)
class OriginPattern:
    scheme: str
    host: str
    port: str  # digits, or "*" for any port

    @classmethod
    def parse(cls, text: str) -> "OriginPattern":
        match = _PATTERN.match(text.strip().rstrip("/"))
        if not match:
            raise ValueError(
                f"not an origin or origin pattern: {text!r} "
                "(expected scheme://host[:port|:*], e.g. http://127.0.0.1:*)"
            )
        scheme = match["scheme"].lower()
        return cls(scheme, match["host"].lower(), match["port"] or _DEFAULT_PORTS[scheme])

    def matches(self, origin: str) -> bool:
        try:
            other = OriginPattern.parse(origin)
        except ValueError:
            return False
        if other.port == "*":
            return False
        return (
            other.scheme == self.scheme
            and other.host == self.host
            and (self.port == "*" or other.port == self.port)
        )

    def __str__(self) -> str:
        if self.port == "*":
            return f"{self.scheme}://{self.host}:*"
        if _DEFAULT_PORTS[self.scheme] == self.port:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_origin_patterns(text: str) -> list[OriginPattern]:
    """Parse a comma-separated list such as ``--allowed-origins`` takes."""
    return [OriginPattern.parse(part) for part in text.split(",") if part.strip()]


def origin_of(url: str) -> str | None:
    """The origin of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def is_allowed(origin: str | None, patterns: list[OriginPattern]) -> bool:
    return bool(origin) and any(p.matches(origin) for p in patterns)
