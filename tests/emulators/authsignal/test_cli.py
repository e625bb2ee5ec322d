from __future__ import annotations

import queue
import subprocess
import sys
import threading

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
    assert args.strict is False
    assert args.methods == ("EMAIL_OTP", "AUTHENTICATOR_APP")
    assert args.rules is None


def test_strict_is_an_option():
    assert parse_args(["--strict"]).strict is True


def test_methods_and_rules_are_options():
    args = parse_args(["--methods", "AUTHENTICATOR_APP, EMAIL_OTP", "--rules", "rules.json"])

    assert args.methods == ("AUTHENTICATOR_APP", "EMAIL_OTP")
    assert args.rules == "rules.json"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emulators.authsignal", "--port", "0", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )


def test_a_malformed_rules_file_stops_start_up_with_one_line(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('{"cognitoAuth": {"rules": [{"when": {"country": "NZ"}, "outcome": "ALLOW"}]}}')

    result = run_cli("--rules", str(rules))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: --rules: {rules}: cognitoAuth.rules[0].when: unknown condition 'country' "
        "(conditions: knownDevice, ipAddressIn, custom)"
    ]


@pytest.mark.parametrize(
    "text, problem",
    [("{not json", "not valid JSON"), ('{"cognitoAuth": {"default": "DENY"}}', "unknown outcome 'DENY'")],
)
def test_bad_json_or_an_unknown_outcome_stop_start_up_too(tmp_path, text, problem):
    rules = tmp_path / "rules.json"
    rules.write_text(text)

    result = run_cli("--rules", str(rules))

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: --rules: {rules}: ") and problem in line


def test_passkey_is_accepted_by_methods_and_a_bad_rp_id_stops_start_up_with_one_line():
    args = parse_args(["--methods", "EMAIL_OTP,PASSKEY", "--passkey-rp-id", "app.localhost",
                       "--passkey-origins", "http://app.localhost:*"])
    assert args.methods == ("EMAIL_OTP", "PASSKEY")
    assert args.passkey_rp_id == "app.localhost" and args.passkey_origins == "http://app.localhost:*"

    result = run_cli("--methods", "EMAIL_OTP,PASSKEY", "--passkey-rp-id", "127.0.0.1")

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --passkey-rp-id: '127.0.0.1' is not a host name")


def test_bad_allowed_origins_stop_with_a_clear_message(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--allowed-origins", "app.example.com"])

    assert exit_info.value.code == 2
    assert "--allowed-origins: not an origin or origin pattern: 'app.example.com'" in capsys.readouterr().err


BANNER_LINES = 11


class Server:
    """``python -m emulators.authsignal`` in a subprocess, its console read
    line by line with a timeout (a missing line fails the test, never hangs it)."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulators.authsignal", "--port", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.banner = [self.line() for _ in range(BANNER_LINES)]

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)

    def line(self, timeout: float = 10) -> str:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    @property
    def base_url(self) -> str:
        return next(line.split()[-1] for line in self.banner if "base URL" in line)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_the_server_prints_where_it_listens_and_serves_there(tmp_path):
    with Server("--state", str(tmp_path / "state.sqlite3")) as server:
        response = requests.post(f"{server.base_url}/validate", json={}, timeout=5)

    assert "for development only" in server.banner[0]
    assert any(DEFAULT_TENANT_ID in line for line in server.banner)
    assert any(DEFAULT_SECRET in line for line in server.banner)
    assert server.base_url.endswith("/v1")
    assert response.status_code == 401
    assert (tmp_path / "state.sqlite3").exists()


def test_the_methods_and_rules_are_printed_and_applied(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('{"signIn": {"rules": [{"when": {"ipAddressIn": ["203.0.113.0/24"]}, "outcome": "BLOCK"}]}}')
    with Server("--methods", "AUTHENTICATOR_APP,EMAIL_OTP", "--rules", str(rules)) as server:
        response = requests.post(
            f"{server.base_url}/users/u1/actions/signIn", json={"ipAddress": "203.0.113.9"},
            auth=(DEFAULT_SECRET, ""), timeout=5,
        )

    assert any(line.split() == ["methods", "AUTHENTICATOR_APP,", "EMAIL_OTP"] for line in server.banner)
    assert any(line.split() == ["rules", str(rules)] for line in server.banner)
    assert response.json()["state"] == "BLOCK"
    assert response.json()["allowedVerificationMethods"] == ["AUTHENTICATOR_APP", "EMAIL_OTP"]


def test_a_custom_secret_is_not_printed():
    with Server("--secret", "my-own-secret") as server:
        output = "".join(server.banner)

    assert "my-own-secret" not in output
    assert "(as given with --secret)" in output


def test_strict_mode_is_printed_and_refuses_unknown_attribute_names():
    with Server("--strict") as server:
        response = requests.post(
            f"{server.base_url}/users/u1/actions/signIn", json={"redirect_url": "http://127.0.0.1:5000/"},
            auth=(DEFAULT_SECRET, ""), timeout=5,
        )

    assert any("attributes unknown names refused (--strict)" in line for line in server.banner)
    assert response.status_code == 400
    assert "did you mean redirectUrl?" in response.json()["errorDescription"]


def test_a_lenient_server_warns_on_the_console():
    with Server() as server:
        response = requests.post(
            f"{server.base_url}/users/u1/actions/signIn", json={"redirect_url": "http://127.0.0.1:5000/"},
            auth=(DEFAULT_SECRET, ""), timeout=5,
        )
        warning = server.line(timeout=5)

    assert any("attributes unknown names warned about" in line for line in server.banner)
    assert response.status_code == 200
    assert warning.strip() == (
        "[local Authsignal] track: redirect_url is not an attribute Authsignal reads; did you mean redirectUrl?"
    )
