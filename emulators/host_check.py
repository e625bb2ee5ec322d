"""Refuse requests whose ``Host`` header names someone else: the defence
against DNS rebinding.

A web page on ``evil.example`` can point its own name at 127.0.0.1 and then
read, as same-origin, whatever a local emulator answers (codes in the dev
inbox, tokens). The browser still sends ``Host: evil.example``, so an
emulator that answers only loopback names (127.0.0.0/8, ``localhost``,
``[::1]``, any port), its own bound address and the hosts it was told about
cannot be read that way. A request without a ``Host`` header is let through:
browsers always send one.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterable

from flask import Flask, request
from werkzeug.exceptions import Forbidden

_IPV4_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_IPV6_LOOPBACK = ipaddress.ip_address("::1")
#: Host names as DNS and container networks spell them (Docker allows "_").
_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_PORT = re.compile(r"^\d{1,5}$")


class HostNotAllowed(Forbidden):
    """A 403 with a plain-text body, for pages; each app's error handler
    renders it in its API's error shape where it has one."""

    def get_body(self, environ=None, scope=None) -> str:
        return f"{self.description}\n"

    def get_headers(self, environ=None, scope=None) -> list[tuple[str, str]]:
        return [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]


def host_name(header: str) -> str | None:
    """The host of a ``Host`` header, lower-cased, IPv6 in brackets, without
    the port; None if the header is not ``host`` or ``host:port``."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, port = header.partition("]")
        name += bracket
        if not bracket or (port and not (port.startswith(":") and _PORT.match(port[1:]))):
            return None
    else:
        name, colon, port = header.partition(":")
        if colon and not _PORT.match(port):
            return None
    try:
        return normalize_host(name)
    except ValueError:
        return None


def normalize_host(text: str) -> str:
    """A configured host (a name, an IPv4 address, an IPv6 address with or
    without brackets) as :func:`host_name` gives it; ValueError otherwise."""
    name = text.strip().lower()
    bare = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    if ":" in bare:
        try:
            if "%" in bare:  # a zone id ("%eth0") names an interface, not a host
                raise ValueError
            return f"[{ipaddress.IPv6Address(bare)}]"
        except ValueError:
            raise ValueError(f"not a host name or address: {text!r} (give hosts without a port)") from None
    if bare != name or len(name) > 253 or not _NAME.match(name):
        raise ValueError(f"not a host name or address: {text!r} (e.g. cognito.local.test or 192.168.1.20)")
    return name


def parse_hosts(hosts: str | Iterable[str]) -> tuple[str, ...]:
    """Normalize ``--allowed-hosts`` (comma-separated) or a config's list."""
    parts = hosts.split(",") if isinstance(hosts, str) else hosts
    return tuple(normalize_host(part) for part in parts if part.strip())


def is_loopback(name: str) -> bool:
    """Whether a normalized host is a loopback one."""
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return address in _IPV4_LOOPBACK if address.version == 4 else address == _IPV6_LOOPBACK


def refuse_other_hosts(
    app: Flask, allowed: Iterable[str], service_name: str, option: str, bound_host: str | None = None
) -> None:
    """Make ``app`` answer 403 (:class:`HostNotAllowed`) to any request whose
    ``Host`` is neither loopback, nor in ``allowed`` (validated hosts), nor
    ``bound_host`` (the interface listened on, e.g. 0.0.0.0: the URLs an
    emulator hands out name it), before anything else runs."""
    extra = {normalize_host(host) for host in allowed if host}
    if bound_host:
        try:
            extra.add(normalize_host(bound_host))
        except ValueError:
            pass  # not a host name: binding to it fails, with its own error

    @app.before_request
    def check_host() -> None:
        header = request.environ.get("HTTP_HOST")
        if header is None:
            return
        name = host_name(header)
        if name is not None and (is_loopback(name) or name in extra):
            return
        shown = header if len(header) <= 100 else header[:100] + "..."
        raise HostNotAllowed(
            f"{service_name} refused the Host header {shown!r}: it answers loopback hosts only, "
            f"plus those given with {option} (DNS rebinding protection)."
        )
