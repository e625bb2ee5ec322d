"""deploy/template.yaml, read as data and checked against the code it deploys."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import cfn_yaml

from app.cognito import dummy_password
from deploy.stack import TEMPLATE

TRIGGER_MODULES = {
    "PreSignUp": "lambdas.pre_sign_up",
    "DefineAuthChallenge": "lambdas.define_auth_challenge",
    "CreateAuthChallenge": "lambdas.create_auth_challenge",
    "VerifyAuthChallengeResponse": "lambdas.verify_auth_challenge_response",
}
#: What lambdas/settings.py reads.
LAMBDA_SETTINGS = {"AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET_PARAMETER", "AUTHSIGNAL_ACTION", "AUTHSIGNAL_SECRET",
                   "AUTHSIGNAL_TIMEOUT_SECONDS", "SIGN_IN_FLOW", "AUTHSIGNAL_REDIRECT_URL"}


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn_yaml.load(str(TEMPLATE))


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def trigger_functions(resources) -> dict[str, str]:
    """Trigger name -> logical id of the function the pool calls."""
    config = resources["UserPool"]["Properties"]["LambdaConfig"]
    return {name: value["Fn::GetAtt"][0] for name, value in config.items()}


def test_cfn_lint_passes():
    matches = lint_file(Path(TEMPLATE))

    assert [str(match) for match in matches] == []


def test_the_pool_calls_each_trigger_handler_of_the_code(resources):
    functions = trigger_functions(resources)

    assert set(functions) == set(TRIGGER_MODULES)
    for trigger, logical_id in functions.items():
        handler = resources[logical_id]["Properties"]["Handler"]
        module_name, _, attribute = handler.rpartition(".")
        assert module_name == TRIGGER_MODULES[trigger]
        assert callable(getattr(importlib.import_module(module_name), attribute))


def test_cognito_may_invoke_each_trigger_for_this_pool_only(resources):
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]

    for logical_id in trigger_functions(resources).values():
        [permission] = [p for p in permissions if p["FunctionName"] == {"Fn::GetAtt": [logical_id, "Arn"]}]
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["Principal"] == "cognito-idp.amazonaws.com"
        assert permission["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}


def test_the_pool_and_client_allow_exactly_this_flow(resources):
    pool = resources["UserPool"]["Properties"]
    client = resources["UserPoolClient"]["Properties"]

    assert pool["UsernameAttributes"] == ["email"]
    assert client["ExplicitAuthFlows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    assert client["AuthSessionValidity"] == {"Ref": "AuthSessionValidityMinutes"}


def test_refresh_token_rotation_is_a_parameter_off_by_default(resources, template):
    """Off by default: the Flask server refreshes with REFRESH_TOKEN_AUTH,
    which a client with rotation refuses. The parameter's range is AWS's (and
    the local Cognito's)."""
    from emulators.cognito.config import MAX_RETRY_GRACE_PERIOD_SECONDS, REFRESH_TOKEN_ROTATION

    rotation = template["Parameters"]["RefreshTokenRotation"]
    grace = template["Parameters"]["RefreshTokenRetryGracePeriodSeconds"]
    client = resources["UserPoolClient"]["Properties"]

    assert rotation["Default"] == "DISABLED"
    assert set(rotation["AllowedValues"]) == set(REFRESH_TOKEN_ROTATION)
    assert (grace["MinValue"], grace["MaxValue"]) == (0, MAX_RETRY_GRACE_PERIOD_SECONDS)
    assert template["Conditions"]["RotateRefreshTokens"] == {
        "Fn::Equals": [{"Ref": "RefreshTokenRotation"}, "ENABLED"]
    }
    assert client["RefreshTokenRotation"] == {
        "Fn::If": [
            "RotateRefreshTokens",
            {"Feature": "ENABLED", "RetryGracePeriodSeconds": {"Ref": "RefreshTokenRetryGracePeriodSeconds"}},
            {"Feature": "DISABLED"},
        ]
    }


def test_the_sign_in_flow_is_a_parameter_that_reaches_define_create_and_verify(resources, template):
    """Passwordless by default; the values are those lambdas/settings.py accepts,
    and the three triggers that decide or run the steps all get it."""
    from lambdas.settings import PASSWORDLESS, SIGN_IN_FLOWS

    parameter = template["Parameters"]["SignInFlow"]
    functions = trigger_functions(resources)

    assert parameter["Type"] == "String"
    assert parameter["Default"] == PASSWORDLESS
    assert parameter["AllowedValues"] == list(SIGN_IN_FLOWS)
    for trigger in ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse"):
        variables = resources[functions[trigger]]["Properties"]["Environment"]["Variables"]
        assert variables["SIGN_IN_FLOW"] == {"Ref": "SignInFlow"}, trigger
    pre_sign_up = resources[functions["PreSignUp"]]["Properties"]
    assert "SIGN_IN_FLOW" not in pre_sign_up.get("Environment", {}).get("Variables", {})


def test_neither_flow_lets_a_password_alone_sign_in(resources):
    """password_mfa runs through CUSTOM_AUTH with SRP too: whatever SignInFlow
    says, the client allows neither USER_SRP_AUTH nor USER_PASSWORD_AUTH, and
    the local Cognito's default client is the same."""
    from emulators.cognito.config import DEFAULT_EXPLICIT_AUTH_FLOWS

    client = resources["UserPoolClient"]["Properties"]

    assert client["ExplicitAuthFlows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert list(DEFAULT_EXPLICIT_AUTH_FLOWS) == client["ExplicitAuthFlows"]
    assert "SignInFlow" not in str(client)
    assert "SignInFlow" in str(resources["DefineAuthChallengeFunction"])


def test_the_sign_up_dummy_password_meets_the_pool_policy(resources):
    policy = resources["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]

    for password in (dummy_password() for _ in range(50)):
        assert len(password) >= policy["MinimumLength"]
        assert re.search("[a-z]", password) and re.search("[A-Z]", password)
        assert re.search("[0-9]", password) and re.search(r"[\^$*.\[\]{}()?\"!@#%&/\\,><':;|_~`=+-]", password)


def test_triggers_get_only_settings_the_code_reads_and_never_the_secret_itself(resources, template):
    for trigger, logical_id in trigger_functions(resources).items():
        function = resources[logical_id]["Properties"]
        variables = set(function.get("Environment", {}).get("Variables", {}))
        assert variables <= LAMBDA_SETTINGS
        assert "AUTHSIGNAL_SECRET" not in variables
        if trigger in ("CreateAuthChallenge", "VerifyAuthChallengeResponse"):
            common = {"AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET_PARAMETER", "AUTHSIGNAL_ACTION", "SIGN_IN_FLOW"}
            # Only Create tracks, so only Create needs where redirect mode returns to.
            assert variables == (common | {"AUTHSIGNAL_REDIRECT_URL"} if trigger == "CreateAuthChallenge" else common)
        assert function["Timeout"] <= 5, "Cognito waits 5 seconds for a trigger"
    # The secret key is never a stack parameter: only the name of the SSM parameter holding it.
    assert {name for name in template["Parameters"] if name.startswith("Authsignal")} == {
        "AuthsignalApiUrl", "AuthsignalSecretParameterName", "AuthsignalAction", "AuthsignalRedirectUrl",
    }


def role_statements(resources, role: str) -> list[dict]:
    policies = resources[role]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def test_roles_have_least_privilege(resources):
    roles = {
        logical_id: resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        for logical_id in trigger_functions(resources).values()
    }
    plain = role_statements(resources, roles["PreSignUpFunction"])
    authsignal = role_statements(resources, roles["CreateAuthChallengeFunction"])

    assert roles["PreSignUpFunction"] == roles["DefineAuthChallengeFunction"]
    assert roles["CreateAuthChallengeFunction"] == roles["VerifyAuthChallengeResponseFunction"]
    assert roles["PreSignUpFunction"] != roles["CreateAuthChallengeFunction"]
    for statement in plain + authsignal:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)
        assert "*" not in str(statement["Resource"])
    assert {a for s in plain for a in s["Action"]} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    [read_secret] = [s for s in authsignal if s["Action"] == "ssm:GetParameter"]
    assert "${AuthsignalSecretParameterName}" in read_secret["Resource"]["Fn::Sub"]


def test_the_outputs_are_what_the_app_needs(template):
    from deploy.stack import Deployer

    outputs = {key: "x" for key in template["Outputs"]}
    settings = Deployer(sts=None, ssm=None, s3=None, cloudformation=None, cognito=_NoSecretCognito())._app_settings(
        {**outputs, "CognitoUserPoolId": "eu-west-1_Abc", "CognitoClientId": "abc"}
    )

    assert set(settings) == {"COGNITO_REGION", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "AUTHSIGNAL_URL", "SIGN_IN_FLOW"}


class _NoSecretCognito:
    def describe_user_pool_client(self, UserPoolId, ClientId):
        return {"UserPoolClient": {"ClientId": ClientId}}
