"""Create auth challenge trigger: track the sign-in with Authsignal and hand the
pre-built UI's ``url`` to the client as the public challenge parameter.

The private parameters tie the challenge to its Authsignal action and keep a
hash of the url's track token, so Verify can refuse that token as an answer.

An Authsignal failure raises, which Cognito reports to the client as
``UserLambdaValidationException``: there is no challenge to offer without it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .authsignal_client import authsignal_client
from .challenge import CHALLENGE_METADATA, CUSTOM_CHALLENGE, IDEMPOTENCY_KEY, TRACK_TOKEN_HASH, token_hash
from .settings import AuthsignalSettings


def handler(event: dict, context) -> dict:
    request, response = event["request"], event["response"]
    if request.get("challengeName") != CUSTOM_CHALLENGE:
        raise ValueError(f"unexpected challenge {request.get('challengeName')!r}")
    attributes = request["userAttributes"]
    settings = AuthsignalSettings.from_environment()

    # Never pass None values: the 4.1.0 SDK strips them from the body but not
    # from Content-Length, and the request hangs.
    track_attributes = {"email": attributes["email"]} if attributes.get("email") else {}
    result = authsignal_client(settings).track(attributes["sub"], settings.action, track_attributes)

    response["publicChallengeParameters"] = {"url": result["url"]}
    response["privateChallengeParameters"] = {
        IDEMPOTENCY_KEY: result["idempotency_key"],
        TRACK_TOKEN_HASH: token_hash(track_token(result)),
    }
    response["challengeMetadata"] = CHALLENGE_METADATA
    return event


def track_token(result: dict) -> str:
    """The token the browser gets: the url's ``token`` (track also returns it as
    ``token``). Without one there is nothing to refuse, so no challenge."""
    from_url = parse_qs(urlsplit(result["url"]).query).get("token")
    token = from_url[0] if from_url else result.get("token")
    if not isinstance(token, str) or not token:
        raise ValueError("Authsignal's track response has no track token")
    return token
