"""``python -m emulators.cognito``, and a state file that survives restarts."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

from .helpers import cognito_client, sign_in, sign_up

ROOT = Path(__file__).resolve().parents[3]


def read_banner(process: subprocess.Popen, timeout: float = 10) -> dict[str, str]:
    """The ``name  value`` lines the CLI prints once it listens."""
    fields: dict[str, str] = {}

    def read() -> None:
        for line in process.stdout:
            match = re.match(r"^\s+(.+?)\s{2,}(\S.*)$", line.rstrip("\n"))
            if match:
                fields[match.group(1)] = match.group(2)
            if line.lstrip().startswith("state"):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return fields


def test_the_cli_prints_its_ids_and_serves(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.cognito", "--port", "0", "--region", "eu-west-1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        fields = read_banner(process)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fields.get("endpoint URL", "")), fields
        assert re.fullmatch(r"eu-west-1_[0-9A-Za-z]{9}", fields["user pool id"])
        assert re.fullmatch(r"[0-9a-z]{26}", fields["app client id"])
        assert fields["client secret"] == "none"
        assert fields["token rotation"] == "disabled"
        assert fields["JWKS URL"] == f"{fields['endpoint URL']}/{fields['user pool id']}/.well-known/jwks.json"
        assert requests.get(fields["JWKS URL"], timeout=5).json()["keys"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_cli_refuses_a_session_validity_out_of_range():
    result = subprocess.run(
        [sys.executable, "-m", "emulators.cognito", "--auth-session-validity", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 2
    assert "must be 3 to 15" in result.stderr


def test_state_survives_a_restart(tmp_path, fake_triggers, email):
    config = dict(state_path=str(tmp_path / "cognito.sqlite3"), triggers=fake_triggers.mapping())
    with CognitoEmulator(CognitoEmulatorConfig(**config)) as first:
        client = cognito_client(first)
        sub = sign_up(client, first, email)
        tokens = sign_in(client, first, email)
        ids = (first.user_pool_id, first.client_id)
        jwks = requests.get(first.jwks_url, timeout=5).json()
        port = int(first.origin.rsplit(":", 1)[1])

    # Same port, so the issuer of the old tokens is this emulator's again.
    with CognitoEmulator(CognitoEmulatorConfig(**config), port=port) as second:
        client = cognito_client(second)
        assert (second.user_pool_id, second.client_id) == ids
        assert requests.get(second.jwks_url, timeout=5).json() == jwks
        assert client.get_user(AccessToken=tokens["AccessToken"])["Username"] == sub
        refreshed = client.initiate_auth(
            ClientId=second.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )["AuthenticationResult"]
        client.revoke_token(Token=tokens["RefreshToken"], ClientId=second.client_id)

    with CognitoEmulator(CognitoEmulatorConfig(**config), port=port) as third:
        client = cognito_client(third)
        with pytest.raises(client.exceptions.NotAuthorizedException, match="Access Token has been revoked"):
            client.get_user(AccessToken=refreshed["AccessToken"])
        with pytest.raises(client.exceptions.UsernameExistsException):
            sign_up(client, third, email)


def test_a_state_file_from_before_refresh_token_rotation_is_brought_up_to_date(tmp_path, fake_triggers, email):
    path = tmp_path / "cognito.sqlite3"
    config = dict(state_path=str(path), triggers=fake_triggers.mapping())
    with CognitoEmulator(CognitoEmulatorConfig(**config)) as first:
        client = cognito_client(first)
        sign_up(client, first, email)
        tokens = sign_in(client, first, email)
        port = int(first.origin.rsplit(":", 1)[1])
    # The refresh_tokens table as the emulator wrote it before rotation.
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX refresh_tokens_by_family")
        db.execute("ALTER TABLE refresh_tokens DROP COLUMN family")
        db.execute("ALTER TABLE refresh_tokens DROP COLUMN usable_until")

    rotating = {**config, "refresh_token_rotation": "ENABLED"}
    with CognitoEmulator(CognitoEmulatorConfig(**rotating), port=port) as second:
        client = cognito_client(second)
        assert client.get_user(AccessToken=tokens["AccessToken"])
        rotated = client.get_tokens_from_refresh_token(ClientId=second.client_id, RefreshToken=tokens["RefreshToken"])
        client.revoke_token(Token=rotated["AuthenticationResult"]["RefreshToken"], ClientId=second.client_id)
        with pytest.raises(client.exceptions.NotAuthorizedException, match="Access Token has been revoked"):
            client.get_user(AccessToken=tokens["AccessToken"])


def test_the_cli_prints_the_refresh_token_rotation(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.cognito", "--port", "0", "--refresh-token-rotation", "ENABLED",
         "--refresh-token-grace-period", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert read_banner(process)["token rotation"] == "enabled, 30 s grace period"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_generated_client_secret_is_kept_across_restarts(tmp_path):
    config = dict(state_path=str(tmp_path / "cognito.sqlite3"), with_client_secret=True, triggers={})
    with CognitoEmulator(CognitoEmulatorConfig(**config)) as first:
        secret = first.client_secret
    with CognitoEmulator(CognitoEmulatorConfig(**config)) as second:
        assert second.client_secret == secret
    with CognitoEmulator(CognitoEmulatorConfig(**{**config, "with_client_secret": False})) as third:
        assert third.client_secret is None


def test_a_state_file_of_another_region_is_refused(tmp_path):
    state = str(tmp_path / "cognito.sqlite3")
    CognitoEmulator(CognitoEmulatorConfig(state_path=state)).stop()

    with pytest.raises(ValueError, match="in us-east-1"):
        CognitoEmulator(CognitoEmulatorConfig(state_path=state, region="eu-west-1"))


def test_the_cli_prints_its_dev_inbox_and_takes_a_lockout_period():
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.cognito", "--port", "0", "--password-lockout-seconds", "5"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        fields = read_banner(process)
        inbox_url = fields["dev inbox"].split()[0]
        assert inbox_url == f"{fields['endpoint URL']}/_dev/inbox"
        assert requests.get(f"{inbox_url}.json", timeout=5).json() == []
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("value", ["0", "901", "soon"])
def test_the_cli_refuses_a_lockout_period_out_of_range(value):
    result = subprocess.run(
        [sys.executable, "-m", "emulators.cognito", "--password-lockout-seconds", value],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 2
    assert "--password-lockout-seconds" in result.stderr


def test_the_config_refuses_a_lockout_period_out_of_range():
    for seconds in (0, -1, 901):
        with pytest.raises(ValueError, match="password_lockout_seconds"):
            CognitoEmulatorConfig(password_lockout_seconds=seconds)
