"""`flask check-config`: check a configuration against the services before the
first sign-in, and name the setting to fix for each problem.

A misconfigured pool, client or tenant otherwise shows up only as a failed
sign-in with a generic message; these checks ask each service directly. They
are plain functions returning :class:`Result` lists; the command only prints.
"""

from __future__ import annotations

import hmac
import os
import re
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Mapping

import boto3
import click
import requests
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from flask import current_app
from flask.cli import with_appcontext

from . import WEB_SDK_DIR
from .settings import Settings

#: Short, so a wrong address fails the check quickly instead of hanging it.
TIMEOUT_SECONDS = 5.0
REQUIRED_TRIGGERS = ("PreSignUp", "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")
REQUIRED_FLOWS = ("ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
_NOT_ALLOWED = "they may not call it: allow cognito-idp:DescribeUserPool and DescribeUserPoolClient on the pool"
#: Codes AWS answers when the credentials themselves, or their permissions, are refused.
CREDENTIAL_ERRORS = {
    "AccessDeniedException": _NOT_ALLOWED,
    "NotAuthorizedException": _NOT_ALLOWED,
    "UnrecognizedClientException": "the access key is unknown: check the AWS profile or keys",
    "InvalidSignatureException": "the request signature is wrong: check the secret access key",
    "ExpiredTokenException": "the session token has expired: renew the AWS session",
}
#: The tenant's secret key is tried on a user id no real user has.
PROBE_USER_ID = "config-check"


class Status(Enum):
    OK = "ok"
    PROBLEM = "PROBLEM"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Result:
    """One check: its outcome, the setting it concerns, and what was found."""

    status: Status
    setting: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status is not Status.PROBLEM

    def line(self) -> str:
        return f"{self.status.value:<7} {self.setting}: {self.message}"


def ok(setting: str, message: str) -> Result:
    return Result(Status.OK, setting, message)


def problem(setting: str, message: str) -> Result:
    return Result(Status.PROBLEM, setting, message)


def skipped(setting: str, message: str) -> Result:
    return Result(Status.SKIPPED, setting, message)


# ----- Cognito -----------------------------------------------------------------
def check_cognito(settings: Settings) -> list[Result]:
    """The pool and the app client, as the admin API describes them; needs AWS credentials."""
    try:
        session = _aws_session(settings)
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        return [problem("AWS credentials", f"could not be loaded ({type(exc).__name__}): check AWS_PROFILE")]
    if credentials is None:
        return [
            skipped(
                "AWS credentials",
                "none found, so the user pool and app client were not checked "
                "(configure an AWS profile or keys allowed to describe them, and run this again)",
            )
        ]
    client = session.client(
        "cognito-idp",
        region_name=settings.cognito_region,
        endpoint_url=settings.cognito_endpoint_url,
        config=Config(
            connect_timeout=TIMEOUT_SECONDS,
            read_timeout=TIMEOUT_SECONDS,
            retries={"mode": "standard", "max_attempts": 1},
        ),
    )
    pool_id, client_id = settings.cognito_user_pool_id, settings.cognito_client_id
    try:
        pool = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    except (ClientError, BotoCoreError) as exc:
        not_found = f"no user pool {pool_id!r} in {settings.cognito_region}"
        return [
            _cognito_problem(exc, settings, "COGNITO_USER_POOL_ID", not_found, "DescribeUserPool"),
            skipped("COGNITO_CLIENT_ID", "not checked, as the user pool could not be described"),
        ]
    results = [ok("COGNITO_USER_POOL_ID", f"user pool {pool_id} ({pool.get('Name')}) exists"), *_pool_checks(pool)]
    try:
        app_client = client.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except (ClientError, BotoCoreError) as exc:
        not_found = f"no app client {client_id!r} in user pool {pool_id}"
        return [*results, _cognito_problem(exc, settings, "COGNITO_CLIENT_ID", not_found, "DescribeUserPoolClient")]
    return [*results, ok("COGNITO_CLIENT_ID", f"app client {client_id} exists"), *_client_checks(app_client, settings)]


def _aws_session(settings: Settings) -> boto3.session.Session:
    if settings.is_local:
        # The local Cognito accepts any signature: no AWS account is needed.
        return boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local")
    return boto3.session.Session()


def _pool_checks(pool: dict) -> list[Result]:
    pool_id = pool.get("Id")
    username_attributes = pool.get("UsernameAttributes") or []
    results = [
        ok("COGNITO_USER_POOL_ID", "users sign in by email (UsernameAttributes)")
        if "email" in username_attributes
        else problem(
            "COGNITO_USER_POOL_ID",
            f"user pool {pool_id} has UsernameAttributes {username_attributes}, not email: the app signs users "
            "in by email, and this can only be chosen when a pool is created",
        )
    ]
    triggers = pool.get("LambdaConfig") or {}
    missing = [name for name in REQUIRED_TRIGGERS if not triggers.get(name)]
    results.append(
        problem(
            "COGNITO_USER_POOL_ID",
            f"user pool {pool_id} lacks the trigger(s) {', '.join(missing)} in LambdaConfig: "
            "attach the functions of lambdas/ to it",
        )
        if missing
        else ok("COGNITO_USER_POOL_ID", f"all four triggers are attached ({', '.join(REQUIRED_TRIGGERS)})")
    )
    return results


def _client_checks(app_client: dict, settings: Settings) -> list[Result]:
    client_id = app_client.get("ClientId")
    flows = app_client.get("ExplicitAuthFlows") or []
    missing = [flow for flow in REQUIRED_FLOWS if flow not in flows]
    results = [
        problem(
            "COGNITO_CLIENT_ID",
            f"app client {client_id} does not allow {', '.join(missing)} (ExplicitAuthFlows {flows}): "
            "add them, or the sign-in cannot start or refresh",
        )
        if missing
        else ok("COGNITO_CLIENT_ID", f"app client allows {' and '.join(REQUIRED_FLOWS)}")
    ]
    prevention = app_client.get("PreventUserExistenceErrors")
    results.append(
        ok("COGNITO_CLIENT_ID", "PreventUserExistenceErrors is ENABLED")
        if prevention == "ENABLED"
        else problem(
            "COGNITO_CLIENT_ID",
            f"app client {client_id} has PreventUserExistenceErrors {prevention or 'unset'}: set it to ENABLED, "
            "or Cognito's answers tell anyone which emails have an account",
        )
    )
    results.append(_client_secret_check(app_client.get("ClientSecret"), settings.cognito_client_secret, client_id))
    return results


def _client_secret_check(actual: str | None, configured: str | None, client_id: str | None) -> Result:
    if actual and not configured:
        return problem(
            "COGNITO_CLIENT_SECRET",
            f"not set, but app client {client_id} has a secret: every sign-in would be refused; set it",
        )
    if configured and not actual:
        return problem(
            "COGNITO_CLIENT_SECRET",
            f"set, but app client {client_id} has no secret: every sign-in would be refused; unset it",
        )
    if actual and configured and not hmac.compare_digest(actual.encode(), configured.encode()):
        return problem(
            "COGNITO_CLIENT_SECRET", f"does not match the secret of app client {client_id}: copy it again"
        )
    return ok("COGNITO_CLIENT_SECRET", "matches the app client's" if actual else "none, and the app client has none")


def _cognito_problem(
    exc: ClientError | BotoCoreError, settings: Settings, setting: str, not_found: str, operation: str
) -> Result:
    where = _cognito_location_setting(settings)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            return problem(setting, f"{not_found} ({code})")
        if code in CREDENTIAL_ERRORS:
            return problem("AWS credentials", f"refused for {operation} ({code}): {CREDENTIAL_ERRORS[code]}")
        return problem(setting, f"Cognito refused {operation} ({code})")
    endpoint = settings.cognito_endpoint
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError)):
        timed_out = not isinstance(exc, EndpointConnectionError)
        return problem(where, _unreachable(f"Cognito at {endpoint}", exc, timed_out))
    return problem(where, f"calling {operation} at {endpoint} failed ({type(exc).__name__})")


def _unreachable(what: str, exc: Exception, timed_out: bool) -> str:
    """Only the error's type: its text may carry request details."""
    if timed_out:
        return f"{what} did not answer within {TIMEOUT_SECONDS:g} s ({type(exc).__name__})"
    return f"cannot reach {what} ({type(exc).__name__})"


def _cognito_location_setting(settings: Settings) -> str:
    """The setting that decides where Cognito is reached."""
    return "COGNITO_ENDPOINT_URL" if settings.cognito_endpoint_url else "COGNITO_REGION"


def check_jwks(settings: Settings) -> list[Result]:
    """The keys the app verifies tokens with: no credentials needed, so always checked."""
    url = f"{settings.cognito_endpoint}/{settings.cognito_user_pool_id}/.well-known/jwks.json"
    where = _cognito_location_setting(settings)
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return [problem(where, _unreachable(f"the JWKS at {url}", exc, isinstance(exc, requests.Timeout)))]
    if response.status_code in (400, 404):
        return [problem("COGNITO_USER_POOL_ID", f"{url} answered HTTP {response.status_code}: no such user pool")]
    if response.status_code != 200:
        return [problem(where, f"the JWKS at {url} answered HTTP {response.status_code}")]
    try:
        keys = response.json().get("keys")
    except (ValueError, AttributeError):
        keys = None
    if not isinstance(keys, list) or not keys:
        return [problem(where, f"{url} is not a JWKS (no 'keys' list): is this Cognito?")]
    return [ok("COGNITO_USER_POOL_ID", f"the JWKS at {url} has {len(keys)} key(s)")]


# ----- Authsignal ----------------------------------------------------------------
def check_authsignal(settings: Settings, secret: str | None) -> list[Result]:
    """The tenant id, the API base URL, and the secret key against it:
    ``AUTHSIGNAL_SECRET`` of this environment (``secret``) if set, else the one
    in the SSM parameter ``AUTHSIGNAL_SECRET_PARAMETER`` names, read as the app
    reads it."""
    tenant_id = settings.authsignal_tenant_id or ""
    results = [
        ok("AUTHSIGNAL_TENANT_ID", f"{tenant_id!r} is well-formed")
        if re.fullmatch(r"\S+", tenant_id)
        else problem("AUTHSIGNAL_TENANT_ID", f"{tenant_id!r} is empty or contains whitespace: copy it from the portal")
    ]
    url = settings.authsignal_url
    try:
        answer = requests.get(url, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return [
            *results,
            problem("AUTHSIGNAL_URL", _unreachable(url, exc, isinstance(exc, requests.Timeout))),
            skipped("AUTHSIGNAL_SECRET", "not tried, as AUTHSIGNAL_URL does not answer"),
        ]
    results.append(ok("AUTHSIGNAL_URL", f"{url} answers (HTTP {answer.status_code})"))
    if not secret and settings.authsignal_secret_parameter:
        read = _read_secret_parameter(settings)
        if isinstance(read, Result):
            return [*results, read]
        return [*results, _secret_check(url, read, "AUTHSIGNAL_SECRET_PARAMETER")]
    return [*results, _secret_check(url, secret)]


#: What an SSM refusal means for the one who runs the check.
SSM_ERRORS = {
    "ParameterNotFound": "there is no such parameter in {region}: check its name, and COGNITO_REGION",
    "ParameterVersionNotFound": "there is no such version of the parameter: drop the version from its name",
    "AccessDeniedException": "these AWS credentials may not read it: allow ssm:GetParameter on it "
                             "(and kms:Decrypt on its key)",
    "UnrecognizedClientException": "the access key is unknown: check the AWS profile or keys",
    "ExpiredTokenException": "the session token has expired: renew the AWS session",
}


def _read_secret_parameter(settings: Settings) -> str | Result:
    """The secret from its SSM parameter, or the problem reading it (never the value)."""
    from .authsignal_api import SecretFromParameterStore

    name, region = settings.authsignal_secret_parameter, settings.cognito_region
    setting = "AUTHSIGNAL_SECRET_PARAMETER"
    try:
        value = SecretFromParameterStore(name, region)()
    except NoCredentialsError:
        return problem(setting, f"{name} could not be read: no AWS credentials found (set a profile or keys)")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        hint = SSM_ERRORS.get(code, "AWS refused the request").format(region=region)
        return problem(setting, f"{name} could not be read ({code or 'error'}): {hint}")
    except (BotoCoreError, KeyError, TypeError) as exc:
        return problem(setting, f"{name} could not be read ({type(exc).__name__})")
    if not isinstance(value, str) or not value.strip():
        return problem(setting, f"{name} is empty: put the tenant's secret key in it")
    return value


def _secret_check(url: str, secret: str | None, setting: str = "AUTHSIGNAL_SECRET") -> Result:
    if not secret:
        return skipped(
            "AUTHSIGNAL_SECRET",
            "not in this environment, so the tenant's secret key was not tried (the lambdas need it; "
            "the app needs it, or AUTHSIGNAL_SECRET_PARAMETER, for passkeys and to say which method "
            "was used; export it here to check it)",
        )
    # A plain request with a timeout: the SDK ignores its own timeout setting.
    try:
        response = requests.get(f"{url}/users/{PROBE_USER_ID}", auth=(secret, ""), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return problem(setting, f"trying it at {url} failed ({type(exc).__name__})")
    if response.status_code == 401:
        return problem(
            setting,
            f"refused by {url} (HTTP 401): the secret key is wrong, or the tenant is in another region "
            "(set AUTHSIGNAL_URL to its region's API URL)",
        )
    if response.status_code != 200:
        return problem(setting, f"trying it at {url} answered HTTP {response.status_code}")
    return ok(setting, f"accepted by {url}")


# ----- the session store -------------------------------------------------------------
def check_session_store(store) -> list[Result]:
    """Sign-ins and signed-in sessions need a store that answers and accepts writes."""
    from .session_store import RedisSessionStore, SessionStoreUnavailable

    setting = "SESSION_REDIS_URL" if isinstance(store, RedisSessionStore) else "SESSION_FILE_DIR"
    try:
        store.ping()
    except SessionStoreUnavailable as exc:
        return [problem(setting, f"the session store is unavailable: {exc}")]
    where = "Redis answers" if setting == "SESSION_REDIS_URL" else f"{store.directory} is writable"
    return [ok(setting, f"{where} (sessions are kept there)")]


# ----- the page --------------------------------------------------------------------
def check_web_sdk(sdk_dir: Path) -> list[Result]:
    """The page loads the Web SDK from node_modules, which is never committed."""
    bundle = sdk_dir / "index.min.js"
    if bundle.is_file():
        return [ok("node_modules", f"the Web SDK is installed ({bundle.name})")]
    return [problem("node_modules", f"{bundle} is missing: run `npm ci`")]


def run_checks(settings: Settings, environ: Mapping[str, str], sdk_dir: Path, store) -> list[Result]:
    return [
        *check_cognito(settings),
        *check_jwks(settings),
        *check_authsignal(settings, environ.get("AUTHSIGNAL_SECRET")),
        *check_session_store(store),
        *check_web_sdk(sdk_dir),
    ]


def summary(results: list[Result]) -> str:
    problems = sum(not result.ok for result in results)
    if problems:
        return f"{problems} problem(s) found."
    passed = sum(result.status is Status.OK for result in results)
    skips = len(results) - passed
    return f"All {passed} checks passed, {skips} skipped." if skips else f"All {passed} checks passed."


@click.command("check-config")
@with_appcontext
def check_config_command() -> None:
    """Check the configuration against Cognito and Authsignal; exit 1 on any problem."""
    settings: Settings = current_app.extensions["settings"]
    if settings.is_local:
        click.echo(f"Local mode: checking the local stack the app started (dev inbox {settings.dev_inbox_url}).")
    else:
        click.echo(f"Real mode: checking user pool {settings.cognito_user_pool_id} and {settings.authsignal_url}.")
    results = run_checks(settings, os.environ, WEB_SDK_DIR, current_app.extensions["session_store"])
    for result in results:
        click.echo(result.line())
    click.echo(summary(results))
    if any(not result.ok for result in results):
        sys.exit(1)
