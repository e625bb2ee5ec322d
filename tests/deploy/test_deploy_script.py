"""The deploy script's calls to AWS, with botocore's Stubber in AWS's place."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

import deploy.__main__ as cli
from deploy.stack import TEMPLATE, Deployer, DeployError, DeployOptions, env_file_text

REGION = "eu-west-1"
ACCOUNT = "123456789012"
STACK = "authsignal-passwordless"
IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "UserId": "AIDAEXAMPLEUSERID01"}
OUTPUTS = [
    {"OutputKey": "CognitoRegion", "OutputValue": REGION},
    {"OutputKey": "CognitoUserPoolId", "OutputValue": "eu-west-1_AbC123dEf"},
    {"OutputKey": "CognitoClientId", "OutputValue": "3n4b5urk1ft4fl3mg5e62d9ado"},
    {"OutputKey": "AuthsignalUrl", "OutputValue": "https://eu.api.authsignal.com/v1"},
]


def stack(status: str, outputs=None) -> dict:
    return {"Stacks": [{"StackName": STACK, "StackStatus": status, "CreationTime": "2026-11-25T00:00:00Z",
                        **({"Outputs": outputs} if outputs else {})}]}


@pytest.fixture
def aws():
    clients = {
        name: boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        for name, service in [("sts", "sts"), ("ssm", "ssm"), ("s3", "s3"),
                              ("cloudformation", "cloudformation"), ("cognito", "cognito-idp")]
    }
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield clients, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


@pytest.fixture
def lambda_zip(tmp_path):
    path = tmp_path / "lambdas-python3.13-0123456789abcdef.zip"
    path.write_bytes(b"PK zip bytes")
    return path


def no_such_stack(stubber):
    stubber.add_client_error(
        "describe_stacks", service_error_code="ValidationError",
        service_message=f"Stack with id {STACK} does not exist", expected_params={"StackName": STACK},
    )


def test_a_first_deploy_creates_everything(aws, lambda_zip):
    clients, stub = aws
    options = DeployOptions(stack_name=STACK, region=REGION, authsignal_url="https://eu.api.authsignal.com/v1",
                            client_secret=True, auth_session_validity_minutes=5)
    bucket = f"{STACK}-artifacts-{ACCOUNT}-{REGION}"
    key = f"lambdas/{lambda_zip.name}"
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_client_error("get_parameter", service_error_code="ParameterNotFound")
    stub["ssm"].add_response(
        "put_parameter", {"Version": 1},
        {"Name": "/authsignal-cognito/secret-key", "Value": "the-secret", "Type": "SecureString", "Description": ANY},
    )
    stub["s3"].add_client_error("head_bucket", service_error_code="404", http_status_code=404)
    stub["s3"].add_response("create_bucket", {}, {"Bucket": bucket, "CreateBucketConfiguration": {"LocationConstraint": REGION}})
    stub["s3"].add_response("put_public_access_block", {}, {"Bucket": bucket, "PublicAccessBlockConfiguration": ANY})
    stub["s3"].add_client_error("head_object", service_error_code="404", http_status_code=404)
    stub["s3"].add_response("put_object", {}, {"Bucket": bucket, "Key": key, "Body": b"PK zip bytes"})
    no_such_stack(stub["cloudformation"])
    stub["cloudformation"].add_response(
        "create_stack", {"StackId": "arn:stack"},
        {
            "StackName": STACK, "TemplateBody": TEMPLATE.read_text(), "Capabilities": ["CAPABILITY_IAM"],
            "OnFailure": "ROLLBACK",
            "Parameters": [
                {"ParameterKey": "LambdaCodeBucket", "ParameterValue": bucket},
                {"ParameterKey": "LambdaCodeKey", "ParameterValue": key},
                {"ParameterKey": "PythonRuntime", "ParameterValue": "python3.13"},
                {"ParameterKey": "AuthsignalApiUrl", "ParameterValue": "https://eu.api.authsignal.com/v1"},
                {"ParameterKey": "AuthsignalSecretParameterName", "ParameterValue": "/authsignal-cognito/secret-key"},
                {"ParameterKey": "AuthsignalAction", "ParameterValue": "cognitoAuth"},
                {"ParameterKey": "GenerateClientSecret", "ParameterValue": "true"},
                {"ParameterKey": "AuthSessionValidityMinutes", "ParameterValue": "5"},
            ],
        },
    )
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE"))  # the waiter
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS))
    stub["cognito"].add_response(
        "describe_user_pool_client",
        {"UserPoolClient": {"ClientId": "3n4b5urk1ft4fl3mg5e62d9ado", "ClientSecret": "client-secret-value-0123456789"}},
        {"UserPoolId": "eu-west-1_AbC123dEf", "ClientId": "3n4b5urk1ft4fl3mg5e62d9ado"},
    )

    settings = Deployer(**clients, log=lambda message: None).deploy(options, lambda_zip, authsignal_secret="the-secret")

    assert settings == {
        "COGNITO_REGION": REGION,
        "COGNITO_USER_POOL_ID": "eu-west-1_AbC123dEf",
        "COGNITO_CLIENT_ID": "3n4b5urk1ft4fl3mg5e62d9ado",
        "AUTHSIGNAL_URL": "https://eu.api.authsignal.com/v1",
        "COGNITO_CLIENT_SECRET": "client-secret-value-0123456789",
    }


def test_a_repeat_deploy_with_no_changes_updates_nothing(aws, lambda_zip):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_response("head_bucket", {})
    stub["s3"].add_response("head_object", {})
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE"))
    stub["cloudformation"].add_client_error(
        "update_stack", service_error_code="ValidationError", service_message="No updates are to be performed."
    )
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS))
    stub["cognito"].add_response("describe_user_pool_client", {"UserPoolClient": {"ClientId": "c"}})
    logged = []

    settings = Deployer(**clients, log=logged.append).deploy(DeployOptions(STACK, REGION), lambda_zip)

    assert "COGNITO_CLIENT_SECRET" not in settings
    assert "No changes." in logged


def test_a_missing_secret_parameter_says_how_to_create_it(aws, lambda_zip):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_client_error("get_parameter", service_error_code="ParameterNotFound")

    with pytest.raises(DeployError, match="aws ssm put-parameter --name /authsignal-cognito/secret-key --type SecureString"):
        Deployer(**clients).deploy(DeployOptions(STACK, REGION), lambda_zip, authsignal_secret=None)


def test_unusable_credentials_are_reported(aws, lambda_zip):
    clients, stub = aws
    stub["sts"].add_client_error("get_caller_identity", service_error_code="InvalidClientTokenId",
                                 service_message="The security token included in the request is invalid.")

    with pytest.raises(DeployError, match="AWS credentials are not usable: The security token"):
        Deployer(**clients).deploy(DeployOptions(STACK, REGION), lambda_zip)


def test_down_deletes_the_stack(aws):
    clients, stub = aws
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE"))
    stub["cloudformation"].add_response("delete_stack", {}, {"StackName": STACK})
    no_such_stack(stub["cloudformation"])  # the waiter: gone

    Deployer(**clients, log=lambda message: None).destroy(STACK)


def test_down_without_a_stack_says_so(aws):
    clients, stub = aws
    no_such_stack(stub["cloudformation"])

    with pytest.raises(DeployError, match=f"There is no stack {STACK} to delete."):
        Deployer(**clients).destroy(STACK)


def test_the_env_text_has_everything_but_the_tenant_id():
    text = env_file_text({"COGNITO_USER_POOL_ID": "eu-west-1_X", "COGNITO_CLIENT_ID": "c"})
    lines = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))

    assert lines["COGNITO_USER_POOL_ID"] == "eu-west-1_X"
    assert len(lines["FLASK_SECRET_KEY"]) >= 32
    assert lines["AUTHSIGNAL_TENANT_ID"] == ""


class FakeDeployer:
    def __init__(self):
        self.calls = []

    def deploy(self, options, lambda_zip, authsignal_secret=None):
        self.calls.append(("deploy", options, authsignal_secret))
        return {"COGNITO_USER_POOL_ID": "eu-west-1_X", "COGNITO_CLIENT_ID": "c"}

    def destroy(self, stack_name):
        self.calls.append(("destroy", stack_name))


def test_up_writes_a_new_env_file(tmp_path, monkeypatch, capsys):
    fake = FakeDeployer()
    monkeypatch.setattr(cli, "build_lambda_zip", lambda output, runtime: tmp_path / "lambdas.zip")
    monkeypatch.setenv("AUTHSIGNAL_SECRET", "from-env")
    env_file = tmp_path / "new.env"

    code = cli.main(["up", "--region", REGION, "--client-secret", "--env-file", str(env_file)],
                    deployer_factory=lambda region: fake)

    assert code == 0
    [(_, options, secret)] = fake.calls
    assert (options.region, options.client_secret, secret) == (REGION, True, "from-env")
    assert "COGNITO_USER_POOL_ID=eu-west-1_X" in env_file.read_text()
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    assert "from-env" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["up"], "--region is required"),
        (["up", "--region", REGION, "--auth-session-validity", "20"], "invalid choice"),
    ],
)
def test_bad_arguments_are_refused(argv, message, monkeypatch, capsys):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    with pytest.raises(SystemExit):
        cli.parse_args(argv)

    assert message in capsys.readouterr().err


def test_an_existing_env_file_is_never_overwritten(tmp_path, capsys):
    existing = tmp_path / ".env"
    existing.write_text("KEEP=me\n")

    with pytest.raises(SystemExit):
        cli.parse_args(["up", "--region", REGION, "--env-file", str(existing)])

    assert existing.read_text() == "KEEP=me\n"
    assert "exists already" in capsys.readouterr().err
