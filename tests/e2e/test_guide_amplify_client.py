"""The client calls of Authsignal's Cognito + Amplify example SPA, in headless
Chromium, with the real aws-amplify v6 and the real Web SDK, unmodified,
against the local Cognito (the project's lambdas as triggers) and the local
Authsignal: what a Node/React developer's copy of the guide does offline.

The calls live in tests/e2e/amplify_client/main.js; `make setup` bundles them
with esbuild into build/amplify-client.js, which a page on its own origin
loads. The test calls them one step at a time (``window.guide``) and checks
each answer, what went over the wire to the local Cognito, and, with boto3,
that a global sign-out really revoked the refresh token.
"""

from __future__ import annotations

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Flask, send_file
from playwright.sync_api import expect

from emulators.background_server import BackgroundServer
from tests.conftest import ROOT, skip_or_fail
from tests.emulators.authsignal.helpers import latest_code, send_code_in_ui

pytestmark = pytest.mark.browser

SOURCE = ROOT / "tests" / "e2e" / "amplify_client"
BUNDLE = ROOT / "build" / "amplify-client.js"
POPUP = "#__authsignal-popup-iframe"

SPA_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authsignal + Amplify example</title>
<script src="/amplify-client.js"></script></head>
<body><h1>Authsignal + Amplify example</h1></body></html>"""


@pytest.fixture(scope="module")
def amplify_client_bundle():
    if not BUNDLE.is_file():
        skip_or_fail(f"{BUNDLE.relative_to(ROOT)} is missing: run `make setup` (esbuild bundles it)")
    built = BUNDLE.stat().st_mtime
    if any(source.stat().st_mtime > built for source in SOURCE.glob("*.js")):
        skip_or_fail(f"{BUNDLE.relative_to(ROOT)} is older than {SOURCE.relative_to(ROOT)}/: run `make setup`")
    return BUNDLE


@pytest.fixture(scope="module")
def spa_origin(amplify_client_bundle):
    """The SPA's own origin, apart from both emulators' (CORS, the popup's iframe)."""
    app = Flask("guide_spa")
    app.add_url_rule("/", "index", lambda: SPA_PAGE)
    app.add_url_rule(
        "/amplify-client.js", "bundle", lambda: send_file(amplify_client_bundle, mimetype="text/javascript")
    )
    with BackgroundServer(app) as server:
        yield server.origin


@pytest.fixture
def cognito(local_cognito):
    """boto3 as a backend would use it, for the public operations (unsigned)."""
    return boto3.client(
        "cognito-idp", region_name=local_cognito.region, endpoint_url=local_cognito.endpoint_url,
        config=Config(signature_version=UNSIGNED),
    )


class Spa:
    """The page running the guide's calls, and what it sent to the local Cognito."""

    def __init__(self, page, cognito_url: str):
        self.page = page
        self.cognito_url = cognito_url.rstrip("/")
        #: (operation, HTTP status) of every call Amplify made to the local Cognito.
        self.cognito_calls: list[tuple[str, int]] = []
        self.page_errors: list[str] = []
        page.on("response", self._record)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _record(self, response) -> None:
        request = response.request
        if request.method == "POST" and response.url.rstrip("/") == self.cognito_url:
            operation = (request.headers.get("x-amz-target") or "").rpartition(".")[2]
            self.cognito_calls.append((operation, response.status))

    def call(self, step: str, *args):
        """Run a step to its end; its value, or the test fails with its error."""
        result = self.page.evaluate("([step, args]) => guide.call(step, ...args)", [step, list(args)])
        assert result["ok"], f"{step} failed: {result['error']}"
        return result["value"]

    def call_failing(self, step: str, *args) -> dict:
        result = self.page.evaluate("([step, args]) => guide.call(step, ...args)", [step, list(args)])
        assert not result["ok"], f"{step} succeeded: {result['value']}"
        return result["error"]

    def start(self, name: str, step: str, *args) -> None:
        self.page.evaluate("([name, step, args]) => guide.start(name, step, ...args)", [name, step, list(args)])

    def outcome(self, name: str):
        result = self.page.evaluate("name => guide.outcome(name)", name)
        assert result["ok"], f"{name} failed: {result['error']}"
        return result["value"]

    def stored_refresh_tokens(self) -> set[str]:
        """Amplify's default token store: localStorage."""
        return set(
            self.page.evaluate(
                "() => Object.keys(localStorage).filter(k => k.endsWith('.refreshToken'))"
                ".map(k => localStorage.getItem(k))"
            )
        )


@pytest.fixture
def spa(page, spa_origin, local_cognito, authsignal_emulator) -> Spa:
    spa = Spa(page, local_cognito.endpoint_url)
    page.goto(f"{spa_origin}/")
    spa.call(
        "configure",
        {
            "userPoolId": local_cognito.user_pool_id,
            "userPoolClientId": local_cognito.client_id,
            "userPoolEndpoint": local_cognito.endpoint_url,
            "tenantId": authsignal_emulator.config.tenant_id,
            "baseUrl": authsignal_emulator.base_url,
        },
    )
    yield spa
    assert spa.page_errors == []


def sign_in_like_the_guide(spa: Spa, authsignal_emulator, email: str) -> None:
    """signIn (CUSTOM_WITHOUT_SRP), the pre-built UI in the Web SDK's popup
    (email OTP from the dev inbox), confirmSignIn with the popup's token."""
    started = spa.call("startSignIn", email)
    assert started["isSignedIn"] is False
    assert started["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
    url = started["nextStep"]["additionalInfo"]["url"]
    assert url.startswith(f"{authsignal_emulator.origin}/")

    token = pass_the_popup(spa, authsignal_emulator, email, url)

    assert spa.call("answerChallenge", token) == {"isSignedIn": True, "nextStep": {"signInStep": "DONE"}}


def pass_the_popup(spa: Spa, authsignal_emulator, email: str, url: str) -> str:
    """The pre-built UI in the Web SDK's popup: Send code, the email OTP from
    the local Authsignal's inbox, Verify; the popup's token."""
    spa.start("popup", "launchPopup", url)
    ui = spa.page.frame_locator(POPUP)
    expect(ui.locator("#send-step")).to_contain_text(email)
    send_code_in_ui(ui)
    ui.get_by_label("Verification code").fill(latest_code(authsignal_emulator, email))
    ui.get_by_role("button", name="Verify", exact=True).click()
    token = spa.outcome("popup")["token"]
    assert token
    expect(spa.page.locator(POPUP)).to_have_count(0)
    return token


def refresh_with(cognito, local_cognito, refresh_token: str) -> dict:
    return cognito.initiate_auth(
        ClientId=local_cognito.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh_token},
    )


def test_a_new_user_signs_up_signs_in_refreshes_and_signs_out_everywhere(
    spa, local_cognito, authsignal_emulator, cognito, email
):
    signed_up = spa.call("signUpIfNew", email)
    assert signed_up["created"] is True
    assert signed_up["output"]["isSignUpComplete"] is True  # the PreSignUp lambda confirms
    assert signed_up["output"]["nextStep"] == {"signUpStep": "DONE"}
    sub = signed_up["output"]["userId"]

    sign_in_like_the_guide(spa, authsignal_emulator, email)

    user = spa.call("currentUser")
    assert (user["userId"], user["username"]) == (sub, sub)  # the pool's user name is the sub
    assert user["signInDetails"] == {"loginId": email, "authFlowType": "CUSTOM_WITHOUT_SRP"}
    before = spa.call("session")["tokens"]
    assert before["idTokenPayload"]["email"] == email
    assert before["accessTokenPayload"]["sub"] == sub
    refresh_tokens = spa.stored_refresh_tokens()
    assert len(refresh_tokens) == 1

    after = spa.call("session", {"forceRefresh": True})
    assert after["userSub"] == sub
    tokens = after["tokens"]
    assert tokens["accessToken"] != before["accessToken"]
    assert tokens["idToken"] != before["idToken"]
    assert tokens["accessTokenPayload"]["jti"] != before["accessTokenPayload"]["jti"]
    for claim in ("sub", "username", "client_id", "origin_jti", "auth_time"):
        assert tokens["accessTokenPayload"][claim] == before["accessTokenPayload"][claim], claim
    assert tokens["idTokenPayload"]["email"] == email
    refresh_tokens |= spa.stored_refresh_tokens()  # the same one, or a rotated one
    for refresh_token in refresh_tokens:
        assert "AccessToken" in refresh_with(cognito, local_cognito, refresh_token)["AuthenticationResult"]
    assert cognito.get_user(AccessToken=tokens["accessToken"])["Username"] == sub

    spa.call("signOutEverywhere")

    # Amplify swallows a failed GlobalSignOut; the wire says whether it worked.
    assert spa.cognito_calls == [
        ("SignUp", 200),
        ("InitiateAuth", 200),
        ("RespondToAuthChallenge", 200),
        ("GetTokensFromRefreshToken", 200),
        ("GlobalSignOut", 200),
    ]
    assert spa.call_failing("currentUser")["name"] == "UserUnAuthenticatedException"
    assert spa.stored_refresh_tokens() == set()
    for refresh_token in refresh_tokens:
        with pytest.raises(ClientError) as refused:
            refresh_with(cognito, local_cognito, refresh_token)
        assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as refused:
        cognito.get_user(AccessToken=tokens["accessToken"])
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_returning_user_skips_sign_up_and_signs_in(spa, local_cognito, authsignal_emulator, cognito, email):
    # An earlier visit signed the user up, as the guide's SPA does.
    sub = cognito.sign_up(ClientId=local_cognito.client_id, Username=email, Password="Aa1!returning-user")["UserSub"]

    signed_up = spa.call("signUpIfNew", email)
    assert signed_up["created"] is False
    assert signed_up["error"]["name"] == "UsernameExistsException"

    sign_in_like_the_guide(spa, authsignal_emulator, email)

    assert spa.call("currentUser")["userId"] == sub
    assert spa.call("session")["tokens"]["idTokenPayload"]["email"] == email
    assert spa.cognito_calls == [("SignUp", 400), ("InitiateAuth", 200), ("RespondToAuthChallenge", 200)]
