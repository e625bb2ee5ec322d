"""Names the define, create and verify triggers agree on."""

import hashlib

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
#: Set by the create trigger on each challenge, checked by the define trigger:
#: it marks a step of the session as this flow's own.
CHALLENGE_METADATA = "AUTHSIGNAL_CHALLENGE"
#: Private challenge parameter tying a Cognito challenge to one Authsignal action.
IDEMPOTENCY_KEY = "authsignalIdempotencyKey"
#: Private challenge parameter: the SHA-256 (hex) of the track token that the
#: pre-built UI's url carries to the browser. Verify refuses that token as an
#: answer, whatever Authsignal's validate would say about it.
TRACK_TOKEN_HASH = "authsignalTrackTokenSha256"


def token_hash(token: str) -> str:
    """What the challenge keeps instead of the track token itself."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
