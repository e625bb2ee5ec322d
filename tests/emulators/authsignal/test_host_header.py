"""DNS rebinding: the local Authsignal answers only loopback hosts, its bound
address and the hosts it is told to allow; a rebinding page can read neither
the dev inbox's codes nor the API."""

from __future__ import annotations

import pytest
import requests

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig, create_app
from emulators.authsignal.__main__ import parse_args
from tests.support.chromium import CHROMIUM_ARGS, find_chromium

from ..host_headers import LOOPBACK_AND_LOOK_ALIKE, REBINDING_HOSTS, port_of
from .helpers import ChallengeDriver, latest_code

ACTION = "cognitoAuth"


@pytest.fixture
def code_in_inbox(authsignal, authsignal_emulator, user_id, email) -> str:
    """A code in the dev inbox: what a rebinding page would be after."""
    track = authsignal.track(user_id, ACTION, {"email": email})
    assert ChallengeDriver(authsignal_emulator, track["token"]).send_code().status_code == 200
    return latest_code(authsignal_emulator, email)


def get(emulator, host: str, path: str, **kwargs) -> requests.Response:
    return requests.get(f"{emulator.origin}{path}", headers={"Host": host}, timeout=5, **kwargs)


def assert_refused_as_text(response: requests.Response, host: str) -> None:
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/plain")
    assert f"refused the Host header '{host}'" in response.text
    assert "--allowed-hosts" in response.text


@pytest.mark.parametrize("host", REBINDING_HOSTS)
@pytest.mark.parametrize("path", ["/_dev/inbox", "/_dev/inbox.json"])
def test_the_dev_inbox_refuses_another_host(authsignal_emulator, code_in_inbox, host, path):
    response = get(authsignal_emulator, host, path)

    assert_refused_as_text(response, host)
    assert code_in_inbox not in response.text


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_the_prebuilt_ui_refuses_another_host(authsignal, authsignal_emulator, user_id, email, host):
    track = authsignal.track(user_id, ACTION, {"email": email})
    path = track["url"].removeprefix(authsignal_emulator.origin)

    assert_refused_as_text(get(authsignal_emulator, host, path), host)
    assert_refused_as_text(get(authsignal_emulator, host, "/static/authsignal-ui.js"), host)


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_the_api_refuses_another_host_in_its_error_shape(authsignal_emulator, user_id, host):
    secret = (authsignal_emulator.config.secret, "")
    server = requests.post(
        f"{authsignal_emulator.base_url}/users/{user_id}/actions/{ACTION}",
        headers={"Host": host}, auth=secret, json={}, timeout=5,
    )
    client = requests.post(
        f"{authsignal_emulator.base_url}/client/challenge/email-otp",
        headers={"Host": host, "Authorization": "Bearer x"}, timeout=5,
    )

    for response in (server, client):
        assert response.status_code == 403
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert (body["error"], body["errorCode"]) == ("forbidden", "forbidden")
        assert f"refused the Host header '{host}'" in body["errorDescription"]
        assert "--allowed-hosts" in body["errorDescription"]


@pytest.mark.parametrize("loopback, look_alike", LOOPBACK_AND_LOOK_ALIKE)
def test_loopback_hosts_are_answered_and_look_alikes_refused(
    authsignal_emulator, code_in_inbox, email, loopback, look_alike
):
    port = port_of(authsignal_emulator)

    answered = get(authsignal_emulator, loopback.format(port=port), "/_dev/inbox.json", params={"to": email})
    refused = get(authsignal_emulator, look_alike.format(port=port), "/_dev/inbox.json", params={"to": email})

    assert answered.status_code == 200
    assert answered.json()[0]["code"] == code_in_inbox
    assert_refused_as_text(refused, look_alike.format(port=port))


def test_allowed_hosts_are_answered():
    config = AuthsignalEmulatorConfig(allowed_hosts="authsignal.local.test,192.168.1.20")
    with AuthsignalEmulator(config) as emulator:
        for host in ("authsignal.local.test:9230", "Authsignal.Local.Test", "192.168.1.20:9230"):
            assert get(emulator, host, "/_dev/inbox.json").status_code == 200, host
        assert_refused_as_text(get(emulator, "evil.example", "/_dev/inbox.json"), "evil.example")


def test_the_bound_address_is_answered(authsignal_emulator):
    # Bound to 0.0.0.0, the emulator hands out http://0.0.0.0:PORT URLs.
    client = create_app(authsignal_emulator.service, bound_host="0.0.0.0").test_client()

    assert client.get("/_dev/inbox.json", headers={"Host": "0.0.0.0:9230"}).status_code == 200
    assert client.get("/_dev/inbox.json", headers={"Host": "evil.example"}).status_code == 403


def test_a_malformed_allowed_host_is_refused(capsys):
    with pytest.raises(ValueError, match="^allowed_hosts: not a host name or address: 'http://x.lan'"):
        AuthsignalEmulatorConfig(allowed_hosts=["http://x.lan"])
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--allowed-hosts", "x.lan:9230"])

    assert exit_info.value.code == 2
    assert "--allowed-hosts: not a host name or address: 'x.lan:9230'" in capsys.readouterr().err


def test_the_cli_takes_allowed_hosts():
    assert parse_args(["--allowed-hosts", "Dev-Box.lan, 192.168.1.20"]).allowed_hosts == ("dev-box.lan", "192.168.1.20")
    assert parse_args([]).allowed_hosts == ()


@pytest.mark.browser
def test_a_rebinding_page_cannot_read_the_inbox(browser, authsignal_emulator, code_in_inbox):
    """A real browser resolving an attacker's name to 127.0.0.1: the page is
    same-origin with what it fetches, so only the Host check stands in the way."""
    port = port_of(authsignal_emulator)
    rules = "--host-resolver-rules=MAP evil.example 127.0.0.1"
    # Another Chromium of the session's Playwright: resolver rules are per browser.
    rebinding = browser.browser_type.launch(
        executable_path=find_chromium(), headless=True, args=[*CHROMIUM_ARGS, rules]
    )
    try:
        page = rebinding.new_page()
        page.goto(f"http://evil.example:{port}/_dev/inbox")
        status, text = page.evaluate("() => fetch('/_dev/inbox.json').then(async r => [r.status, await r.text()])")
        page.goto(f"http://127.0.0.1:{port}/_dev/inbox")
        own_page = page.content()
    finally:
        rebinding.close()

    assert status == 403
    assert code_in_inbox not in text
    assert code_in_inbox in own_page
