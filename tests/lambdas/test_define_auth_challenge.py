import pytest

from lambdas import define_auth_challenge

from . import events
from .events import step

ASK = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
ISSUE = {"challengeName": None, "issueTokens": True, "failAuthentication": False}
FAIL = {"challengeName": None, "issueTokens": False, "failAuthentication": True}


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
        pytest.param([step(True, "PASSWORD_VERIFIER", None), step(True)], FAIL, id="password-step-is-not-ours"),
        pytest.param([step(True, metadata="SOMEONE_ELSES")], FAIL, id="another-custom-challenge-is-not-ours"),
    ],
)
def test_decides_from_the_session(session, decision):
    event = events.define_auth_challenge(session)

    result = define_auth_challenge.handler(event, None)

    assert result is event
    assert result["response"] == decision


def test_an_unknown_user_fails_without_a_challenge():
    result = define_auth_challenge.handler(events.define_auth_challenge([], user_not_found=True), None)

    assert result["response"] == FAIL
