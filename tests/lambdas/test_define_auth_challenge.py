import pytest

from lambdas import define_auth_challenge

from . import events
from .events import step

ASK = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
ASK_PASSWORD = {"challengeName": "PASSWORD_VERIFIER", "issueTokens": False, "failAuthentication": False}
ISSUE = {"challengeName": None, "issueTokens": True, "failAuthentication": False}
FAIL = {"challengeName": None, "issueTokens": False, "failAuthentication": True}

#: The steps Cognito records for Amplify's CUSTOM_WITH_SRP (no metadata: no Create ran for them).
SRP = step(True, "SRP_A", None)
PASSWORD_RIGHT = step(True, "PASSWORD_VERIFIER", None)
PASSWORD_WRONG = step(False, "PASSWORD_VERIFIER", None)


@pytest.fixture
def passwordless(monkeypatch):
    monkeypatch.delenv("SIGN_IN_FLOW", raising=False)


@pytest.fixture
def password_mfa(monkeypatch):
    """The flow is read at each call, so setting it for the test is enough."""
    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")


def decide(session, **kwargs) -> dict:
    event = events.define_auth_challenge(session, **kwargs)
    result = define_auth_challenge.handler(event, None)
    assert result is event
    return result["response"]


@pytest.mark.parametrize(
    "session, decision",
    [
        pytest.param([], ASK, id="first-round-asks-for-the-challenge"),
        pytest.param([step(True)], ISSUE, id="a-right-answer-issues-tokens"),
        pytest.param([step(False)], ASK, id="one-wrong-answer-asks-again"),
        pytest.param([step(False), step(False)], ASK, id="two-wrong-answers-ask-again"),
        pytest.param([step(False), step(False), step(True)], ISSUE, id="right-on-the-third-try"),
        pytest.param([step(False)] * 3, FAIL, id="three-wrong-answers-fail"),
        pytest.param([step(None, "SRP_A", None)], FAIL, id="srp-is-not-ours"),
        pytest.param([SRP], FAIL, id="a-successful-srp-start-is-not-ours-either"),
        pytest.param([SRP, PASSWORD_RIGHT], FAIL, id="nor-a-right-password"),
        pytest.param([step(True, "PASSWORD_VERIFIER", None), step(True)], FAIL, id="password-step-is-not-ours"),
        pytest.param([step(True, metadata="SOMEONE_ELSES")], FAIL, id="another-custom-challenge-is-not-ours"),
    ],
)
def test_passwordless_decides_from_the_session(passwordless, session, decision):
    assert decide(session) == decision


def test_passwordless_is_the_default_and_an_empty_setting_means_it(monkeypatch):
    monkeypatch.setenv("SIGN_IN_FLOW", "")
    assert decide([]) == ASK
    assert decide([SRP]) == FAIL


def test_passwordless_fails_an_unknown_user_without_a_challenge(passwordless):
    assert decide([], user_not_found=True) == FAIL


@pytest.mark.parametrize(
    "session, decision",
    [
        pytest.param([SRP], ASK_PASSWORD, id="srp-start-asks-for-the-password"),
        pytest.param([SRP, PASSWORD_RIGHT], ASK, id="a-right-password-asks-for-our-challenge"),
        pytest.param([SRP, PASSWORD_RIGHT, step(True)], ISSUE, id="then-a-right-answer-issues-tokens"),
        pytest.param([SRP, PASSWORD_RIGHT, step(False)], ASK, id="one-wrong-answer-asks-again"),
        pytest.param([SRP, PASSWORD_RIGHT, step(False), step(False), step(True)], ISSUE, id="right-on-the-third-try"),
        pytest.param([SRP, PASSWORD_RIGHT, *[step(False)] * 3], FAIL, id="three-wrong-answers-fail"),
        pytest.param([SRP, PASSWORD_WRONG], FAIL, id="a-wrong-password-fails"),
        pytest.param([], FAIL, id="custom-auth-without-srp-never-skips-the-password"),
        pytest.param([step(True)], FAIL, id="our-challenge-alone-is-not-enough"),
        pytest.param([step(False, "SRP_A", None)], FAIL, id="a-failed-srp-start-fails"),
        pytest.param([step(None, "SRP_A", None)], FAIL, id="an-srp-start-without-a-result-fails"),
        pytest.param([PASSWORD_RIGHT], FAIL, id="a-password-without-srp-start-fails"),
        pytest.param([SRP, SRP], FAIL, id="srp-twice-fails"),
        pytest.param([SRP, step(True)], FAIL, id="our-challenge-instead-of-the-password-fails"),
        pytest.param([SRP, PASSWORD_RIGHT, PASSWORD_RIGHT], FAIL, id="the-password-twice-fails"),
        pytest.param([SRP, PASSWORD_RIGHT, step(True, metadata="SOMEONE_ELSES")], FAIL, id="another-apps-challenge"),
        pytest.param([SRP, PASSWORD_RIGHT, step(False), SRP], FAIL, id="srp-after-our-challenge-fails"),
        pytest.param([step(True), SRP, PASSWORD_RIGHT], FAIL, id="password-after-our-challenge-fails"),
        pytest.param([{"challengeName": "SRP_A", "challengeResult": "true"}], FAIL, id="results-must-be-booleans"),
    ],
)
def test_password_mfa_decides_from_the_session(password_mfa, session, decision):
    assert decide(session) == decision


def test_password_mfa_asks_an_unknown_user_for_the_password_then_fails(password_mfa):
    # The same answer as for a real user: Cognito checks the password against
    # a stand-in and fails it; nothing after that is ever issued.
    assert decide([SRP], user_not_found=True) == ASK_PASSWORD
    assert decide([SRP, PASSWORD_RIGHT], user_not_found=True) == FAIL
    assert decide([SRP, PASSWORD_RIGHT, step(True)], user_not_found=True) == FAIL


@pytest.mark.parametrize("value", ["password", "PASSWORD_MFA", "passwordless,password_mfa", "mfa"])
@pytest.mark.parametrize(
    "session",
    [
        pytest.param([], id="start"),
        pytest.param([step(True)], id="after-a-right-answer"),
        pytest.param([SRP, PASSWORD_RIGHT, step(True)], id="after-password-and-answer"),
    ],
)
def test_a_misconfigured_flow_fails_and_never_issues_tokens(monkeypatch, caplog, value, session):
    monkeypatch.setenv("SIGN_IN_FLOW", value)

    assert decide(session) == FAIL
    assert "SIGN_IN_FLOW" in caplog.text
