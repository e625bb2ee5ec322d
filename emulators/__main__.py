"""``python -m emulators`` (``make emulators``): both emulators, each in its own
process, for anything heavier than one person's demo.

``make run`` starts the emulators inside the app's process, which is right for
one person clicking through: under load they would share the app's
interpreter, and a second worker process would try to start them again. Here
they run on their own, keep their state in the same folder as ``make run``,
and the settings that point the app at them (real mode, any WSGI server, any
number of workers with Redis) are written to an env file.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import requests

from .authsignal.config import DEFAULT_SECRET, DEFAULT_TENANT_ID

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = ROOT / "instance" / "local"
START_TIMEOUT_SECONDS = 30


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulators",
        description="Run the local Authsignal and the local Cognito in their own processes and write "
        "the app's settings for them to an env file.",
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="default: instance/local")
    parser.add_argument("--env-file", type=Path, help="default: <state dir>/emulators.env")
    parser.add_argument("--cognito-port", type=int, default=9229)
    parser.add_argument("--authsignal-port", type=int, default=9230)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    env_file = args.env_file or args.state_dir / "emulators.env"
    authsignal_url = f"http://127.0.0.1:{args.authsignal_port}/v1"
    cognito_url = f"http://127.0.0.1:{args.cognito_port}"
    children: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        children.append(_spawn(
            "emulators.authsignal", "--port", str(args.authsignal_port),
            "--state", str(args.state_dir / "authsignal.sqlite3"),
        ))
        _wait_until_up(children[-1], f"http://127.0.0.1:{args.authsignal_port}/_dev/inbox.json")
        children.append(_spawn(
            "emulators.cognito", "--port", str(args.cognito_port), "--state", str(args.state_dir / "cognito.sqlite3"),
            environment={"AUTHSIGNAL_URL": authsignal_url, "AUTHSIGNAL_SECRET": DEFAULT_SECRET},
        ))
        _wait_until_up(children[-1], f"{cognito_url}/")
        settings = _app_settings(cognito_url, authsignal_url, env_file)
        _write_env_file(env_file, settings)
        print(
            f"Both emulators run in their own processes; the app's settings are in {env_file}.\n"
            f"  local Cognito     {cognito_url}  pool {settings['COGNITO_USER_POOL_ID']}\n"
            f"  local Authsignal  {authsignal_url}\n"
            f"  dev inbox         http://127.0.0.1:{args.authsignal_port}/_dev/inbox\n"
            "Run the app against them, e.g. with four workers and Redis:\n"
            f"  SESSION_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/dotenv -f {env_file} run -- "
            ".venv/bin/gunicorn -w 4 wsgi:app\n"
            "Ctrl-C stops both.",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("error: an emulator stopped; stopping the other", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        for child in children:
            _stop(child)


class StartupError(RuntimeError):
    pass


def _interrupt(signum, frame):
    """SIGTERM stops both emulators as Ctrl-C does."""
    raise KeyboardInterrupt


def _spawn(module: str, *arguments: str, environment: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", module, *arguments], cwd=ROOT, env={**os.environ, **(environment or {})},
    )


def _wait_until_up(child: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise StartupError(f"{' '.join(child.args[1:3])} exited at start (is its port in use?)")
        try:
            requests.get(url, timeout=1)  # any answer means it is listening
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise StartupError(f"{url} did not answer within {START_TIMEOUT_SECONDS} s")


def _app_settings(cognito_url: str, authsignal_url: str, env_file: Path) -> dict[str, str]:
    """Real-mode settings for the app, read from the running local Cognito."""
    cognito = boto3.client(
        "cognito-idp", region_name="us-east-1", endpoint_url=cognito_url,
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    pool = cognito.list_user_pools(MaxResults=1)["UserPools"][0]
    client = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=1)["UserPoolClients"][0]
    return {
        "FLASK_SECRET_KEY": _existing(env_file, "FLASK_SECRET_KEY") or secrets.token_urlsafe(48),
        "COGNITO_USER_POOL_ID": pool["Id"],
        "COGNITO_CLIENT_ID": client["ClientId"],
        "COGNITO_ENDPOINT_URL": cognito_url,
        "AUTHSIGNAL_TENANT_ID": DEFAULT_TENANT_ID,
        "AUTHSIGNAL_URL": authsignal_url,
        "AUTHSIGNAL_UI_ORIGIN": authsignal_url.removesuffix("/v1"),
        # The emulators and the app are served over plain http on loopback.
        "SESSION_COOKIE_SECURE": "false",
    }


def _existing(env_file: Path, name: str) -> str | None:
    if not env_file.is_file():
        return None
    for line in env_file.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == name and value:
            return value
    return None


def _write_env_file(path: Path, settings: dict[str, str]) -> None:
    """Owner-only from its creation: it holds the app's secret key."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("# Written by `python -m emulators`: the app's settings for the emulators it started.\n")
        file.writelines(f"{key}={value}\n" for key, value in settings.items())
    os.replace(temporary, path)


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(main())
