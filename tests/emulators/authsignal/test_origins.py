from __future__ import annotations

import pytest

from emulators.authsignal.origins import OriginPattern, is_allowed, origin_of, parse_origin_patterns

LOOPBACK = parse_origin_patterns("http://127.0.0.1:*,http://localhost:*")


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("http://127.0.0.1:5000", True),
        ("http://localhost:8080", True),
        ("http://LOCALHOST:8080", True),
        ("https://127.0.0.1:5000", False),
        ("http://127.0.0.2:5000", False),
        ("http://localhost.evil.example:80", False),
        ("http://127.0.0.1", True),  # port 80 matches "*"
        ("null", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_patterns(origin, allowed):
    assert is_allowed(origin, LOOPBACK) is allowed


@pytest.mark.parametrize(
    "pattern, origin, allowed",
    [
        ("https://app.example.com", "https://app.example.com", True),
        ("https://app.example.com", "https://app.example.com:443", True),
        ("https://app.example.com", "https://app.example.com:8443", False),
        ("https://app.example.com", "http://app.example.com", False),
        ("http://[::1]:*", "http://[::1]:5000", True),
    ],
)
def test_exact_patterns(pattern, origin, allowed):
    assert OriginPattern.parse(pattern).matches(origin) is allowed


@pytest.mark.parametrize("text", ["ftp://x.example", "app.example.com", "http://x.example/path", "http://*.example.com"])
def test_bad_patterns_are_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="expected scheme://host"):
        OriginPattern.parse(text)


def test_patterns_print_as_csp_sources():
    assert [str(p) for p in parse_origin_patterns("https://a.example:443, http://b.example:8080,http://c:*")] == [
        "https://a.example",
        "http://b.example:8080",
        "http://c:*",
    ]


@pytest.mark.parametrize(
    "url, origin",
    [
        ("http://127.0.0.1:5000/done?x=1", "http://127.0.0.1:5000"),
        ("https://user:pw@app.example.com/p", "https://app.example.com"),
        ("javascript:alert(1)", None),
        ("/relative", None),
    ],
)
def test_origin_of(url, origin):
    assert origin_of(url) == origin
