"""Failures the user is told about: a stable code for programs, a sentence for
people, and the HTTP status that fits."""

from __future__ import annotations


class AuthError(Exception):
    """``sent`` is False only when the failed request certainly never reached
    the upstream service (so nothing single-use was spent)."""

    def __init__(self, code: str, message: str, status: int, sent: bool = True, retry_after: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sent = sent
        self.retry_after = retry_after

    def body(self, **extra) -> dict:
        return {"error": self.code, "message": self.message, **extra}


def bad_input(message: str) -> AuthError:
    return AuthError("invalid_input", message, 400)


START_AGAIN = "Start again: enter your email and sign in."
