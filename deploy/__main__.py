"""``python -m deploy``: deploy the user pool, app client and triggers to AWS
(``up``), remove them (``down``), or only build the triggers' zip (``package``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .package import ROOT, build_lambda_zip
from .stack import Deployer, DeployError, DeployOptions, env_file_text

DEFAULT_STACK = "authsignal-passwordless"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def stack_arguments(command):
        command.add_argument("--stack-name", default=DEFAULT_STACK, help="default %(default)s")
        command.add_argument(
            "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            help="AWS region (default: AWS_REGION or AWS_DEFAULT_REGION)",
        )

    up = commands.add_parser("up", help="create or update the stack, then print the .env settings")
    stack_arguments(up)
    up.add_argument("--authsignal-url", default="https://api.authsignal.com/v1",
                    help="your tenant's region API URL (default %(default)s)")
    up.add_argument("--secret-parameter", default="/authsignal-cognito/secret-key",
                    help="SSM SecureString holding the Authsignal secret key; created from "
                         "AUTHSIGNAL_SECRET if missing (default %(default)s)")
    up.add_argument("--action", default="cognitoAuth", help="Authsignal action code (default %(default)s)")
    up.add_argument("--client-secret", action="store_true", help="give the app client a secret")
    up.add_argument("--auth-session-validity", type=int, default=3, choices=range(3, 16), metavar="3..15",
                    help="minutes a sign-in may take (default %(default)s)")
    up.add_argument("--runtime", default="python3.13", choices=["python3.12", "python3.13", "python3.14"])
    up.add_argument("--sign-in-flow", default="passwordless", choices=["passwordless", "password_mfa"],
                    help="the triggers' flow, written to .env as SIGN_IN_FLOW too (default %(default)s)")
    up.add_argument("--redirect-url", default="", metavar="URL",
                    help="for AUTHSIGNAL_UI_MODE=redirect or window: https://<your app>/auth/callback")
    up.add_argument("--refresh-token-rotation", action="store_true",
                    help="give the app client refresh token rotation")
    up.add_argument("--bucket", help="S3 bucket for the zip (default: one named after the stack, created)")
    up.add_argument("--env-file", type=Path, help="also write the settings to this file (it must not exist yet)")

    down = commands.add_parser("down", help="delete the stack (the user pool and its users with it)")
    stack_arguments(down)

    package = commands.add_parser("package", help="only build the triggers' zip")
    package.add_argument("--runtime", default="python3.13", choices=["python3.12", "python3.13", "python3.14"])
    package.add_argument("--output", type=Path, default=ROOT / "build", help="folder (default build/)")

    args = parser.parse_args(argv)
    if args.command in ("up", "down") and not args.region:
        parser.error("--region is required (or set AWS_REGION)")
    if getattr(args, "env_file", None) is not None and args.env_file.exists():
        parser.error(f"--env-file {args.env_file} exists already: pick a new file and merge it by hand")
    return args


def aws_deployer(region: str) -> Deployer:
    import boto3

    session = boto3.session.Session(region_name=region)
    return Deployer(
        sts=session.client("sts"), ssm=session.client("ssm"), s3=session.client("s3"),
        cloudformation=session.client("cloudformation"), cognito=session.client("cognito-idp"),
    )


def main(argv: list[str] | None = None, deployer_factory=aws_deployer) -> int:
    args = parse_args(argv)
    try:
        if args.command == "package":
            print(build_lambda_zip(args.output, args.runtime))
            return 0
        deployer = deployer_factory(args.region)
        if args.command == "down":
            deployer.destroy(args.stack_name)
            print(f"Deleted {args.stack_name}. The artifact bucket and the SSM parameter are kept; delete them "
                  "with `aws s3 rb s3://<bucket> --force` and `aws ssm delete-parameter --name <name>`.")
            return 0
        options = DeployOptions(
            stack_name=args.stack_name, region=args.region, bucket=args.bucket,
            authsignal_url=args.authsignal_url, secret_parameter=args.secret_parameter, action=args.action,
            client_secret=args.client_secret, auth_session_validity_minutes=args.auth_session_validity,
            runtime=args.runtime, sign_in_flow=args.sign_in_flow, refresh_token_rotation=args.refresh_token_rotation,
            redirect_url=args.redirect_url,
        )
        lambda_zip = build_lambda_zip(ROOT / "build", args.runtime)
        settings = deployer.deploy(options, lambda_zip, authsignal_secret=os.environ.get("AUTHSIGNAL_SECRET"))
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = env_file_text(settings)
    if args.env_file is None:
        print("Settings for the app's .env:\n")
        print(text)
        return 0
    try:
        write_private_file(args.env_file, text)
    except FileExistsError:
        print(f"error: --env-file {args.env_file} appeared meanwhile and is left as it was; "
              "the settings are below.", file=sys.stderr)
        print(text)
        return 1
    print(f"Wrote {args.env_file}. Fill in AUTHSIGNAL_TENANT_ID, then check it: .venv/bin/flask check-config")
    return 0


def write_private_file(path: Path, text: str) -> None:
    """Create the file readable by its owner only from the start, so the secrets are never
    readable by others, even briefly; never replace an existing one."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


if __name__ == "__main__":
    sys.exit(main())
