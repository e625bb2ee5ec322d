"""`make emulators` (python -m emulators): both emulators in their own
processes, and the app served by several gunicorn workers with Redis against
them, from the env file it writes."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests
from dotenv import dotenv_values

from tests.app.test_sign_in import win
from tests.conftest import ROOT
from tests.support.ports import free_port

from .conftest import Visitor, process_environment


class Emulators:
    origin: str
    base_url: str


@pytest.fixture
def emulators_on_their_own(tmp_path):
    cognito_port, authsignal_port = free_port(), free_port()
    env_file = tmp_path / "emulators.env"
    output = open(tmp_path / "output.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators", "--state-dir", str(tmp_path), "--env-file", str(env_file),
         "--cognito-port", str(cognito_port), "--authsignal-port", str(authsignal_port)],
        cwd=ROOT, env=process_environment(), stdout=output, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not env_file.exists():
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "output.log").read_text()
        time.sleep(0.1)
    yield process, env_file, cognito_port, authsignal_port
    process.terminate()
    process.wait(timeout=15)
    output.close()


def test_several_workers_sign_in_against_emulators_in_their_own_processes(
    emulators_on_their_own, gunicorn, redis_server
):
    process, env_file, cognito_port, authsignal_port = emulators_on_their_own
    settings = dotenv_values(env_file)
    server = gunicorn(process_environment(**settings, SESSION_REDIS_URL=redis_server.url), "-w", "2")
    server.wait_until_serving()
    emulators = Emulators()
    emulators.origin = f"http://127.0.0.1:{authsignal_port}"
    emulators.base_url = f"{emulators.origin}/v1"
    visitor, email = Visitor(server.url), "own-processes@example.com"

    url = visitor.post_json("/api/sign-in", {"email": email}).json()["url"]
    confirmed = visitor.post_json("/api/confirm", {"token": win(emulators, url, email)})

    assert confirmed.status_code == 200, confirmed.text
    assert f"Signed in as {email}" in visitor.page().text
    assert settings["COGNITO_ENDPOINT_URL"] == f"http://127.0.0.1:{cognito_port}"
    assert env_file.stat().st_mode & 0o777 == 0o600


def test_stopping_the_runner_stops_both_emulators(emulators_on_their_own):
    process, _, cognito_port, authsignal_port = emulators_on_their_own

    process.terminate()
    assert process.wait(timeout=15) == 0

    for port in (cognito_port, authsignal_port):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
