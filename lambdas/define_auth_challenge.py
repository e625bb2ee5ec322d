"""Define auth challenge trigger: one Authsignal challenge, up to three tries.

Cognito calls it with the history of this sign-in (``request.session``, oldest
first) and it decides: ask for a custom challenge, issue tokens, or fail.
"""

from __future__ import annotations

from .challenge import CHALLENGE_METADATA, CUSTOM_CHALLENGE

MAX_ATTEMPTS = 3


def handler(event: dict, context) -> dict:
    request, response = event["request"], event["response"]
    session = request.get("session") or []

    def decide(challenge_name=None, issue_tokens=False, fail=False) -> dict:
        response["challengeName"] = challenge_name
        response["issueTokens"] = issue_tokens
        response["failAuthentication"] = fail
        return event

    if request.get("userNotFound"):
        return decide(fail=True)
    if any(
        step.get("challengeName") != CUSTOM_CHALLENGE or step.get("challengeMetadata") != CHALLENGE_METADATA
        for step in session
    ):
        # Anything but our own challenge (SRP, a password, another app's
        # custom challenge) has no place in this flow.
        return decide(fail=True)
    if session and session[-1].get("challengeResult") is True:
        return decide(issue_tokens=True)
    if len(session) >= MAX_ATTEMPTS:
        return decide(fail=True)
    return decide(challenge_name=CUSTOM_CHALLENGE)
