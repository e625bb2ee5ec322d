"""`flask check-config` against the local emulators: all good with the suite's
settings, and each broken setting named on its own line, secrets never shown."""

from __future__ import annotations

import json
import os

import pytest

from app import create_app
from app.config_check import check_web_sdk
from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig
from tests.support.ports import free_port
from tests.support.servers import answering_server, closed_port

WRONG_AUTHSIGNAL_SECRET = "wrong-authsignal-secret-" + "q" * 24
WRONG_CLIENT_SECRET = "WrongClientSecret" + "7" * 20


@pytest.fixture(autouse=True)
def aws_and_authsignal_credentials(monkeypatch, authsignal_emulator):
    """The local Cognito accepts any signature, so fake AWS keys stand in for real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-aws-secret-access-key")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AUTHSIGNAL_SECRET", authsignal_emulator.config.secret)


def check(app):
    """Run the command; its exit code and its lines."""
    result = app.test_cli_runner().invoke(args=["check-config"])
    return result.exit_code, result.output.splitlines()


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("PROBLEM")]


def test_the_suite_settings_pass(make_app, local_cognito, authsignal_emulator):
    code, lines = check(make_app())

    assert code == 0, lines
    assert lines[0] == f"Real mode: checking user pool {local_cognito.user_pool_id} and {authsignal_emulator.base_url}."
    assert problems(lines) == []
    assert not any(line.startswith("skipped") for line in lines), lines
    assert lines[-1] == f"All {len(lines) - 2} checks passed."


def test_without_aws_credentials_the_pool_checks_are_skipped(make_app, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        empty = tmp_path / name.lower()
        empty.write_text("")
        monkeypatch.setenv(name, str(empty))

    code, lines = check(make_app())

    assert code == 0, lines
    assert any(line.startswith("skipped AWS credentials: none found") for line in lines), lines
    assert not any(line.startswith("ok      COGNITO_CLIENT_ID") for line in lines), lines
    assert lines[-1] == f"All {len(lines) - 3} checks passed, 1 skipped."


def test_an_unknown_pool(make_app, local_cognito):
    pool_id = f"{local_cognito.region}_NoSuchPool1"

    code, lines = check(make_app(environ={"COGNITO_USER_POOL_ID": pool_id}))

    assert code == 1
    assert (
        f"PROBLEM COGNITO_USER_POOL_ID: no user pool '{pool_id}' in {local_cognito.region} (ResourceNotFoundException)"
        in lines
    )
    assert any(line.startswith("PROBLEM COGNITO_USER_POOL_ID: ") and "jwks.json answered HTTP 404" in line
               for line in lines), lines
    assert "skipped COGNITO_CLIENT_ID: not checked, as the user pool could not be described" in lines
    assert lines[-1] == "2 problem(s) found."


def test_an_unknown_client(make_app, local_cognito):
    code, lines = check(make_app(environ={"COGNITO_CLIENT_ID": "nosuchclient123"}))

    assert code == 1
    assert problems(lines) == [
        f"PROBLEM COGNITO_CLIENT_ID: no app client 'nosuchclient123' in user pool {local_cognito.user_pool_id} "
        "(ResourceNotFoundException)"
    ]
    assert lines[-1] == "1 problem(s) found."


@pytest.mark.parametrize(
    "config, setting, named",
    [
        (CognitoEmulatorConfig(explicit_auth_flows=("ALLOW_REFRESH_TOKEN_AUTH",)), "COGNITO_CLIENT_ID",
         ["does not allow ALLOW_CUSTOM_AUTH ("]),
        (CognitoEmulatorConfig(triggers={"PreSignUp": "lambdas.pre_sign_up:handler"}), "COGNITO_USER_POOL_ID",
         ["lacks the trigger(s) DefineAuthChallenge, CreateAuthChallenge, VerifyAuthChallengeResponse in"]),
        (CognitoEmulatorConfig(prevent_user_existence_errors="LEGACY"), "COGNITO_CLIENT_ID",
         ["PreventUserExistenceErrors LEGACY: set it to ENABLED"]),
    ],
    ids=["no-custom-auth", "missing-triggers", "legacy-user-existence-errors"],
)
def test_a_misconfigured_pool_or_client(make_app, config, setting, named):
    with CognitoEmulator(config) as cognito:
        code, lines = check(make_app(cognito=cognito))

    assert code == 1
    assert len(problems(lines)) == 1, lines
    assert problems(lines)[0].startswith(f"PROBLEM {setting}: ")
    assert all(words in problems(lines)[0] for words in named), lines


def test_a_client_secret_set_for_a_client_without_one(make_app, local_cognito):
    code, lines = check(make_app(environ={"COGNITO_CLIENT_SECRET": WRONG_CLIENT_SECRET}))

    assert code == 1
    assert problems(lines) == [
        f"PROBLEM COGNITO_CLIENT_SECRET: set, but app client {local_cognito.client_id} has no secret: "
        "every sign-in would be refused; unset it"
    ]


def test_a_client_secret_missing_or_wrong(make_app):
    with CognitoEmulator(CognitoEmulatorConfig(with_client_secret=True)) as cognito:
        right_code, right = check(make_app(cognito=cognito))
        wrong_code, wrong = check(make_app(cognito=cognito, environ={"COGNITO_CLIENT_SECRET": WRONG_CLIENT_SECRET}))
        missing_code, missing = check(make_app(cognito=cognito, environ={"COGNITO_CLIENT_SECRET": ""}))

    assert right_code == 0, right
    assert wrong_code == 1
    assert problems(wrong) == [
        f"PROBLEM COGNITO_CLIENT_SECRET: does not match the secret of app client {cognito.client_id}: copy it again"
    ]
    assert missing_code == 1
    assert problems(missing) == [
        f"PROBLEM COGNITO_CLIENT_SECRET: not set, but app client {cognito.client_id} has a secret: "
        "every sign-in would be refused; set it"
    ]


def test_cognito_unreachable(make_app):
    with closed_port() as url:
        endpoint = url.removesuffix("/v1")
        code, lines = check(make_app(environ={"COGNITO_ENDPOINT_URL": endpoint}))

    assert code == 1
    assert f"PROBLEM COGNITO_ENDPOINT_URL: cannot reach Cognito at {endpoint} (EndpointConnectionError)" in lines
    assert any(line.startswith(f"PROBLEM COGNITO_ENDPOINT_URL: cannot reach the JWKS at {endpoint}/") for line in lines)
    assert len(problems(lines)) == 2, lines


def test_authsignal_unreachable(make_app):
    with closed_port() as url:
        code, lines = check(make_app(environ={"AUTHSIGNAL_URL": url}))

    assert code == 1
    assert problems(lines) == [f"PROBLEM AUTHSIGNAL_URL: cannot reach {url} (ConnectionError)"]
    assert "skipped AUTHSIGNAL_SECRET: not tried, as AUTHSIGNAL_URL does not answer" in lines


def test_a_wrong_authsignal_secret(make_app, authsignal_emulator, monkeypatch):
    monkeypatch.setenv("AUTHSIGNAL_SECRET", WRONG_AUTHSIGNAL_SECRET)

    code, lines = check(make_app())

    assert code == 1
    assert problems(lines) == [
        f"PROBLEM AUTHSIGNAL_SECRET: refused by {authsignal_emulator.base_url} (HTTP 401): the secret key is wrong, "
        "or the tenant is in another region (set AUTHSIGNAL_URL to its region's API URL)"
    ]


def test_without_authsignal_secret_the_tenant_check_is_skipped(make_app, monkeypatch):
    monkeypatch.delenv("AUTHSIGNAL_SECRET")

    code, lines = check(make_app())

    assert code == 0, lines
    assert any(line.startswith("skipped AUTHSIGNAL_SECRET: not in this environment") for line in lines), lines


def test_a_tenant_id_with_whitespace(make_app):
    code, lines = check(make_app(environ={"AUTHSIGNAL_TENANT_ID": "my tenant"}))

    assert code == 1
    assert problems(lines) == [
        "PROBLEM AUTHSIGNAL_TENANT_ID: 'my tenant' is empty or contains whitespace: copy it from the portal"
    ]


def test_secrets_never_appear_in_the_output(make_app, monkeypatch, authsignal_emulator):
    with CognitoEmulator(CognitoEmulatorConfig(with_client_secret=True)) as cognito:
        right = check(make_app(cognito=cognito))
        monkeypatch.setenv("AUTHSIGNAL_SECRET", WRONG_AUTHSIGNAL_SECRET)
        wrong = check(make_app(cognito=cognito, environ={"COGNITO_CLIENT_SECRET": WRONG_CLIENT_SECRET}))

    # Both secrets were checked, right and wrong...
    assert right[0] == 0, right
    named = [line.split(":")[0] for line in problems(wrong[1])]
    assert named == ["PROBLEM COGNITO_CLIENT_SECRET", "PROBLEM AUTHSIGNAL_SECRET"]
    # ...and none of them is shown.
    output = "\n".join(right[1] + wrong[1])
    secrets = (authsignal_emulator.config.secret, WRONG_AUTHSIGNAL_SECRET, cognito.client_secret, WRONG_CLIENT_SECRET,
               os.environ["AWS_SECRET_ACCESS_KEY"])
    assert [secret for secret in secrets if secret in output] == []


def test_a_missing_web_sdk(tmp_path):
    (result,) = check_web_sdk(tmp_path)

    assert not result.ok
    assert result.line() == f"PROBLEM node_modules: {tmp_path / 'index.min.js'} is missing: run `npm ci`"


def test_local_mode_checks_the_local_stack(tmp_path, monkeypatch):
    # The local stack points the in-process lambdas at its Authsignal through
    # the environment; monkeypatch puts the session's values back afterwards.
    for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    ports = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_AUTHSIGNAL_PORT": str(free_port())}
    app = create_app({"TESTING": True, "ENVIRON": {**ports, "LOCAL_STATE_DIR": str(tmp_path)}})

    code, lines = check(app)

    assert code == 0, lines
    assert lines[0].startswith("Local mode: checking the local stack")
    assert any(line.startswith("ok      COGNITO_CLIENT_ID") for line in lines), lines
    assert any(line.startswith("ok      AUTHSIGNAL_SECRET") for line in lines), lines
    assert lines[-1] == f"All {len(lines) - 2} checks passed."


def test_redis_is_checked_when_configured(make_app, redis_server):
    code, lines = check(make_app(environ={"SESSION_REDIS_URL": redis_server.url}))

    assert code == 0, lines
    assert "ok      SESSION_REDIS_URL: Redis answers (sessions are kept there)" in lines


def test_redis_unreachable(make_app):
    with closed_port() as url:
        redis_url = url.replace("http://", "redis://").removesuffix("/v1") + "/0"
        code, lines = check(make_app(environ={"SESSION_REDIS_URL": redis_url}))

    assert code == 1
    assert problems(lines) == ["PROBLEM SESSION_REDIS_URL: the session store is unavailable: cannot reach Redis: ConnectionError"]


# ----- the secret in an SSM parameter, read as the app reads it ------------------------
# A stand-in for SSM's endpoint (boto3 honours AWS_ENDPOINT_URL_SSM): it answers
# GetParameter with what a test gives it.
PARAMETER = "/authsignal/secret"


def ssm_answer(value: str) -> bytes:
    return json.dumps({"Parameter": {"Name": PARAMETER, "Type": "SecureString", "Value": value}}).encode()


def ssm_error(code: str) -> bytes:
    return json.dumps({"__type": code, "message": "refused"}).encode()


def check_with_parameter(make_app, monkeypatch, ssm_url: str):
    monkeypatch.delenv("AUTHSIGNAL_SECRET")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", ssm_url)
    return check(make_app(environ={"AUTHSIGNAL_SECRET": "", "AUTHSIGNAL_SECRET_PARAMETER": PARAMETER}))


def test_the_secret_in_its_parameter_is_read_and_tried(make_app, monkeypatch, authsignal_emulator):
    with answering_server(ssm_answer(authsignal_emulator.config.secret)) as (ssm_url, seen):
        code, lines = check_with_parameter(make_app, monkeypatch, ssm_url)

    assert seen == ["AmazonSSM.GetParameter"]
    assert f"ok      AUTHSIGNAL_SECRET_PARAMETER: accepted by {authsignal_emulator.base_url}" in lines
    assert not any(line.startswith("skipped AUTHSIGNAL_SECRET") for line in lines), lines
    assert authsignal_emulator.config.secret not in "\n".join(lines)


def test_a_wrong_secret_in_its_parameter(make_app, monkeypatch, authsignal_emulator):
    with answering_server(ssm_answer(WRONG_AUTHSIGNAL_SECRET)) as (ssm_url, _):
        code, lines = check_with_parameter(make_app, monkeypatch, ssm_url)

    assert code == 1
    assert problems(lines) == [
        f"PROBLEM AUTHSIGNAL_SECRET_PARAMETER: refused by {authsignal_emulator.base_url} (HTTP 401): the secret "
        "key is wrong, or the tenant is in another region (set AUTHSIGNAL_URL to its region's API URL)"
    ]
    assert WRONG_AUTHSIGNAL_SECRET not in "\n".join(lines)


@pytest.mark.parametrize("body, said", [
    pytest.param(ssm_error("ParameterNotFound"), "could not be read (ParameterNotFound): there is no such parameter in {region}: "
                 "check its name, and COGNITO_REGION", id="not-found"),
    pytest.param(ssm_error("AccessDeniedException"), "could not be read (AccessDeniedException): these AWS credentials may not "
                 "read it: allow ssm:GetParameter on it (and kms:Decrypt on its key)", id="access-denied"),
    pytest.param(ssm_error("ThrottlingException"), "could not be read (ThrottlingException): AWS refused the request",
                 id="other-refusal"),
    pytest.param(ssm_answer("  "), "is empty: put the tenant's secret key in it", id="empty"),
])
def test_a_parameter_that_cannot_be_read_is_named(make_app, monkeypatch, local_cognito, body, said):
    with answering_server(body, status=400 if b"__type" in body else 200) as (ssm_url, seen):
        code, lines = check_with_parameter(make_app, monkeypatch, ssm_url)

    assert code == 1
    assert problems(lines) == [
        f"PROBLEM AUTHSIGNAL_SECRET_PARAMETER: {PARAMETER} " + said.format(region=local_cognito.region)
    ]
    assert seen == ["AmazonSSM.GetParameter"]  # once: never retried


def test_ssm_unreachable(make_app, monkeypatch):
    with closed_port() as url:
        code, lines = check_with_parameter(make_app, monkeypatch, url.removesuffix("/v1"))

    assert code == 1
    assert problems(lines) == [
        f"PROBLEM AUTHSIGNAL_SECRET_PARAMETER: {PARAMETER} could not be read (EndpointConnectionError)"
    ]
