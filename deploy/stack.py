"""Deploy and tear down the CloudFormation stack of ``deploy/template.yaml``
with boto3: the artifact bucket, the triggers' zip, the stack, and the
settings the app's ``.env`` needs. The AWS clients are passed in, so tests can
stub them."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

TEMPLATE = Path(__file__).resolve().parent / "template.yaml"


class DeployError(RuntimeError):
    """Something the user must fix; the message says what."""


@dataclass(frozen=True)
class DeployOptions:
    stack_name: str
    region: str
    bucket: str | None = None
    authsignal_url: str = "https://api.authsignal.com/v1"
    secret_parameter: str = "/authsignal-cognito/secret-key"
    action: str = "cognitoAuth"
    client_secret: bool = False
    auth_session_validity_minutes: int = 3
    runtime: str = "python3.13"
    sign_in_flow: str = "passwordless"
    redirect_url: str = ""
    refresh_token_rotation: bool = False


class Deployer:
    def __init__(self, *, sts, ssm, s3, cloudformation, cognito, log=print):
        self.sts, self.ssm, self.s3 = sts, ssm, s3
        self.cloudformation, self.cognito = cloudformation, cognito
        self.log = log

    # ----- up -------------------------------------------------------------------
    def deploy(self, options: DeployOptions, lambda_zip: Path, authsignal_secret: str | None = None) -> dict[str, str]:
        """Deploy or update the stack; return the settings for the app's .env."""
        account, partition = self._caller()
        self._ensure_secret_parameter(options.secret_parameter, authsignal_secret)
        bucket = options.bucket or default_bucket_name(options.stack_name, account, options.region)
        self._ensure_bucket(bucket, options.region, account, partition)
        key = f"lambdas/{lambda_zip.name}"
        self._upload(bucket, key, lambda_zip, account)
        parameters = {
            "LambdaCodeBucket": bucket,
            "LambdaCodeKey": key,
            "PythonRuntime": options.runtime,
            "AuthsignalApiUrl": options.authsignal_url,
            "AuthsignalSecretParameterName": options.secret_parameter,
            "AuthsignalAction": options.action,
            "GenerateClientSecret": "true" if options.client_secret else "false",
            "AuthSessionValidityMinutes": str(options.auth_session_validity_minutes),
            "SignInFlow": options.sign_in_flow,
            "AuthsignalRedirectUrl": options.redirect_url,
            "RefreshTokenRotation": "ENABLED" if options.refresh_token_rotation else "DISABLED",
        }
        outputs = self._create_or_update(options.stack_name, parameters)
        return self._app_settings(outputs)

    def _caller(self) -> tuple[str, str]:
        """The account and partition (aws, aws-cn, ...) of the credentials in use."""
        try:
            identity = self.sts.get_caller_identity()
        except ClientError as exc:
            raise DeployError(f"AWS credentials are not usable: {exc.response['Error']['Message']}") from None
        return identity["Account"], identity["Arn"].split(":")[1]

    def _ensure_secret_parameter(self, name: str, secret: str | None) -> None:
        try:
            self.ssm.get_parameter(Name=name, WithDecryption=False)
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ParameterNotFound":
                raise
        if not secret:
            raise DeployError(
                f"SSM parameter {name} does not exist. Create it with your Authsignal secret key:\n"
                f"  aws ssm put-parameter --name {name} --type SecureString --value <secret key>\n"
                "or run this command with AUTHSIGNAL_SECRET set in the environment."
            )
        self.ssm.put_parameter(
            Name=name, Value=secret, Type="SecureString",
            Description="Authsignal secret key for the Cognito triggers",
        )
        self.log(f"Stored the Authsignal secret key in SSM parameter {name} (SecureString).")

    def _ensure_bucket(self, bucket: str, region: str, owner: str, partition: str) -> None:
        """Create the bucket if missing, and refuse one we do not own: its objects would become the triggers."""
        try:
            self.s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=owner)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in ("403", "AccessDenied", "Forbidden"):
                raise DeployError(foreign_bucket_message(bucket)) from None
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise DeployError(f"S3 bucket {bucket} is not usable: {code}") from None
            self._create_bucket(bucket, region, owner)
        self._require_tls(bucket, owner, partition)

    def _create_bucket(self, bucket: str, region: str, owner: str) -> None:
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        try:
            self.s3.create_bucket(Bucket=bucket, **extra)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "BucketAlreadyExists":
                raise DeployError(foreign_bucket_message(bucket)) from None
            raise
        self.s3.put_public_access_block(
            Bucket=bucket, ExpectedBucketOwner=owner,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True,
                "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
            },
        )
        self.log(f"Created the artifact bucket {bucket}.")

    def _require_tls(self, bucket: str, owner: str, partition: str) -> None:
        """Deny plain-HTTP requests to the bucket, keeping the statements its policy already has."""
        statement = tls_only_statement(bucket, partition)
        policy = self._bucket_policy(bucket, owner)
        statements = policy.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        if statement in statements:
            return
        policy["Statement"] = [s for s in statements if s.get("Sid") != statement["Sid"]] + [statement]
        self.s3.put_bucket_policy(Bucket=bucket, ExpectedBucketOwner=owner, Policy=json.dumps(policy))
        self.log(f"The artifact bucket {bucket} now refuses requests not over TLS.")

    def _bucket_policy(self, bucket: str, owner: str) -> dict:
        try:
            return json.loads(self.s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=owner)["Policy"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise
        return {"Version": "2012-10-17", "Statement": []}

    def _upload(self, bucket: str, key: str, path: Path, owner: str) -> None:
        """Always upload, so an object already under the key (from anyone) is replaced by this zip;
        S3 checks the SHA-256 on arrival."""
        body = path.read_bytes()
        self.s3.put_object(
            Bucket=bucket, Key=key, Body=body, ExpectedBucketOwner=owner, ChecksumSHA256=sha256_base64(body),
        )
        self.log(f"Uploaded s3://{bucket}/{key}.")

    def _create_or_update(self, stack_name: str, parameters: dict[str, str]) -> dict[str, str]:
        arguments = {
            "StackName": stack_name,
            "TemplateBody": TEMPLATE.read_text(),
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            "Capabilities": ["CAPABILITY_IAM"],
        }
        if self._stack_status(stack_name) is None:
            self.log(f"Creating stack {stack_name}...")
            self.cloudformation.create_stack(**arguments, OnFailure="ROLLBACK")
            self._wait("stack_create_complete", stack_name)
        else:
            self.log(f"Updating stack {stack_name}...")
            try:
                self.cloudformation.update_stack(**arguments)
            except ClientError as exc:
                if "No updates are to be performed" not in exc.response["Error"]["Message"]:
                    raise DeployError(f"CloudFormation refused the update: {exc.response['Error']['Message']}") from None
                self.log("No changes.")
            else:
                self._wait("stack_update_complete", stack_name)
        stack = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}

    def _stack_status(self, stack_name: str) -> str | None:
        try:
            stack = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError as exc:
            if "does not exist" in exc.response["Error"]["Message"]:
                return None
            raise
        return stack["StackStatus"]

    def _wait(self, waiter: str, stack_name: str) -> None:
        try:
            self.cloudformation.get_waiter(waiter).wait(StackName=stack_name, WaiterConfig={"Delay": 10, "MaxAttempts": 90})
        except Exception as exc:  # WaiterError: the stack failed or rolled back
            raise DeployError(
                f"Stack {stack_name} did not finish ({exc}). See its events: "
                f"aws cloudformation describe-stack-events --stack-name {stack_name}"
            ) from None

    def _app_settings(self, outputs: dict[str, str]) -> dict[str, str]:
        settings = {
            "COGNITO_REGION": outputs["CognitoRegion"],
            "COGNITO_USER_POOL_ID": outputs["CognitoUserPoolId"],
            "COGNITO_CLIENT_ID": outputs["CognitoClientId"],
            "AUTHSIGNAL_URL": outputs["AuthsignalUrl"],
            "SIGN_IN_FLOW": outputs["SignInFlow"],
        }
        client = self.cognito.describe_user_pool_client(
            UserPoolId=settings["COGNITO_USER_POOL_ID"], ClientId=settings["COGNITO_CLIENT_ID"]
        )["UserPoolClient"]
        if client.get("ClientSecret"):
            settings["COGNITO_CLIENT_SECRET"] = client["ClientSecret"]
        return settings

    # ----- down -----------------------------------------------------------------
    def destroy(self, stack_name: str) -> None:
        if self._stack_status(stack_name) is None:
            raise DeployError(f"There is no stack {stack_name} to delete.")
        self.log(f"Deleting stack {stack_name} (its user pool and all its users)...")
        self.cloudformation.delete_stack(StackName=stack_name)
        self._wait("stack_delete_complete", stack_name)


def default_bucket_name(stack_name: str, account: str, region: str) -> str:
    return f"{stack_name.lower()}-artifacts-{account}-{region}"[:63].rstrip("-")


def foreign_bucket_message(bucket: str) -> str:
    return (
        f"S3 bucket {bucket} belongs to another AWS account or is not accessible to you. "
        "Pass --bucket with a bucket of your own."
    )


def tls_only_statement(bucket: str, partition: str) -> dict:
    """The bucket-policy statement denying every request not made over TLS."""
    arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Sid": "DenyRequestsNotOverTLS",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def sha256_base64(data: bytes) -> str:
    """The form S3's ChecksumSHA256 takes."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def env_file_text(settings: dict[str, str]) -> str:
    """The lines to put in the app's .env (a fresh FLASK_SECRET_KEY included)."""
    lines = [
        "# From `python -m deploy up`; fill in AUTHSIGNAL_TENANT_ID from the Authsignal portal.",
        f"FLASK_SECRET_KEY={secrets.token_urlsafe(48)}",
        *(f"{key}={value}" for key, value in settings.items()),
        "AUTHSIGNAL_TENANT_ID=",
    ]
    return "\n".join(lines) + "\n"
