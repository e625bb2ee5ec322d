"""``python -m emulators.cognito``: run the local Cognito."""

from __future__ import annotations

import argparse
import logging
import sys

from . import CognitoEmulator
from .config import (
    DEFAULT_HOST,
    DEFAULT_PASSWORD_LOCKOUT_SECONDS,
    MAX_PASSWORD_LOCKOUT_SECONDS,
    DEFAULT_PORT,
    DEFAULT_REGION,
    MAX_RETRY_GRACE_PERIOD_SECONDS,
    REFRESH_TOKEN_ROTATION,
    CognitoEmulatorConfig,
)


def _session_validity(value: str) -> int:
    minutes = int(value)
    if not 3 <= minutes <= 15:
        raise argparse.ArgumentTypeError("must be 3 to 15 (minutes)")
    return minutes


def _grace_period(value: str) -> int:
    seconds = int(value)
    if not 0 <= seconds <= MAX_RETRY_GRACE_PERIOD_SECONDS:
        raise argparse.ArgumentTypeError(f"must be 0 to {MAX_RETRY_GRACE_PERIOD_SECONDS} (seconds)")
    return seconds


def _lockout(value: str) -> float:
    seconds = float(value)
    if not 1 <= seconds <= MAX_PASSWORD_LOCKOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_PASSWORD_LOCKOUT_SECONDS:g} (seconds)")
    return seconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.cognito",
        description="A local Amazon Cognito user pool running CUSTOM_AUTH (with or without SRP) with the "
        "project's Python triggers (for development and tests, not for production).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s; 0 picks a free one)")
    parser.add_argument("--state", metavar="FILE", help="keep state in this SQLite file (default: in memory)")
    parser.add_argument("--region", default=DEFAULT_REGION, help="region of the user pool (default %(default)s)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--with-client-secret", action="store_true",
        help="give the app client a generated secret (kept in the state file)",
    )
    secret.add_argument("--client-secret", metavar="SECRET", help="give the app client this secret")
    parser.add_argument(
        "--auth-session-validity", type=_session_validity, default=3, metavar="MINUTES",
        help="how long a CUSTOM_AUTH session lasts, 3 to 15 minutes (default %(default)s)",
    )
    parser.add_argument(
        "--prevent-user-existence-errors", choices=("ENABLED", "LEGACY"), default="ENABLED",
        help="ENABLED runs the triggers with userNotFound for unknown users; "
        "LEGACY answers UserNotFoundException (default %(default)s)",
    )
    parser.add_argument(
        "--refresh-token-rotation", choices=REFRESH_TOKEN_ROTATION, default="DISABLED",
        help="the app client's RefreshTokenRotation: ENABLED makes GetTokensFromRefreshToken answer a new "
        "refresh token and retire the old one, and refuses REFRESH_TOKEN_AUTH (default %(default)s)",
    )
    parser.add_argument(
        "--refresh-token-grace-period", type=_grace_period, default=0, metavar="SECONDS",
        help="with rotation, how long a rotated refresh token keeps working (RetryGracePeriodSeconds, "
        f"0 to {MAX_RETRY_GRACE_PERIOD_SECONDS}; default %(default)s)",
    )
    parser.add_argument(
        "--password-lockout-seconds", type=_lockout, default=DEFAULT_PASSWORD_LOCKOUT_SECONDS, metavar="SECONDS",
        help="after 5 wrong passwords in a row, refuse the user's password (\"Password attempts exceeded\") "
        f"this long, 1 to {MAX_PASSWORD_LOCKOUT_SECONDS:g}; a fixed period, where AWS's grows from 1 s to "
        "about 15 minutes (default %(default)g)",
    )
    parser.add_argument(
        "--public-url", metavar="URL",
        help="the URL clients reach the emulator at, if not the bound address (it prefixes the token "
        "issuer; its host is answered to)",
    )
    parser.add_argument(
        "--allowed-hosts", default="", metavar="HOSTS",
        help="comma-separated host names (no port) to answer besides loopback ones, the bound address "
        "and --public-url's host; any other Host header gets 403, against DNS rebinding",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        config = CognitoEmulatorConfig(
            region=args.region,
            client_secret=args.client_secret,
            with_client_secret=args.with_client_secret,
            auth_session_validity_minutes=args.auth_session_validity,
            prevent_user_existence_errors=args.prevent_user_existence_errors,
            refresh_token_rotation=args.refresh_token_rotation,
            refresh_token_retry_grace_period_seconds=args.refresh_token_grace_period,
            password_lockout_seconds=args.password_lockout_seconds,
            state_path=args.state,
            public_url=args.public_url,
            allowed_hosts=args.allowed_hosts,
        )
        emulator = CognitoEmulator(config, host=args.host, port=args.port)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print("Local Cognito (for development only, never for real users)")
    print(f"  endpoint URL    {emulator.endpoint_url}")
    print(f"  region          {emulator.region}")
    print(f"  user pool id    {emulator.user_pool_id}")
    print(f"  app client id   {emulator.client_id}")
    # The secret itself is not printed: DescribeUserPoolClient returns it.
    print(f"  client secret   {'yes (see DescribeUserPoolClient)' if emulator.client_secret else 'none'}")
    print(f"  JWKS URL        {emulator.jwks_url}")
    print(f"  token rotation  {_rotation(config)}")
    print(f"  dev inbox       {emulator.inbox_url}  (password reset codes)")
    print(f"  triggers        {', '.join(f'{k}={v}' for k, v in _trigger_names(config).items())}")
    print(f"  state           {config.state_path or 'in memory'}", flush=True)
    emulator.serve_until_interrupted()
    return 0


def _rotation(config: CognitoEmulatorConfig) -> str:
    if not config.rotates_refresh_tokens:
        return "disabled"
    return f"enabled, {config.refresh_token_retry_grace_period_seconds} s grace period"


def _trigger_names(config: CognitoEmulatorConfig) -> dict[str, str]:
    return {name: str(trigger).split(":")[0] for name, trigger in config.trigger_map.items()}


if __name__ == "__main__":
    sys.exit(main())
