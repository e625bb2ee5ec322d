"""Failures the user is told about: a stable code for programs, a sentence for
people, and the HTTP status that fits."""

from __future__ import annotations


class AuthError(Exception):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self, **extra) -> dict:
        return {"error": self.code, "message": self.message, **extra}


def bad_input(message: str) -> AuthError:
    return AuthError("invalid_input", message, 400)


START_AGAIN = "Start again: enter your email and sign in."
