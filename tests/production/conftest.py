"""The production serving, tested with the real programs: the shipped
gunicorn configuration (gunicorn from requirements.txt) and Debian's
redis-server, against the session's emulators."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, app_environ, skip_or_fail
from tests.support.ports import free_port

GUNICORN = Path(sys.executable).parent / "gunicorn"


class Gunicorn:
    """``gunicorn wsgi:app`` in the project folder (so it reads gunicorn.conf.py)."""

    def __init__(self, environ: dict, *arguments: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gunicorn-{self.port}.log"
        self._log = open(self.log_path, "w+")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", *arguments, "wsgi:app"],
            cwd=ROOT, env=environ, stdout=self._log, stderr=subprocess.STDOUT, text=True,
        )

    def wait_until_serving(self, timeout: float = 30) -> "Gunicorn":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.output()}"
            try:
                requests.get(self.url + "/static/app.css", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not serve within {timeout} s:\n{self.output()}")

    def wait_for_exit(self, timeout: float = 30) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()
        self.log_path.unlink(missing_ok=True)


def process_environment(**settings) -> dict:
    """This process's environment without service settings or a developer's .env."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "AUTHSIGNAL_", "FLASK_", "SESSION_"))}
    return {**keep, "FLASK_SKIP_DOTENV": "1", **settings}


@pytest.fixture
def real_environ(local_cognito, authsignal_emulator, tmp_path) -> dict:
    """Real mode on the session's emulators, over plain http on loopback."""
    return process_environment(
        **app_environ(local_cognito, authsignal_emulator, tmp_path), SESSION_COOKIE_SECURE="false"
    )


@pytest.fixture
def gunicorn():
    if not GUNICORN.exists():
        skip_or_fail("gunicorn is not installed in the virtualenv (pip install -r requirements.txt)")
    started: list[Gunicorn] = []

    def start(environ: dict, *arguments: str) -> Gunicorn:
        server = Gunicorn(environ, *arguments)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class Visitor:
    """A browser's calls to the app over HTTP: cookies, and the CSRF token from the page."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.csrf = None

    def page(self, path: str = "/") -> requests.Response:
        response = self.http.get(self.base_url + path, timeout=30)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', response.text)
        if match:
            self.csrf = match.group(1)
        return response

    def post_json(self, path: str, body: dict) -> requests.Response:
        if self.csrf is None:
            self.page()
        return self.http.post(self.base_url + path, json=body, headers={"X-CSRFToken": self.csrf}, timeout=30)
