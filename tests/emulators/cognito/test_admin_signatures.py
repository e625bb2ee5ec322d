"""Admin operations need a signature, as on AWS (its form is checked, not its
value), and no web page can call them: a browser on another origin can
neither send an Authorization header nor read an answer. Public operations
stay unsigned and open to browsers, as Cognito's endpoint is."""

from __future__ import annotations

import json

import botocore.session
import pytest
import requests
from botocore.exceptions import ClientError
from flask import Flask

from emulators.background_server import BackgroundServer
from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

from .helpers import SIGV4_AUTHORIZATION, cognito_client, sign_up

TARGET = "AWSCognitoIdentityProviderService"
MISSING_TOKEN = {"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"}


def admin_calls(emulator, email: str) -> dict[str, tuple[str, dict]]:
    """Every signed operation the emulator serves: boto3 method and arguments."""
    pool = emulator.user_pool_id
    return {
        "AdminGetUser": ("admin_get_user", {"UserPoolId": pool, "Username": email}),
        "AdminDeleteUser": ("admin_delete_user", {"UserPoolId": pool, "Username": email}),
        "ListUserPools": ("list_user_pools", {"MaxResults": 10}),
        "DescribeUserPool": ("describe_user_pool", {"UserPoolId": pool}),
        "ListUserPoolClients": ("list_user_pool_clients", {"UserPoolId": pool}),
        "DescribeUserPoolClient": ("describe_user_pool_client", {"UserPoolId": pool, "ClientId": emulator.client_id}),
    }


SIGNED_OPERATIONS = [
    "AdminGetUser", "AdminDeleteUser", "ListUserPools", "DescribeUserPool", "ListUserPoolClients",
    "DescribeUserPoolClient",
]


def post(emulator, operation: str, body: dict, headers: dict | None = None, origin: str | None = None):
    sent = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{TARGET}.{operation}", **(headers or {})}
    if origin:
        sent["Origin"] = origin
    return requests.post(emulator.endpoint_url, headers=sent, data=json.dumps(body), timeout=5)


def exists(emulator, email: str) -> bool:
    admin = cognito_client(emulator, signed=True)
    try:
        admin.admin_get_user(UserPoolId=emulator.user_pool_id, Username=email)
    except admin.exceptions.UserNotFoundException:
        return False
    return True


@pytest.mark.parametrize("operation", SIGNED_OPERATIONS)
def test_admin_operations_need_a_signature_and_any_made_up_one_does(cognito, cognito_emulator, email, operation):
    sub = sign_up(cognito, cognito_emulator, email)
    method, arguments = admin_calls(cognito_emulator, email)[operation]

    with pytest.raises(ClientError) as refused:
        getattr(cognito, method)(**arguments)  # unsigned
    assert exists(cognito_emulator, email)
    response = getattr(cognito_client(cognito_emulator, signed=True), method)(**arguments)

    error = refused.value.response
    assert error["Error"] == {"Code": "MissingAuthenticationTokenException", "Message": "Missing Authentication Token"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    if operation == "AdminGetUser":
        assert response["Username"] == sub
    assert exists(cognito_emulator, email) is (operation != "AdminDeleteUser")


def test_an_operation_the_emulator_lacks_is_refused_unsigned_before_being_named(cognito, cognito_emulator):
    with pytest.raises(ClientError) as refused:
        cognito.admin_create_user(UserPoolId=cognito_emulator.user_pool_id, Username="someone@example.com")

    assert refused.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer abc",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/cognito-idp/aws4_request",
        "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=local/2025-01-01/us-east-1/cognito-idp/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/cognito-idp/aws4_request, "
        "SignedHeaders=host, Signature=not-hex",
        "AWS AKIDEXAMPLE:signature-version-2",
    ],
)
def test_a_malformed_authorization_header_is_a_missing_authentication_token(
    cognito, cognito_emulator, email, authorization
):
    sign_up(cognito, cognito_emulator, email)

    response = post(
        cognito_emulator, "AdminDeleteUser", {"UserPoolId": cognito_emulator.user_pool_id, "Username": email},
        headers={"Authorization": authorization},
    )

    assert response.status_code == 400
    assert response.json() == MISSING_TOKEN
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException:"
    assert exists(cognito_emulator, email)


def test_the_public_operations_are_those_aws_serves_unsigned():
    from emulators.cognito.protocol import PUBLIC_OPERATIONS

    model = botocore.session.get_session().get_service_model("cognito-idp")

    unsigned = {name for name in model.operation_names if model.operation_model(name).auth_type == "none"}

    assert PUBLIC_OPERATIONS == unsigned
    assert {"SignUp", "InitiateAuth", "RespondToAuthChallenge", "GetUser", "GlobalSignOut", "RevokeToken",
            "GetTokensFromRefreshToken"} <= unsigned


def test_public_operations_answer_any_origin_and_admin_ones_no_origin(cognito_emulator):
    origin = "http://evil.example"
    public = post(cognito_emulator, "GetUser", {"AccessToken": "x"}, origin=origin)
    unsigned_admin = post(cognito_emulator, "ListUserPools", {"MaxResults": 1}, origin=origin)
    signed_admin = post(
        cognito_emulator, "ListUserPools", {"MaxResults": 1}, headers={"Authorization": SIGV4_AUTHORIZATION},
        origin=origin,
    )

    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-amzn-RequestId" in public.headers["Access-Control-Expose-Headers"]
    assert signed_admin.status_code == 200
    assert unsigned_admin.json() == MISSING_TOKEN
    for response in (unsigned_admin, signed_admin):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_the_preflight_allows_what_browser_sdks_send_but_never_authorization(cognito_emulator):
    def preflight(requested: str) -> requests.Response:
        return requests.options(
            cognito_emulator.endpoint_url,
            headers={
                "Origin": "http://localhost:5173",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": requested,
            },
            timeout=5,
        )

    amplify = preflight("cache-control,content-type,x-amz-target,x-amz-user-agent")
    forged = preflight("authorization,content-type,x-amz-date,x-amz-target")

    assert amplify.status_code == forged.status_code == 200
    assert amplify.headers["Access-Control-Allow-Origin"] == "*"
    assert set(amplify.headers["Access-Control-Allow-Headers"].split(",")) == {
        "cache-control", "content-type", "x-amz-target", "x-amz-user-agent",
    }
    assert set(forged.headers["Access-Control-Allow-Headers"].split(",")) == {
        "content-type", "x-amz-date", "x-amz-target",
    }


ATTACK = """
async ({endpoint, pool, email, authorization}) => {
  const call = async (operation, headers, init = {}) => {
    try {
      const response = await fetch(endpoint, {
        method: "POST", body: JSON.stringify({UserPoolId: pool, Username: email}), ...init,
        headers: {"Content-Type": "application/x-amz-json-1.1",
                  "X-Amz-Target": "AWSCognitoIdentityProviderService." + operation, ...headers},
      });
      return {type: response.type, status: response.status,
              body: response.type === "opaque" ? null : await response.text()};
    } catch (error) {
      return {error: String(error)};
    }
  };
  return {
    forged: await call("AdminDeleteUser", {"Authorization": authorization}),
    unsigned: await call("AdminDeleteUser", {}),
    noCors: await call("AdminDeleteUser", {"Authorization": authorization}, {mode: "no-cors"}),
    publicCall: await call("GetUser", {}, {body: JSON.stringify({AccessToken: "x"})}),
  };
}
"""


@pytest.fixture
def recorded_emulator(fake_triggers):
    """A local Cognito of the test's own that records what reaches it:
    (method, X-Amz-Target, whether an Authorization header came)."""
    emulator = CognitoEmulator(CognitoEmulatorConfig(triggers=fake_triggers.mapping()))
    received: list[tuple[str, str | None, bool]] = []
    serve = emulator.app.wsgi_app

    def record(environ, start_response):
        received.append(
            (environ["REQUEST_METHOD"], environ.get("HTTP_X_AMZ_TARGET"), "HTTP_AUTHORIZATION" in environ)
        )
        return serve(environ, start_response)

    emulator.app.wsgi_app = record
    with emulator:
        yield emulator, received


@pytest.fixture
def other_origin():
    """Some other site the developer visits, on its own origin."""
    site = Flask("some_other_site")
    site.add_url_rule("/", "index", lambda: "<!doctype html><title>Some other site</title>")
    with BackgroundServer(site) as server:
        yield server.origin


@pytest.mark.browser
def test_a_page_on_another_origin_cannot_call_admin_delete_user(page, recorded_emulator, other_origin, email):
    emulator, received = recorded_emulator
    sign_up(cognito_client(emulator), emulator, email)
    page.goto(f"{other_origin}/")

    results = page.evaluate(
        ATTACK,
        {"endpoint": emulator.endpoint_url, "pool": emulator.user_pool_id, "email": email,
         "authorization": SIGV4_AUTHORIZATION},
    )

    assert exists(emulator, email), f"the page deleted the user: {results}"
    # With a made-up signature: the preflight does not allow Authorization,
    # so the browser never sends the POST.
    assert "Failed to fetch" in results["forged"].get("error", ""), results["forged"]
    # Without one, the POST is refused, and the page may not read the answer.
    assert "Failed to fetch" in results["unsigned"].get("error", ""), results["unsigned"]
    # no-cors drops the Authorization and X-Amz-Target headers; the answer is opaque.
    assert results["noCors"] == {"type": "opaque", "status": 0, "body": None}
    # The same page may call a public operation and read its answer.
    assert results["publicCall"]["status"] == 400
    assert json.loads(results["publicCall"]["body"]) == {
        "__type": "NotAuthorizedException", "message": "Invalid Access Token",
    }
    posts = [(target, authorized) for method, target, authorized in received if method == "POST"]
    admin_target = f"{TARGET}.AdminDeleteUser"
    assert (admin_target, True) not in posts, "no admin call with an Authorization header reached it"
    assert (admin_target, False) in posts
    assert (None, False) in posts  # the no-cors one, without its headers
