from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from emulators.authsignal.__main__ import parse_args
from emulators.authsignal.config import DEFAULT_SECRET, DEFAULT_TENANT_ID
from tests.conftest import ROOT


def test_defaults():
    args = parse_args([])

    assert (args.host, args.port, args.tenant_id, args.secret, args.state) == (
        "127.0.0.1", 9230, DEFAULT_TENANT_ID, DEFAULT_SECRET, None,
    )
    assert [str(p) for p in args.allowed_origins] == ["http://127.0.0.1:*", "http://localhost:*"]


def test_bad_allowed_origins_stop_with_a_clear_message(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--allowed-origins", "app.example.com"])

    assert exit_info.value.code == 2
    assert "--allowed-origins: not an origin or origin pattern: 'app.example.com'" in capsys.readouterr().err


def test_the_server_prints_where_it_listens_and_serves_there(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.authsignal", "--port", "0", "--state", str(tmp_path / "state.sqlite3")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(7)]
        base_url = next(line.split()[-1] for line in lines if "base URL" in line)
        response = requests.post(f"{base_url}/validate", json={}, timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert "for development only" in lines[0]
    assert any(DEFAULT_TENANT_ID in line for line in lines)
    assert any(DEFAULT_SECRET in line for line in lines)
    assert base_url.endswith("/v1")
    assert response.status_code == 401
    assert (tmp_path / "state.sqlite3").exists()


def test_a_custom_secret_is_not_printed(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.authsignal", "--port", "0", "--secret", "my-own-secret"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = "".join(process.stdout.readline() for _ in range(7))
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert "my-own-secret" not in output
    assert "(as given with --secret)" in output
