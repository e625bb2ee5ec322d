"""Verify auth challenge response trigger: the answer is an Authsignal result
token; it is correct only if Authsignal validates it for this user, this action
and this very challenge.

Every failure to validate (an Authsignal error, a timeout, garbage) is a wrong
answer, never an exception, so the define trigger counts it as a try.
"""

from __future__ import annotations

import logging

from authsignal.client import ApiException

from .authsignal_client import authsignal_client
from .challenge import IDEMPOTENCY_KEY
from .settings import AuthsignalSettings

log = logging.getLogger(__name__)
MAX_TOKEN_LENGTH = 4096


def handler(event: dict, context) -> dict:
    event["response"]["answerCorrect"] = _is_correct(event["request"])
    return event


def _is_correct(request: dict) -> bool:
    token = request.get("challengeAnswer")
    user_id = request.get("userAttributes", {}).get("sub")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or not user_id:
        return False
    settings = AuthsignalSettings.from_environment()
    try:
        result = authsignal_client(settings).validate_challenge(
            {"token": token, "userId": user_id, "action": settings.action}
        )
    except ApiException as exc:
        # The exception's text has the status and description, never the token.
        log.warning("Authsignal did not validate the challenge answer: %s", exc)
        return False
    except Exception as exc:  # a malformed answer from Authsignal is no success either
        log.warning("Unexpected response from Authsignal validate: %s", type(exc).__name__)
        return False
    expected_key = (request.get("privateChallengeParameters") or {}).get(IDEMPOTENCY_KEY)
    return (
        result.get("is_valid") is True
        and result.get("state") == "CHALLENGE_SUCCEEDED"
        and result.get("user_id") == user_id
        and result.get("action") == settings.action
        and (expected_key is None or result.get("idempotency_key") == expected_key)
    )
