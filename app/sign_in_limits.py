"""The rate limits on starting and confirming a sign-in, which every way of
signing in (email, password, passkey) shares; the keys are in ``rate_limits``."""

from __future__ import annotations

from .extensions import limiter
from .rate_limits import email_key
from .services import settings

#: Each sign-in creates or touches a Cognito user and tracks an Authsignal action.
sign_in_rate_limit = limiter.limit(
    lambda: settings().sign_in_rate_limit,
    error_message="Too many sign-in attempts from here. Wait a minute and try again.",
)
sign_in_email_rate_limit = limiter.limit(
    lambda: settings().sign_in_email_rate_limit,
    key_func=email_key,
    scope="sign-in-per-email",
    error_message="Too many sign-in attempts for this email address. Wait a few minutes and try again.",
)
