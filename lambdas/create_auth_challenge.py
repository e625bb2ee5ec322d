"""Create auth challenge trigger: track the sign-in with Authsignal and hand the
pre-built UI's ``url`` to the client as the public challenge parameter.

The private parameters tie the challenge to its Authsignal action and keep a
hash of the url's track token, so Verify can refuse that token as an answer.

The device id, address and user agent the app sends as ``ClientMetadata`` go
to Authsignal for its rules. Their outcome is passed on as ``state``: with
``ALLOW`` after a password (``SIGN_IN_FLOW=password_mfa``) the track token
goes to the server that called Cognito, which answers with it at once; in the
passwordless flow an email alone proves nothing, so ``ALLOW`` still shows the
challenge. ``BLOCK`` and ``REVIEW_REQUIRED`` offer no challenge at all.

An Authsignal failure raises, which Cognito reports to the client as
``UserLambdaValidationException``: there is no challenge to offer without it.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import requests
from authsignal.client import ApiException

from .authsignal_client import authsignal_client
from .challenge import (
    ALLOW,
    CHALLENGE_METADATA,
    CUSTOM_CHALLENGE,
    IDEMPOTENCY_KEY,
    PASSKEY,
    PASSKEY_CHALLENGE_ID,
    REFUSED_STATES,
    RULES_ALLOWED,
    TRACK_TOKEN_HASH,
    token_hash,
)
from .settings import PASSWORD_MFA, AuthsignalSettings, sign_in_flow

log = logging.getLogger(__name__)
#: ClientMetadata keys passed on to Authsignal as track attributes.
RULES_ATTRIBUTES = ("deviceId", "ipAddress", "userAgent")
#: Seconds for the passkey lookup: it and track share Cognito's 5-second budget,
#: and without an answer the sign-in goes on as one without a passkey.
PASSKEY_LOOKUP_TIMEOUT_SECONDS = 1.0


def handler(event: dict, context) -> dict:
    request, response = event["request"], event["response"]
    if request.get("challengeName") != CUSTOM_CHALLENGE:
        raise ValueError(f"unexpected challenge {request.get('challengeName')!r}")
    attributes = request["userAttributes"]
    settings = AuthsignalSettings.from_environment()
    flow = sign_in_flow()

    client = authsignal_client(settings)
    track_attributes = _track_attributes(request)
    if settings.redirect_url:
        track_attributes["redirectUrl"] = settings.redirect_url
    result, challenge_id = _track(client, settings, attributes["sub"], track_attributes)
    token = track_token(result)
    state = result.get("state") or "CHALLENGE_REQUIRED"
    allowed = state == ALLOW and flow == PASSWORD_MFA

    if state in REFUSED_STATES:
        response["publicChallengeParameters"] = {"state": state}
    elif allowed:
        response["publicChallengeParameters"] = {"state": ALLOW, "token": token}
    else:
        # The idempotency key is no secret (the url's token carries it): with
        # it the app can ask Authsignal which method the user chose.
        response["publicChallengeParameters"] = {
            "url": result["url"], "state": "CHALLENGE_REQUIRED", "idempotencyKey": result["idempotency_key"],
        }
    response["privateChallengeParameters"] = {
        IDEMPOTENCY_KEY: result["idempotency_key"],
        TRACK_TOKEN_HASH: token_hash(token),
        **({RULES_ALLOWED: ALLOW} if allowed else {}),
        **({PASSKEY_CHALLENGE_ID: challenge_id} if challenge_id else {}),
    }
    response["challengeMetadata"] = CHALLENGE_METADATA
    return event


def _track(client, settings: AuthsignalSettings, user_id: str, attributes: dict) -> tuple[dict, str | None]:
    """Track this sign-in, linking the passkey sign-in under way if there is
    one; and which passkey challenge was linked. If Authsignal refuses the link
    (a 4xx), the sign-in goes on as one without a passkey, rather than failing."""
    challenge_id = passkey_challenge_id(client, settings, user_id)
    if challenge_id:
        try:
            return client.track(user_id, settings.action, {**attributes, "challengeId": challenge_id}), challenge_id
        except ApiException as exc:
            if not (exc.status_code and 400 <= exc.status_code < 500):
                raise
            log.warning("Authsignal refused to link the passkey challenge (%s); tracking without it", exc.status_code)
    return client.track(user_id, settings.action, attributes), None


def passkey_challenge_id(client, settings: AuthsignalSettings, user_id: str) -> str | None:
    """A passkey challenge this user already started (or passed) for this
    action, as the guide's passkey branch asks: tracked with its
    ``challengeId``, the passkey's token is the answer to this challenge.
    None when there is none; the 4.1.0 SDK has no method for this call."""
    try:
        response = client.session.get(
            f"{settings.api_url}/challenges",
            params={"userId": user_id, "action": settings.action, "verificationMethod": PASSKEY},
            timeout=min(PASSKEY_LOOKUP_TIMEOUT_SECONDS, settings.timeout_seconds),
        )
    except (ApiException, requests.RequestException):  # 404: no passkey sign-in under way
        return None
    body = getattr(response, "decamelized_content", None)
    challenge_id = body.get("challenge_id") if isinstance(body, dict) else None
    return challenge_id if isinstance(challenge_id, str) and challenge_id else None


def _track_attributes(request: dict) -> dict:
    """The email and phone number Cognito has, and what the app sent for the rules. Never None values: the
    4.1.0 SDK strips them from the body but not from Content-Length, and the
    request hangs."""
    user = request["userAttributes"]
    attributes = {"email": user["email"]} if user.get("email") else {}
    if user.get("phone_number"):  # for SMS and WhatsApp codes
        attributes["phoneNumber"] = user["phone_number"]
    metadata = request.get("clientMetadata") or {}
    for name in RULES_ATTRIBUTES:
        value = metadata.get(name)
        if isinstance(value, str) and value:
            attributes[name] = value[:512]
    return attributes


def track_token(result: dict) -> str:
    """The token the browser gets: the url's ``token`` (track also returns it as
    ``token``). Without one there is nothing to refuse, so no challenge."""
    from_url = parse_qs(urlsplit(result["url"]).query).get("token")
    token = from_url[0] if from_url else result.get("token")
    if not isinstance(token, str) or not token:
        raise ValueError("Authsignal's track response has no track token")
    return token
