"""The one error type of the local Authsignal, rendered as Authsignal's body."""

from __future__ import annotations


class ApiError(Exception):
    """An error the API answers with ``{error, errorCode, errorDescription}``.

    Both ``error`` and ``errorCode`` carry the code: the Node SDK reads
    ``error``, the Python SDK ``errorCode`` and ``errorDescription``.
    """

    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict:
        return {
            "error": self.code,
            "errorCode": self.code,
            "errorDescription": self.description,
        }


def invalid_request(description: str) -> ApiError:
    return ApiError(400, "invalid_request", description)
