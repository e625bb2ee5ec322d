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
#: Private challenge parameter: "ALLOW" when Create, after a password, let
#: Authsignal's rules skip the challenge. Only then may Verify accept the
#: track token (and only if Authsignal's validate says ALLOW too).
RULES_ALLOWED = "authsignalRulesAllowed"
#: Private challenge parameter: the passkey challenge Create linked to this
#: sign-in (the Web SDK's passkey sign-in came first). Verify then accepts
#: only a passkey verification.
PASSKEY_CHALLENGE_ID = "authsignalPasskeyChallengeId"
PASSKEY = "PASSKEY"
ALLOW = "ALLOW"
#: Outcomes of Authsignal's rules that end the sign-in.
REFUSED_STATES = ("BLOCK", "REVIEW_REQUIRED")


def token_hash(token: str) -> str:
    """What the challenge keeps instead of the track token itself."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
