"""The app behind a real nginx that terminates TLS, as the README's production
section describes: the client's address, scheme and host come from the
proxy, and only as many hops as configured are believed."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.conftest import skip_or_fail
from tests.support.nginx import Nginx


@pytest.fixture
def behind_nginx(gunicorn, real_environ, tmp_path):
    if Nginx.executable is None:
        skip_or_fail("no nginx found (apt-get install nginx)")
    environ = {
        **real_environ, "BEHIND_PROXY": "true", "TRUSTED_PROXY_HOPS": "1",
        "SESSION_COOKIE_SECURE": "true", "SIGN_IN_RATE_LIMIT": "2 per minute",
    }
    server = gunicorn(environ).wait_until_serving()
    proxy = Nginx(tmp_path, server.port)
    yield proxy, server
    proxy.stop()


def sign_in_from(base_url: str, forwarded_for: str) -> int:
    """A sign-in whose request claims to come from ``forwarded_for``. The
    cookie and the https Referer (which the CSRF check asks of https requests)
    are sent by hand: this client talks plain http to the proxy's port, where
    a browser would talk https to the proxy's TLS side."""
    page = requests.get(base_url + "/", timeout=10)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    response = requests.post(
        base_url + "/api/sign-in", json={"email": f"proxy-{uuid.uuid4().hex[:10]}@example.com"}, timeout=30,
        headers={
            "X-CSRFToken": csrf, "Cookie": cookie, "X-Forwarded-For": forwarded_for,
            "Referer": base_url.replace("http://", "https://") + "/",
        },
    )
    return response.status_code


def test_through_the_proxy_the_site_is_https(behind_nginx):
    proxy, _ = behind_nginx

    response = requests.get(proxy.url + "/", timeout=10)

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "; Secure" in cookie


def test_through_the_proxy_a_forged_forwarded_for_changes_nothing(behind_nginx):
    proxy, _ = behind_nginx

    statuses = [sign_in_from(proxy.url, f"203.0.113.{n}") for n in range(1, 4)]

    assert statuses == [200, 200, 429], "the proxy's own hop (the real client) is what counts"


def test_reaching_the_app_directly_would_let_a_client_pick_its_address(behind_nginx):
    """Why the README says the app must be reachable only through the proxy."""
    _, server = behind_nginx

    statuses = [sign_in_from(server.url, f"203.0.113.{n}") for n in range(10, 13)]

    assert statuses == [200, 200, 200]
