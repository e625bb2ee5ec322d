"""Host headers for the DNS-rebinding tests of both emulators: what a
rebinding page sends, and loopback forms paired with look-alikes."""

from __future__ import annotations

from urllib.parse import urlsplit

#: What a page on an attacker's name, resolved to 127.0.0.1, sends.
REBINDING_HOSTS = ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example"]

#: A loopback Host (``{port}`` filled in) that must be answered, and a
#: look-alike of it that must not.
LOOPBACK_AND_LOOK_ALIKE = [
    ("127.0.0.1:{port}", "127.0.0.1.evil.example:{port}"),
    ("localhost:{port}", "localhost.evil.example:{port}"),
    ("[::1]:{port}", "[::1].evil.example:{port}"),
    ("127.0.0.1", "127.0.0.1.evil.example"),
    ("localhost", "evil.example"),
    ("LOCALHOST:{port}", "localhost.:{port}"),
    ("127.255.0.9:{port}", "128.0.0.1:{port}"),
    ("[0:0:0:0:0:0:0:1]", "[::2]"),
]


def port_of(emulator) -> int:
    return urlsplit(emulator.origin).port
