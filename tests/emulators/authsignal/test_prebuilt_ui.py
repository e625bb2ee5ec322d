"""The pre-built UI page and the dev inbox page, over plain HTTP."""

from __future__ import annotations

import html

import pytest
import requests

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import ChallengeDriver

ACTION = "cognitoAuth"


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def test_the_page_is_framable_only_by_the_allowed_origins(authsignal, user_id, email):
    page = requests.get(authsignal.track(user_id, ACTION, {"email": email})["url"], timeout=5)
    csp = csp_directives(page)

    assert page.status_code == 200
    assert csp["frame-ancestors"] == "http://127.0.0.1:* http://localhost:*"
    assert csp["script-src"] == "'self'"
    assert csp["default-src"] == "'none'"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_allowed_origins_come_from_the_configuration(user_id, email):
    config = AuthsignalEmulatorConfig(allowed_origins="https://app.example.com, http://127.0.0.1:5000")
    with AuthsignalEmulator(config) as emulator:
        from authsignal import AuthsignalClient

        track = AuthsignalClient(config.secret, api_url=emulator.base_url).track(user_id, ACTION, {"email": email})
        page = requests.get(track["url"], timeout=5)

    assert csp_directives(page)["frame-ancestors"] == "https://app.example.com http://127.0.0.1:5000"


def test_the_page_shows_the_tracked_email_escaped(authsignal, user_id):
    hostile = "<script>alert(1)</script>@example.com"
    page = requests.get(authsignal.track(user_id, ACTION, {"email": hostile})["url"], timeout=5)

    assert hostile not in page.text
    assert html.escape(hostile) in page.text
    assert "Send code" in page.text


def test_the_page_asks_for_an_email_when_none_was_tracked(authsignal, user_id):
    page = requests.get(authsignal.track(user_id, ACTION, {})["url"], timeout=5)

    assert '"email": null' in page.text
    assert 'label for="email">Email address<' in page.text


@pytest.mark.parametrize(
    "token, text",
    [("", "This sign-in link is not valid."), ("garbage", "This sign-in link is not valid.")],
)
def test_a_bad_link_shows_a_readable_error(authsignal_emulator, token, text):
    page = requests.get(f"{authsignal_emulator.origin}/challenge", params={"token": token}, timeout=5)

    assert page.status_code == 401
    assert text in page.text
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]


def test_an_expired_link_says_so(timed_authsignal, timed_emulator, clock, user_id, email):
    url = timed_authsignal.track(user_id, ACTION, {"email": email})["url"]
    clock.advance(600)

    page = requests.get(url, timeout=5)

    assert page.status_code == 401
    assert "This sign-in link has expired." in page.text


def test_the_dev_inbox_page_lists_codes_escaped(authsignal, authsignal_emulator, user_id):
    hostile = "<b>x</b>@example.com"
    ChallengeDriver(authsignal_emulator, authsignal.track(user_id, ACTION, {"email": hostile})["token"]).send_code()
    code = requests.get(f"{authsignal_emulator.origin}/_dev/inbox.json", params={"to": hostile}, timeout=5).json()[0]["code"]

    page = requests.get(f"{authsignal_emulator.origin}/_dev/inbox", params={"to": hostile}, timeout=5)

    assert page.status_code == 200
    assert code in page.text
    assert hostile not in page.text and html.escape(hostile) in page.text


def test_the_ui_script_posts_only_to_the_embedding_origin():
    """Each postMessage names the embedding page's origin, never "*"."""
    import re
    from pathlib import Path

    import emulators.authsignal

    script = (Path(emulators.authsignal.__file__).parent / "static" / "authsignal-ui.js").read_text()
    calls = re.findall(r"\.postMessage\(([^;]*)\);", script)

    assert calls == ["message, embedder.origin"]
    assert re.search(r"if \(embedder\.target && embedderAllowed\) embedder\.target\.postMessage", script)
