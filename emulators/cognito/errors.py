"""The one error type of the local Cognito, and the messages AWS words exactly.

botocore reads ``__type`` (after any ``#`` or ``:``) as ``Error.Code`` and
raises the modeled exception of that name, e.g.
``client.exceptions.NotAuthorizedException``; clients match on the code and
sometimes on the message, so the messages below are AWS's verbatim.
"""

from __future__ import annotations

INCORRECT_CREDENTIALS = "Incorrect username or password."
USER_DOES_NOT_EXIST = "User does not exist."
USER_NOT_CONFIRMED = "User is not confirmed."
SESSION_INVALID = "Invalid session for the user."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
SESSION_USED = "Invalid session for the user, session can only be used once."
ACCESS_TOKEN_INVALID = "Invalid Access Token"
ACCESS_TOKEN_EXPIRED = "Access Token has expired"
ACCESS_TOKEN_REVOKED = "Access Token has been revoked"
REFRESH_TOKEN_INVALID = "Invalid Refresh Token"
REFRESH_TOKEN_EXPIRED = "Refresh Token has expired"
REFRESH_TOKEN_REVOKED = "Refresh Token has been revoked"
#: Our own wording: AWS does not publish the message of RefreshTokenReuseException.
REFRESH_TOKEN_ROTATED = "Refresh Token has been replaced by refresh token rotation"
EMAIL_EXISTS = "An account with the given email already exists."
PASSWORD_ATTEMPTS_EXCEEDED = "Password attempts exceeded"
TIMESTAMP_FORMAT = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
CODE_MISMATCH = "Invalid verification code provided, please try again."
CODE_EXPIRED = "Invalid code provided, please request a code again."
ATTEMPT_LIMIT_EXCEEDED = "Attempt limit exceeded, please try after some time."
USERNAME_CLIENT_NOT_FOUND = "Username/client id combination not found."
NO_VERIFIED_CONTACT = "Cannot reset password for the user as there is no registered/verified email or phone_number"
UNRECOGNIZABLE_LAMBDA_OUTPUT = "Unrecognizable lambda output"


class CognitoError(Exception):
    """An error answered as ``{"__type": name, "message": message}``."""

    def __init__(self, name: str, message: str, status: int = 400):
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status

    def body(self) -> dict:
        return {"__type": self.name, "message": self.message}


def invalid_parameter(message: str) -> CognitoError:
    return CognitoError("InvalidParameterException", message)


def not_authorized(message: str) -> CognitoError:
    return CognitoError("NotAuthorizedException", message)
