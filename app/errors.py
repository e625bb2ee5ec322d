"""Failures the user is told about: a stable code for programs, a sentence for
people, the HTTP status that fits and, for a form, the field it is about."""

from __future__ import annotations


class AuthError(Exception):
    """``sent`` is False only when the failed request certainly never reached
    the upstream service (so nothing single-use was spent)."""

    def __init__(
        self, code: str, message: str, status: int, sent: bool = True, retry_after: int | None = None,
        field: str | None = None, start_again: bool | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sent = sent
        self.retry_after = retry_after
        #: The form field the message belongs next to.
        self.field = field
        #: For a confirm: whether the sign-in is spent (True) or may be answered again.
        self.start_again = start_again

    def body(self, **extra) -> dict:
        located = {"field": self.field} if self.field else {}
        told = {"startAgain": self.start_again} if self.start_again is not None else {}
        return {"error": self.code, "message": self.message, **located, **told, **extra}


def bad_input(message: str) -> AuthError:
    return AuthError("invalid_input", message, 400)


START_AGAIN = "Start again: enter your email and sign in."


#: Authsignal's rules refused the sign-in (the Create trigger's ``state``).
REFUSED_BY_RULES = {
    "BLOCK": AuthError("blocked", "This sign-in was blocked.", 403),
    "REVIEW_REQUIRED": AuthError("review_required", "This sign-in needs a review before it can go ahead.", 403),
}
