"""Define auth challenge trigger: the steps of a sign-in, for the flow
``SIGN_IN_FLOW`` names (see :func:`lambdas.settings.sign_in_flow`).

Cognito calls it with the history of this sign-in (``request.session``, oldest
first) and it decides: ask for a challenge, issue tokens, or fail.

- ``passwordless`` (the default): only our Authsignal ``CUSTOM_CHALLENGE``,
  up to three tries. An unknown user, or any other step (SRP, a password,
  another app's custom challenge), fails.
- ``password_mfa``: Amplify's ``CUSTOM_WITH_SRP``. The session must start
  with ``SRP_A`` (asks ``PASSWORD_VERIFIER``, Cognito's SRP password check),
  then a successful ``PASSWORD_VERIFIER`` (asks our ``CUSTOM_CHALLENGE``), then
  our challenge with the same three tries. Without the password steps (a plain
  ``CUSTOM_AUTH``) it fails: the password can never be skipped. An unknown
  user is asked for the password like anyone else, and Cognito fails it, so
  the answers do not tell who has an account.

A misconfigured ``SIGN_IN_FLOW`` fails every sign-in: it never issues tokens.
"""

from __future__ import annotations

import logging

from .challenge import CHALLENGE_METADATA, CUSTOM_CHALLENGE
from .settings import PASSWORD_MFA, ConfigurationError, sign_in_flow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
SRP_A = "SRP_A"
PASSWORD_VERIFIER = "PASSWORD_VERIFIER"


def handler(event: dict, context) -> dict:
    request, response = event["request"], event["response"]
    session = request.get("session") or []

    def decide(challenge_name=None, issue_tokens=False, fail=False) -> dict:
        response["challengeName"] = challenge_name
        response["issueTokens"] = issue_tokens
        response["failAuthentication"] = fail
        return event

    try:
        flow = sign_in_flow()
    except ConfigurationError as exc:
        log.error("Sign-in refused: %s", exc)
        return decide(fail=True)
    if flow == PASSWORD_MFA:
        return _password_then_challenge(request, session, decide)
    return _challenge_only(request, session, decide)


def _challenge_only(request: dict, session: list, decide) -> dict:
    if request.get("userNotFound"):
        return decide(fail=True)
    return _our_challenges(session, decide)


def _password_then_challenge(request: dict, session: list, decide) -> dict:
    if not session or not _succeeded(session[0], SRP_A):
        return decide(fail=True)
    if len(session) == 1:
        # Unknown users too: Cognito checks the password against a stand-in and fails it.
        return decide(challenge_name=PASSWORD_VERIFIER)
    if not _succeeded(session[1], PASSWORD_VERIFIER) or request.get("userNotFound"):
        return decide(fail=True)
    return _our_challenges(session[2:], decide)


def _our_challenges(steps: list, decide) -> dict:
    """After whatever came first: our Authsignal challenge, up to three tries."""
    if any(
        step.get("challengeName") != CUSTOM_CHALLENGE or step.get("challengeMetadata") != CHALLENGE_METADATA
        for step in steps
    ):
        # Anything but our own challenge here (SRP or a password out of
        # place, another app's custom challenge) has no place in this flow.
        return decide(fail=True)
    if steps and steps[-1].get("challengeResult") is True:
        return decide(issue_tokens=True)
    if len(steps) >= MAX_ATTEMPTS:
        return decide(fail=True)
    return decide(challenge_name=CUSTOM_CHALLENGE)


def _succeeded(step: dict, name: str) -> bool:
    return step.get("challengeName") == name and step.get("challengeResult") is True
