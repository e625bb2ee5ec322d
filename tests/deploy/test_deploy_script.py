"""The deploy script's calls to AWS, with botocore's Stubber in AWS's place."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import boto3
import pytest
from botocore.stub import ANY, Stubber

import deploy.__main__ as cli
from deploy.stack import TEMPLATE, Deployer, DeployError, DeployOptions, env_file_text, tls_only_statement

REGION = "eu-west-1"
ACCOUNT = "123456789012"
STACK = "authsignal-passwordless"
BUCKET = f"{STACK}-artifacts-{ACCOUNT}-{REGION}"
ZIP_BYTES = b"PK zip bytes"
ZIP_SHA256 = base64.b64encode(hashlib.sha256(ZIP_BYTES).digest()).decode()
TLS_ONLY = {
    "Sid": "DenyRequestsNotOverTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "UserId": "AIDAEXAMPLEUSERID01"}
OUTPUTS = [
    {"OutputKey": "CognitoRegion", "OutputValue": REGION},
    {"OutputKey": "CognitoUserPoolId", "OutputValue": "eu-west-1_AbC123dEf"},
    {"OutputKey": "CognitoClientId", "OutputValue": "3n4b5urk1ft4fl3mg5e62d9ado"},
    {"OutputKey": "AuthsignalUrl", "OutputValue": "https://eu.api.authsignal.com/v1"},
    {"OutputKey": "SignInFlow", "OutputValue": "password_mfa"},
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
    path.write_bytes(ZIP_BYTES)
    return path


@pytest.fixture
def s3_calls(aws):
    """Every S3 call the deployer makes: (operation model, parameters)."""
    clients, _ = aws
    calls = []
    clients["s3"].meta.events.register(
        "before-parameter-build.s3", lambda params, model, **kwargs: calls.append((model, dict(params)))
    )
    return calls


def owned(params: dict) -> dict:
    return {**params, "ExpectedBucketOwner": ACCOUNT}


def no_bucket_policy(stubber, bucket=BUCKET):
    stubber.add_client_error("get_bucket_policy", service_error_code="NoSuchBucketPolicy", http_status_code=404,
                             expected_params=owned({"Bucket": bucket}))


def uploads_the_zip(stubber, key, bucket=BUCKET):
    stubber.add_response("put_object", {}, owned({"Bucket": bucket, "Key": key, "Body": ZIP_BYTES,
                                                  "ChecksumSHA256": ZIP_SHA256}))


def deploys_with_no_stack_changes(stub):
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE"))
    stub["cloudformation"].add_client_error(
        "update_stack", service_error_code="ValidationError", service_message="No updates are to be performed."
    )
    stub["cloudformation"].add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS))
    stub["cognito"].add_response("describe_user_pool_client", {"UserPoolClient": {"ClientId": "c"}})


def quiet(clients) -> Deployer:
    return Deployer(**clients, log=lambda message: None)


def no_such_stack(stubber):
    stubber.add_client_error(
        "describe_stacks", service_error_code="ValidationError",
        service_message=f"Stack with id {STACK} does not exist", expected_params={"StackName": STACK},
    )


def test_a_first_deploy_creates_everything(aws, lambda_zip):
    clients, stub = aws
    options = DeployOptions(stack_name=STACK, region=REGION, authsignal_url="https://eu.api.authsignal.com/v1",
                            client_secret=True, auth_session_validity_minutes=5, sign_in_flow="password_mfa",
                            refresh_token_rotation=True, redirect_url="https://app.example.com/auth/callback")
    bucket = BUCKET
    key = f"lambdas/{lambda_zip.name}"
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_client_error("get_parameter", service_error_code="ParameterNotFound")
    stub["ssm"].add_response(
        "put_parameter", {"Version": 1},
        {"Name": "/authsignal-cognito/secret-key", "Value": "the-secret", "Type": "SecureString", "Description": ANY},
    )
    stub["s3"].add_client_error("head_bucket", service_error_code="404", http_status_code=404,
                                expected_params=owned({"Bucket": bucket}))
    stub["s3"].add_response("create_bucket", {}, {"Bucket": bucket, "CreateBucketConfiguration": {"LocationConstraint": REGION}})
    stub["s3"].add_response("put_public_access_block", {}, owned({
        "Bucket": bucket,
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                           "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
    }))
    no_bucket_policy(stub["s3"])
    stub["s3"].add_response("put_bucket_policy", {}, owned({"Bucket": bucket, "Policy": ANY}))
    uploads_the_zip(stub["s3"], key)
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
                {"ParameterKey": "SignInFlow", "ParameterValue": "password_mfa"},
                {"ParameterKey": "AuthsignalRedirectUrl", "ParameterValue": "https://app.example.com/auth/callback"},
                {"ParameterKey": "RefreshTokenRotation", "ParameterValue": "ENABLED"},
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
        "SIGN_IN_FLOW": "password_mfa",
        "COGNITO_CLIENT_SECRET": "client-secret-value-0123456789",
    }


def test_a_repeat_deploy_with_no_changes_updates_nothing(aws, lambda_zip):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_response("head_bucket", {}, owned({"Bucket": BUCKET}))
    stub["s3"].add_response("get_bucket_policy", {"Policy": json.dumps({"Statement": [TLS_ONLY]})},
                            owned({"Bucket": BUCKET}))
    uploads_the_zip(stub["s3"], f"lambdas/{lambda_zip.name}")
    deploys_with_no_stack_changes(stub)
    logged = []

    settings = Deployer(**clients, log=logged.append).deploy(DeployOptions(STACK, REGION), lambda_zip)

    assert "COGNITO_CLIENT_SECRET" not in settings
    assert "No changes." in logged


def test_a_bucket_of_another_account_is_refused_and_nothing_is_uploaded(aws, lambda_zip):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_client_error("head_bucket", service_error_code="403", http_status_code=403,
                                expected_params=owned({"Bucket": BUCKET}))

    with pytest.raises(DeployError, match=f"{BUCKET} belongs to another AWS account or is not accessible.*--bucket"):
        quiet(clients).deploy(DeployOptions(STACK, REGION), lambda_zip)


def test_a_bucket_name_taken_meanwhile_is_refused(aws, lambda_zip):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_client_error("head_bucket", service_error_code="404", http_status_code=404)
    stub["s3"].add_client_error("create_bucket", service_error_code="BucketAlreadyExists", http_status_code=409)

    with pytest.raises(DeployError, match="belongs to another AWS account"):
        quiet(clients).deploy(DeployOptions(STACK, REGION), lambda_zip)


@pytest.mark.parametrize("bucket_exists", [False, True])
def test_every_s3_call_names_the_expected_bucket_owner(aws, s3_calls, lambda_zip, bucket_exists):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    if bucket_exists:
        stub["s3"].add_response("head_bucket", {})
    else:
        stub["s3"].add_client_error("head_bucket", service_error_code="404", http_status_code=404)
        stub["s3"].add_response("create_bucket", {})
        stub["s3"].add_response("put_public_access_block", {})
    no_bucket_policy(stub["s3"])
    stub["s3"].add_response("put_bucket_policy", {})
    stub["s3"].add_response("put_object", {})
    deploys_with_no_stack_changes(stub)

    quiet(clients).deploy(DeployOptions(STACK, REGION), lambda_zip)

    owner_checked = {model.name: params.get("ExpectedBucketOwner") for model, params in s3_calls
                     if "ExpectedBucketOwner" in model.input_shape.members}
    assert owner_checked == {name: ACCOUNT for name in owner_checked}
    assert {"HeadBucket", "GetBucketPolicy", "PutBucketPolicy", "PutObject"} <= owner_checked.keys()
    assert ("PutPublicAccessBlock" in owner_checked) is not bucket_exists
    unchecked = {model.name for model, _ in s3_calls} - owner_checked.keys()
    assert unchecked == (set() if bucket_exists else {"CreateBucket"})  # CreateBucket does not take the header


def test_a_zip_already_under_the_key_is_uploaded_again(aws, s3_calls, lambda_zip):
    """The object there may not be ours (or may be stale): never trust it, replace it."""
    clients, stub = aws
    key = f"lambdas/{lambda_zip.name}"
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_response("head_bucket", {}, owned({"Bucket": BUCKET}))
    stub["s3"].add_response("get_bucket_policy", {"Policy": json.dumps({"Statement": [TLS_ONLY]})})
    uploads_the_zip(stub["s3"], key)
    deploys_with_no_stack_changes(stub)

    quiet(clients).deploy(DeployOptions(STACK, REGION), lambda_zip)

    assert [model.name for model, _ in s3_calls] == ["HeadBucket", "GetBucketPolicy", "PutObject"]


def put_policy(s3_calls) -> dict:
    [policy] = [json.loads(params["Policy"]) for model, params in s3_calls if model.name == "PutBucketPolicy"]
    return policy


def test_a_new_bucket_refuses_requests_not_over_tls(aws, s3_calls, lambda_zip):
    clients, stub = aws
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_client_error("head_bucket", service_error_code="404", http_status_code=404)
    stub["s3"].add_response("create_bucket", {})
    stub["s3"].add_response("put_public_access_block", {})
    no_bucket_policy(stub["s3"])
    stub["s3"].add_response("put_bucket_policy", {}, owned({"Bucket": BUCKET, "Policy": ANY}))
    uploads_the_zip(stub["s3"], f"lambdas/{lambda_zip.name}")
    deploys_with_no_stack_changes(stub)

    quiet(clients).deploy(DeployOptions(STACK, REGION), lambda_zip)

    assert put_policy(s3_calls) == {"Version": "2012-10-17", "Statement": [TLS_ONLY]}


def test_an_existing_bucket_of_ours_gains_tls_only_and_keeps_its_policy(aws, s3_calls, lambda_zip):
    clients, stub = aws
    bucket = "my-own-artifacts"
    theirs = {"Sid": "LetCiRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"},
              "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    stub["sts"].add_response("get_caller_identity", IDENTITY)
    stub["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/authsignal-cognito/secret-key"}})
    stub["s3"].add_response("head_bucket", {}, owned({"Bucket": bucket}))
    existing = json.dumps({"Version": "2012-10-17", "Statement": [theirs]})
    stub["s3"].add_response("get_bucket_policy", {"Policy": existing}, owned({"Bucket": bucket}))
    stub["s3"].add_response("put_bucket_policy", {}, owned({"Bucket": bucket, "Policy": ANY}))
    uploads_the_zip(stub["s3"], f"lambdas/{lambda_zip.name}", bucket=bucket)
    deploys_with_no_stack_changes(stub)

    quiet(clients).deploy(DeployOptions(STACK, REGION, bucket=bucket), lambda_zip)

    assert put_policy(s3_calls) == {"Version": "2012-10-17",
                                    "Statement": [theirs, tls_only_statement(bucket, "aws")]}


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


def test_the_env_file_is_created_owner_only_and_never_chmodded(tmp_path, monkeypatch):
    """Created 0600 in one step: no moment when another user could read the secrets."""
    monkeypatch.setattr(cli, "build_lambda_zip", lambda output, runtime: tmp_path / "lambdas.zip")
    env_file = tmp_path / "new.env"
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, flags, mode=0o777, **kw: opened.append((path, flags, mode))
                        or real_open(path, flags, mode, **kw))
    for name in ("chmod", "fchmod", "lchmod"):
        monkeypatch.setattr(os, name, lambda *args, **kwargs: pytest.fail("chmod called"), raising=False)
    umask = os.umask(0)
    try:
        code = cli.main(["up", "--region", REGION, "--env-file", str(env_file)],
                        deployer_factory=lambda region: FakeDeployer())
    finally:
        os.umask(umask)

    assert code == 0
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    [(_, flags, mode)] = [call for call in opened if str(call[0]) == str(env_file)]
    assert flags & (os.O_CREAT | os.O_EXCL) == os.O_CREAT | os.O_EXCL and mode == 0o600


def test_an_env_file_appearing_during_the_deploy_is_left_alone(tmp_path, monkeypatch, capsys):
    env_file = tmp_path / "new.env"

    class RacedDeployer(FakeDeployer):
        def deploy(self, *args, **kwargs):
            env_file.write_text("KEEP=me\n")
            return super().deploy(*args, **kwargs)

    monkeypatch.setattr(cli, "build_lambda_zip", lambda output, runtime: tmp_path / "lambdas.zip")

    code = cli.main(["up", "--region", REGION, "--env-file", str(env_file)],
                    deployer_factory=lambda region: RacedDeployer())

    assert code == 1
    assert env_file.read_text() == "KEEP=me\n"
    out, err = capsys.readouterr()
    assert "left as it was" in err
    assert "COGNITO_USER_POOL_ID=eu-west-1_X" in out


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
