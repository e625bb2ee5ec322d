"""The guide's second flow, password + MFA, in headless Chromium: the real
aws-amplify v6, unmodified, against the local Cognito (the project's lambdas
as triggers, SIGN_IN_FLOW=password_mfa) and the local Authsignal.

The SPA signs up with a real password, then signs in with
``authFlowType: "CUSTOM_WITH_SRP"``: Amplify sends InitiateAuth CUSTOM_AUTH
with SRP_A, answers Cognito's PASSWORD_VERIFIER itself (SRP), and its next
step is the Authsignal challenge, completed in the Web SDK's popup as in the
passwordless test. A forgotten password is reset with resetPassword /
confirmResetPassword, the code read from the local Cognito's dev inbox.
"""

from __future__ import annotations

import pytest

from tests.emulators.authsignal.helpers import latest_code

from .test_guide_amplify_client import (  # noqa: F401  (fixtures shared with the passwordless test)
    Spa,
    amplify_client_bundle,
    pass_the_popup,
    spa,
    spa_origin,
)

pytestmark = pytest.mark.browser

PASSWORD = "Guide-Passw0rd!"
NEW_PASSWORD = "Guide-N3w-Passw0rd!"
INCORRECT = {"name": "NotAuthorizedException", "message": "Incorrect username or password."}


@pytest.fixture
def password_mfa(monkeypatch):
    """The triggers read SIGN_IN_FLOW at each call: set for this test only."""
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")


def masked(email: str) -> str:
    local, domain = email.split("@")
    return f"{local[0]}***@{domain[0]}***"


def challenge_url(started: dict, authsignal_emulator) -> str:
    assert started["isSignedIn"] is False
    assert started["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
    url = started["nextStep"]["additionalInfo"]["url"]
    assert url.startswith(f"{authsignal_emulator.origin}/")
    return url


def test_sign_up_with_a_password_then_password_and_authsignal_challenge(
    password_mfa, spa, local_cognito, authsignal_emulator, email
):
    signed_up = spa.call("signUpWithPassword", email, PASSWORD)
    assert signed_up["isSignUpComplete"] is True
    sub = signed_up["userId"]

    started = spa.call("startSignInWithPassword", email, PASSWORD)
    url = challenge_url(started, authsignal_emulator)
    token = pass_the_popup(spa, authsignal_emulator, email, url)

    assert spa.call("answerChallenge", token) == {"isSignedIn": True, "nextStep": {"signInStep": "DONE"}}
    user = spa.call("currentUser")
    assert (user["userId"], user["username"]) == (sub, sub)
    assert user["signInDetails"] == {"loginId": email, "authFlowType": "CUSTOM_WITH_SRP"}
    tokens = spa.call("session")["tokens"]
    assert tokens["idTokenPayload"]["email"] == email
    assert tokens["accessTokenPayload"]["sub"] == sub
    assert spa.cognito_calls == [
        ("SignUp", 200),
        ("InitiateAuth", 200),            # CUSTOM_AUTH with SRP_A: PASSWORD_VERIFIER
        ("RespondToAuthChallenge", 200),  # the password claim: CUSTOM_CHALLENGE
        ("RespondToAuthChallenge", 200),  # the Authsignal token: tokens
    ]


def test_a_wrong_password_is_not_authorized_and_no_challenge_is_started(
    password_mfa, spa, local_cognito, authsignal_emulator, email
):
    spa.call("signUpWithPassword", email, PASSWORD)

    assert spa.call_failing("startSignInWithPassword", email, "Wr0ng-Passw0rd!") == INCORRECT

    assert spa.call_failing("currentUser")["name"] == "UserUnAuthenticatedException"
    assert spa.cognito_calls == [("SignUp", 200), ("InitiateAuth", 200), ("RespondToAuthChallenge", 400)]
    # The right password still reaches the challenge.
    challenge_url(spa.call("startSignInWithPassword", email, PASSWORD), authsignal_emulator)


def test_a_forgotten_password_is_reset_with_the_code_from_the_dev_inbox(
    password_mfa, spa, local_cognito, authsignal_emulator, email
):
    spa.call("signUpWithPassword", email, PASSWORD)

    requested = spa.call("requestPasswordReset", email)

    assert requested == {
        "isPasswordReset": False,
        "nextStep": {
            "resetPasswordStep": "CONFIRM_RESET_PASSWORD_WITH_CODE",
            "codeDeliveryDetails": {"deliveryMedium": "EMAIL", "destination": masked(email), "attributeName": "email"},
        },
    }
    code = latest_code(local_cognito, email)  # the local Cognito's own inbox, same shape as Authsignal's
    assert spa.call_failing("confirmPasswordReset", email, f"{(int(code) + 1) % 1_000_000:06d}", NEW_PASSWORD) == {
        "name": "CodeMismatchException", "message": "Invalid verification code provided, please try again.",
    }
    assert spa.call("confirmPasswordReset", email, code, NEW_PASSWORD) == {"reset": True}

    assert spa.call_failing("startSignInWithPassword", email, PASSWORD) == INCORRECT
    url = challenge_url(spa.call("startSignInWithPassword", email, NEW_PASSWORD), authsignal_emulator)
    token = pass_the_popup(spa, authsignal_emulator, email, url)
    assert spa.call("answerChallenge", token)["isSignedIn"] is True


def test_a_pool_in_passwordless_mode_refuses_the_password_flow(monkeypatch, spa, local_cognito, email):
    monkeypatch.delenv("SIGN_IN_FLOW", raising=False)
    spa.call("signUpWithPassword", email, PASSWORD)

    assert spa.call_failing("startSignInWithPassword", email, PASSWORD) == INCORRECT
    assert spa.cognito_calls == [("SignUp", 200), ("InitiateAuth", 400)]
