"""Names the define, create and verify triggers agree on."""

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
#: Set by the create trigger on each challenge, checked by the define trigger:
#: it marks a step of the session as this flow's own.
CHALLENGE_METADATA = "AUTHSIGNAL_CHALLENGE"
#: Private challenge parameter tying a Cognito challenge to one Authsignal action.
IDEMPOTENCY_KEY = "authsignalIdempotencyKey"
