"""Verify auth challenge response trigger: the answer is an Authsignal result
token; it is correct only if Authsignal validates it for this user, this action
and this very challenge.

The track token is refused before Authsignal is asked: it reaches the browser
in the pre-built UI's url, and whether Authsignal's validate would accept it
once the challenge succeeded is not something to rely on. When Create linked
a passkey sign-in already under way, only a passkey verification is correct.
The one exception:
when Create recorded that Authsignal's rules allowed this sign-in after a
password (a private parameter the client cannot set), the track token is the
answer, and it is correct only if Authsignal's validate says ``ALLOW`` too.

Every failure to validate (missing private parameters, a settings error, an
Authsignal error, a timeout, an odd response, garbage) is a wrong answer, never
an exception, so the define trigger counts it as a try. The answer is never logged.
"""

from __future__ import annotations

import hmac
import logging

from authsignal.client import ApiException

from .authsignal_client import authsignal_client
from .challenge import ALLOW, IDEMPOTENCY_KEY, PASSKEY, PASSKEY_CHALLENGE_ID, RULES_ALLOWED, TRACK_TOKEN_HASH, token_hash
from .settings import PASSWORD_MFA, AuthsignalSettings, ConfigurationError, sign_in_flow

log = logging.getLogger(__name__)
MAX_TOKEN_LENGTH = 4096


def handler(event: dict, context) -> dict:
    try:
        correct = _is_correct(event["request"])
    except Exception as exc:  # fail closed; the type alone, as the text might quote the answer
        log.error("Verify failed; the answer counts as wrong: %s", type(exc).__name__)
        correct = False
    event["response"]["answerCorrect"] = correct
    return event


def _is_correct(request: dict) -> bool:
    token = request.get("challengeAnswer")
    user_id = (request.get("userAttributes") or {}).get("sub")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    if not isinstance(user_id, str) or not user_id:
        return False
    private = _private_parameters(request)
    if private is None:
        return False
    expected_key, track_hash = private
    expected_state = "CHALLENGE_SUCCEEDED"
    if _is_track_token(token, track_hash):
        if not _rules_allowed(request):
            log.warning("The answer is the challenge's track token, not a result token")
            return False
        expected_state = ALLOW
    settings = _settings()
    if settings is None:
        return False
    result = _validate(settings, token, user_id)
    if not _is_success(result, user_id, settings.action, expected_key, expected_state):
        return False
    if _passkey_linked(request) and result.get("verification_method") != PASSKEY:
        log.warning("The challenge was linked to a passkey sign-in, but the answer is no passkey verification")
        return False
    return True


def _passkey_linked(request: dict) -> bool:
    """Create linked the Web SDK's passkey sign-in: only a passkey may answer."""
    private = request.get("privateChallengeParameters") or {}
    return bool(private.get(PASSKEY_CHALLENGE_ID))


def _rules_allowed(request: dict) -> bool:
    """Create recorded ALLOW, and this is the flow where ALLOW may skip the challenge."""
    private = request.get("privateChallengeParameters") or {}
    try:
        flow = sign_in_flow()
    except ConfigurationError as exc:
        log.error("Verify is misconfigured: %s", exc)
        return False
    return private.get(RULES_ALLOWED) == ALLOW and flow == PASSWORD_MFA


def _private_parameters(request: dict) -> tuple[str, str] | None:
    """Create's idempotency key and track-token hash: without both there is
    nothing to hold the answer against, so no answer is right."""
    private = request.get("privateChallengeParameters")
    if not isinstance(private, dict):
        private = {}
    key, track_hash = private.get(IDEMPOTENCY_KEY), private.get(TRACK_TOKEN_HASH)
    if not (isinstance(key, str) and key and isinstance(track_hash, str) and track_hash):
        log.error("The challenge lacks its private parameters (%s, %s)", IDEMPOTENCY_KEY, TRACK_TOKEN_HASH)
        return None
    return key, track_hash


def _is_track_token(token: str, track_hash: str) -> bool:
    """Constant-time, so the comparison says nothing about the stored hash."""
    return hmac.compare_digest(token_hash(token).encode(), track_hash.encode("utf-8", "surrogatepass"))


def _settings() -> AuthsignalSettings | None:
    """A misconfigured Verify grants nothing: it logs why and answers wrong."""
    try:
        return AuthsignalSettings.from_environment()
    except ConfigurationError as exc:
        log.error("Verify is misconfigured: %s", exc)
    except Exception as exc:  # e.g. Parameter Store unreachable or access denied
        log.error("Verify could not read its settings: %s: %s", type(exc).__name__, exc)
    return None


def _validate(settings: AuthsignalSettings, token: str, user_id: str) -> dict | None:
    """Authsignal's answer if it is a JSON object, else None (and logged)."""
    try:
        result = authsignal_client(settings).validate_challenge(
            {"token": token, "userId": user_id, "action": settings.action}
        )
    except ApiException as exc:
        # The exception's text has the status and description, never the token.
        log.warning("Authsignal did not validate the challenge answer: %s", exc)
        return None
    except Exception as exc:  # a malformed answer from Authsignal is no success either
        log.warning("Unexpected response from Authsignal validate: %s", type(exc).__name__)
        return None
    if not isinstance(result, dict):
        log.warning("Unexpected response from Authsignal validate: a %s", type(result).__name__)
        return None
    return result


def _is_success(result: dict | None, user_id: str, action: str, expected_key: str, expected_state: str) -> bool:
    """Only the exact shape of a success is one: anything else is a failure,
    logged with what differed (a token validated twice, another action...)."""
    if result is None:
        return False  # logged by _validate
    differs = [
        name
        for name, right in (
            ("is_valid", result.get("is_valid") is True),
            ("state", result.get("state") == expected_state),
            ("user_id", _same(result.get("user_id"), user_id)),
            ("action", _same(result.get("action"), action)),
            ("idempotency_key", _same(result.get("idempotency_key"), expected_key)),
        )
        if not right
    ]
    if differs:
        log.warning(
            "Authsignal's validate did not confirm this challenge (is_valid=%r, state=%r); not as expected: %s",
            result.get("is_valid"), result.get("state"), ", ".join(differs),
        )
    return not differs


def _same(value: object, expected: str) -> bool:
    return isinstance(value, str) and value == expected
