"""The shared Host check: which headers name a loopback host."""

from __future__ import annotations

import pytest

from emulators.host_check import host_name, is_loopback, parse_hosts


@pytest.mark.parametrize(
    "header, name",
    [
        ("127.0.0.1:9229", "127.0.0.1"),
        ("LocalHost", "localhost"),
        ("[::1]:80", "[::1]"),
        ("[0:0::1]", "[::1]"),
        ("dev_box.lan:1", "dev_box.lan"),
        ("127.0.0.1:", None),
        ("127.0.0.1:x", None),
        ("::1", None),
        ("[::1%25eth0]", None),
        ("[::1]x", None),
        ("localhost.", None),
        ("a b", None),
        ("", None),
        ("a" * 300, None),
    ],
)
def test_host_name(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize(
    "name, loopback",
    [
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("localhost", True),
        ("[::1]", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("[::]", False),
        ("[::ffff:127.0.0.1]", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example", False),
    ],
)
def test_is_loopback(name, loopback):
    assert is_loopback(name) is loopback


def test_parse_hosts():
    assert parse_hosts(" A.lan, ,::1,[FD00::5] ") == ("a.lan", "[::1]", "[fd00::5]")
    assert parse_hosts(["b.lan"]) == ("b.lan",)
    with pytest.raises(ValueError, match="without a port"):
        parse_hosts("b.lan:80")
