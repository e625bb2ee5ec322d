"""Pre sign-up trigger: confirm the user and verify the email at once.

Passwordless users never confirm a sign-up code: proving the email happens in
the Authsignal challenge at every sign-in instead.
"""

from __future__ import annotations


def handler(event: dict, context) -> dict:
    response = event["response"]
    response["autoConfirmUser"] = True
    if event["request"].get("userAttributes", {}).get("email"):
        response["autoVerifyEmail"] = True
    return event
