"""CognitoAuth: the Cognito calls of passwordless sign-in, as Amplify's
``signUp``, ``signIn({authFlowType: "CUSTOM_WITHOUT_SRP"})`` and
``confirmSignIn`` make them, but from the server.

The public operations need no AWS credentials, so the client signs nothing.
Cognito's errors become :class:`AuthError` with stable codes.

No call is ever retried: ``InitiateAuth`` and ``RespondToAuthChallenge``
consume Cognito's single-use session, so a retry of a slow but successful
call would turn a correct code into "session used". Each call is bounded by
what is left of the request's deadline (:mod:`app.deadline`), so a slow
Cognito gives a clear error well inside the web server's own timeout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import string
from dataclasses import dataclass

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from .deadline import DeadlineExceeded, run_within_deadline
from .errors import START_AGAIN, AuthError

log = logging.getLogger(__name__)
#: Cognito waits up to 5 s on each trigger, and a wrong answer runs three
#: (Verify, Define, Create); the request's deadline is usually shorter.
READ_TIMEOUT_SECONDS = 16.0
UNAVAILABLE = "The sign-in service is unavailable right now. Try again in a moment."


@dataclass(frozen=True)
class Challenge:
    """A custom challenge Cognito is waiting on; ``session`` stays on the server."""

    username: str
    session: str
    url: str


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str
    expires_in: int


def dummy_password() -> str:
    """Cognito's SignUp requires a password; this one is never used or shown.

    Random from ``secrets``, with every character class a strict pool policy asks for.
    """
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40)) + "aZ9!"


class CognitoAuth:
    def __init__(
        self,
        region: str,
        user_pool_id: str,
        client_id: str,
        client_secret: str | None = None,
        endpoint_url: str | None = None,
        connect_timeout: float = 2.0,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ):
        self.region = region
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.endpoint_url = endpoint_url
        self._client_secret = client_secret
        self.client = boto3.client(
            "cognito-idp",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                signature_version=UNSIGNED,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "total_max_attempts": 1},  # never retry: see the module docstring
            ),
        )

    # ----- the flow ---------------------------------------------------------
    def sign_up(self, email: str) -> bool:
        """Create the user if new (True); an existing user is what we expect most of the time."""
        try:
            self._call(
                "sign_up",
                ClientId=self.client_id,
                Username=email,
                Password=dummy_password(),
                UserAttributes=[{"Name": "email", "Value": email}],
                **self._secret_hash_param("SecretHash", email),
            )
        except ClientError as exc:
            if _code(exc) != "UsernameExistsException":
                raise self._as_auth_error(exc) from None
            return False
        return True

    def start_sign_in(self, email: str) -> Challenge:
        params = {"USERNAME": email, **self._secret_hash_param("SECRET_HASH", email)}
        try:
            response = self._call(
                "initiate_auth", ClientId=self.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=params
            )
        except ClientError as exc:
            raise self._as_auth_error(exc) from None
        return self._challenge(response)

    def answer_challenge(self, challenge: Challenge, answer: str) -> Tokens | Challenge:
        """Tokens on success; another challenge (a fresh session) after a wrong answer."""
        responses = {
            "USERNAME": challenge.username,
            "ANSWER": answer,
            **self._secret_hash_param("SECRET_HASH", challenge.username),
        }
        try:
            response = self._call(
                "respond_to_auth_challenge",
                ClientId=self.client_id,
                ChallengeName="CUSTOM_CHALLENGE",
                Session=challenge.session,
                ChallengeResponses=responses,
            )
        except ClientError as exc:
            raise self._as_auth_error(exc) from None
        if "AuthenticationResult" in response:
            return self._tokens(response["AuthenticationResult"])
        return self._challenge(response)

    def refresh(self, refresh_token: str) -> Tokens:
        """New ID and access tokens, with ``GetTokensFromRefreshToken`` as
        Amplify v6 does: unlike ``REFRESH_TOKEN_AUTH`` it works with refresh-token
        rotation, and then also answers a new refresh token (kept by the caller)."""
        extra = {"ClientSecret": self._client_secret} if self._client_secret else {}
        try:
            response = self._call(
                "get_tokens_from_refresh_token", ClientId=self.client_id, RefreshToken=refresh_token, **extra
            )
        except ClientError as exc:
            raise self._as_auth_error(exc) from None
        return self._tokens(response["AuthenticationResult"], refresh_token=refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """Revoke the refresh token and, with it, the access tokens it issued."""
        extra = {"ClientSecret": self._client_secret} if self._client_secret else {}
        try:
            self._call("revoke_token", Token=refresh_token, ClientId=self.client_id, **extra)
        except ClientError as exc:
            raise self._as_auth_error(exc) from None

    # ----- helpers ------------------------------------------------------------
    def _call(self, operation: str, **params) -> dict:
        """Call Cognito once, within the request's deadline. A failure says
        whether the request may have reached Cognito (``sent``): if it did, a
        single-use session may be spent and the sign-in must start again."""
        try:
            return run_within_deadline(getattr(self.client, operation), **params)
        except ClientError:
            raise
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            log.warning("Cognito %s: could not connect (%s)", operation, type(exc).__name__)
            raise AuthError("cognito_unavailable", UNAVAILABLE, 503, sent=False) from None
        except (BotoCoreError, DeadlineExceeded) as exc:
            log.warning("Cognito %s failed: %s", operation, type(exc).__name__)
            raise AuthError("cognito_unavailable", UNAVAILABLE, 503) from None

    def _secret_hash_param(self, name: str, username: str) -> dict:
        if not self._client_secret:
            return {}
        digest = hmac.new(
            self._client_secret.encode(), (username + self.client_id).encode(), hashlib.sha256
        ).digest()
        return {name: base64.b64encode(digest).decode()}

    @staticmethod
    def _challenge(response: dict) -> Challenge:
        parameters = response.get("ChallengeParameters") or {}
        if response.get("ChallengeName") != "CUSTOM_CHALLENGE" or not parameters.get("url"):
            log.error("Cognito asked for %r, not our custom challenge", response.get("ChallengeName"))
            raise AuthError(
                "unexpected_challenge",
                "The sign-in service asked for a step this app does not support. Check the pool's triggers.",
                502,
            )
        return Challenge(username=parameters["USERNAME"], session=response["Session"], url=parameters["url"])

    @staticmethod
    def _tokens(result: dict, refresh_token: str | None = None) -> Tokens:
        return Tokens(
            id_token=result["IdToken"],
            access_token=result["AccessToken"],
            refresh_token=result.get("RefreshToken") or refresh_token,
            expires_in=int(result.get("ExpiresIn", 3600)),
        )

    @staticmethod
    def _as_auth_error(exc: ClientError) -> AuthError:
        code = _code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        log.warning("Cognito refused: %s: %s", code, message)
        if code == "NotAuthorizedException":
            if "session is expired" in message:
                return AuthError("session_expired", f"That took too long. {START_AGAIN}", 409)
            if "session can only be used once" in message or "Invalid session" in message:
                return AuthError("session_used", f"This sign-in attempt is over. {START_AGAIN}", 409)
            if "Refresh Token" in message or "Access Token" in message:
                return AuthError("signed_out", "Your session has ended. Sign in again.", 401)
            return AuthError("sign_in_failed", f"Sign-in failed. {START_AGAIN}", 401)
        if code == "RefreshTokenReuseException":  # rotated out: another tab or a thief used it
            return AuthError("signed_out", "Your session has ended. Sign in again.", 401)
        if code in ("UserNotFoundException", "UserNotConfirmedException", "PasswordResetRequiredException"):
            return AuthError("sign_in_failed", f"Sign-in failed. {START_AGAIN}", 401)
        if code in ("TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"):
            return AuthError("throttled", "Too many attempts. Wait a minute and try again.", 429)
        if code in ("UserLambdaValidationException", "InvalidLambdaResponseException", "UnexpectedLambdaException"):
            return AuthError(
                "challenge_unavailable",
                "The verification service did not answer. Try again in a moment.",
                502,
            )
        if code == "InvalidParameterException" and "email" in message.lower():
            return AuthError("invalid_input", "Enter a valid email address.", 400)
        return AuthError("cognito_error", "The sign-in service could not complete the request. Try again later.", 502)


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")
