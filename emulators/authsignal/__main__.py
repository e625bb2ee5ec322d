"""``python -m emulators.authsignal``: run the local Authsignal."""

from __future__ import annotations

import argparse
import logging
import sys

from ..host_check import parse_hosts
from . import AuthsignalEmulator
from .config import (
    DEFAULT_ALLOWED_ORIGINS,
    DEFAULT_HOST,
    DEFAULT_METHODS,
    DEFAULT_PASSKEY_RP_ID,
    DEFAULT_PORT,
    DEFAULT_SECRET,
    DEFAULT_TENANT_ID,
    TENANT_METHODS,
    AuthsignalEmulatorConfig,
    ConfigError,
)
from .origins import parse_origin_patterns


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.authsignal",
        description="A local Authsignal for development and tests (not for production).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s; 0 picks a free one)")
    parser.add_argument("--tenant-id", default=DEFAULT_TENANT_ID, help="tenant id the Web SDK is given")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="secret key for the server API")
    parser.add_argument(
        "--allowed-origins",
        default=DEFAULT_ALLOWED_ORIGINS,
        help="comma-separated app origins that may embed the pre-built UI, receive its "
        "token or be redirected to; a port may be * (default %(default)s)",
    )
    parser.add_argument(
        "--allowed-hosts", default="", metavar="HOSTS",
        help="comma-separated host names (no port) to answer besides loopback ones and the bound "
        "address; any other Host header gets 403, against DNS rebinding",
    )
    parser.add_argument("--state", metavar="FILE", help="keep state in this SQLite file (default: in memory)")
    parser.add_argument(
        "--methods", default=",".join(DEFAULT_METHODS), metavar="METHODS",
        help="comma-separated verification methods the tenant offers, in its order of preference "
        f"(names as the API spells them: {', '.join(TENANT_METHODS)}; default %(default)s)",
    )
    parser.add_argument(
        "--passkey-rp-id", default=DEFAULT_PASSKEY_RP_ID, metavar="HOST",
        help="the WebAuthn relying-party id passkeys are bound to (a host name, not an IP "
        "address; default %(default)s)",
    )
    parser.add_argument(
        "--passkey-origins", default=None, metavar="ORIGINS",
        help="comma-separated origins (a port may be *) whose pages may create and use passkeys; "
        "default: the --allowed-origins on the relying-party id's host or its subdomains",
    )
    parser.add_argument(
        "--rules", metavar="FILE",
        help="a JSON file of rules per action code (see the README); without it every action "
        "is CHALLENGE_REQUIRED",
    )
    parser.add_argument(
        "--strict", action="store_true",
        help="refuse attribute names the real API would ignore (e.g. snake_case redirect_url) "
        "with a 400, instead of answering and logging a warning",
    )
    args = parser.parse_args(argv)
    args.methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    try:
        args.allowed_origins = parse_origin_patterns(args.allowed_origins)
    except ValueError as exc:
        parser.error(f"--allowed-origins: {exc}")
    try:
        args.allowed_hosts = parse_hosts(args.allowed_hosts)
    except ValueError as exc:
        parser.error(f"--allowed-hosts: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        config = AuthsignalEmulatorConfig(
            tenant_id=args.tenant_id,
            secret=args.secret,
            allowed_origins=args.allowed_origins,
            allowed_hosts=args.allowed_hosts,
            state_path=args.state,
            strict=args.strict,
            methods=args.methods,
            rules_path=args.rules,
            passkey_rp_id=args.passkey_rp_id,
            passkey_origins=args.passkey_origins,
        )
    except ConfigError as exc:
        # One line naming the option and the problem (a bad rules file, a method not emulated).
        print(f"error: {exc.option}: {exc.message}", file=sys.stderr)
        return 2
    try:
        emulator = AuthsignalEmulator(config, host=args.host, port=args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print("Local Authsignal (for development only, never for real users)")
    print(f"  base URL   {emulator.base_url}")
    print(f"  tenant id  {config.tenant_id}")
    shown_secret = config.secret if config.secret == DEFAULT_SECRET else "(as given with --secret)"
    print(f"  secret     {shown_secret}")
    print(f"  dev inbox  {emulator.inbox_url}")
    print(f"  state      {config.state_path or 'in memory'}")
    print(f"  methods    {', '.join(config.methods)}")
    print(f"  rules      {config.rules_path or 'none (every action is CHALLENGE_REQUIRED)'}")
    print(f"  attributes unknown names {'refused (--strict)' if config.strict else 'warned about (--strict refuses them)'}")
    print(f"  allowed    {', '.join(str(p) for p in config.allowed_origins)}")
    passkey_origins = ', '.join(str(p) for p in config.passkey_origins) or 'none'
    print(f"  passkeys   relying party {config.passkey_rp_id}, origins {passkey_origins}", flush=True)
    emulator.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    sys.exit(main())
