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
from dataclasses import dataclass, field

import boto3
from botocore import UNSIGNED
from pycognito.aws_srp import AWSSRP
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from .deadline import DeadlineExceeded, run_within_deadline
from .errors import START_AGAIN, AuthError

log = logging.getLogger(__name__)
#: Cognito waits up to 5 s on each trigger, and a wrong answer runs three
#: (Verify, Define, Create); the request's deadline is usually shorter.
READ_TIMEOUT_SECONDS = 16.0
UNAVAILABLE = "The sign-in service is unavailable right now. Try again in a moment."
WRONG_PASSWORD = "Incorrect email or password."
#: Cognito's password-policy failures, in plain words.
PASSWORD_RULES = {
    "long enough": "Use a longer password.",
    "uppercase": "Include an uppercase letter.",
    "lowercase": "Include a lowercase letter.",
    "numeric": "Include a number.",
    "symbol": "Include a symbol, such as ! or %.",
}


@dataclass(frozen=True)
class Challenge:
    """A custom challenge Cognito is waiting on; ``session`` stays on the server.

    ``state`` is the outcome of Authsignal's rules that the Create trigger
    passed on. With ``ALLOW`` after a password, Create also passes the track
    token, which this server answers with at once: it never reaches the browser.
    """

    username: str
    session: str
    url: str
    state: str = "CHALLENGE_REQUIRED"
    track_token: str | None = field(default=None, repr=False)
    #: The Authsignal action's key, to ask which method the user chose.
    idempotency_key: str | None = None

    @property
    def allowed(self) -> bool:
        return self.state == "ALLOW" and bool(self.track_token)

    @property
    def blocked(self) -> bool:
        return self.state in ("BLOCK", "REVIEW_REQUIRED")

    @property
    def needs_the_user(self) -> bool:
        """A challenge the user must pass in the pre-built UI (neither allowed nor blocked)."""
        return not (self.allowed or self.blocked)


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
        """Passwordless: create the user if new (True), with a dummy password;
        an existing user is what we expect most of the time."""
        try:
            self._sign_up(email, dummy_password())
        except ClientError as exc:
            if _code(exc) != "UsernameExistsException":
                raise self._as_auth_error(exc) from None
            return False
        return True

    def create_account(self, email: str, password: str) -> None:
        """Password + MFA: sign up with the user's own password."""
        try:
            self._sign_up(email, password)
        except ClientError as exc:
            if _code(exc) == "UsernameExistsException":
                raise AuthError(
                    "account_exists", "There is already an account for this email. Sign in instead.", 409,
                    field="email",
                ) from None
            raise self._as_auth_error(exc) from None

    def _sign_up(self, email: str, password: str) -> None:
        self._call(
            "sign_up",
            ClientId=self.client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
            **self._secret_hash_param("SecretHash", email),
        )

    def start_sign_in(self, email: str) -> Challenge:
        params = {"USERNAME": email, **self._secret_hash_param("SECRET_HASH", email)}
        try:
            response = self._call(
                "initiate_auth", ClientId=self.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=params
            )
        except ClientError as exc:
            raise self._as_auth_error(exc) from None
        return self._challenge(response)

    def start_password_sign_in(self, email: str, password: str, metadata: dict[str, str]) -> Challenge:
        """Custom auth with SRP, as Amplify's ``CUSTOM_WITH_SRP``: ``SRP_A``, then
        the ``PASSWORD_VERIFIER`` answered with pycognito's SRP client math (the
        password never travels), then the custom challenge. ``metadata`` reaches
        the Create trigger (device and address, for Authsignal's rules)."""
        srp = AWSSRP(
            username=email, password=password, pool_id=self.user_pool_id, client_id=self.client_id,
            client=self.client, client_secret=self._client_secret,
        )
        parameters = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
        try:
            verifier = self._call(
                "initiate_auth", ClientId=self.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=parameters
            )
            if verifier.get("ChallengeName") != "PASSWORD_VERIFIER":
                raise self._unexpected(verifier.get("ChallengeName"))
            response = self._call(
                "respond_to_auth_challenge",
                ClientId=self.client_id,
                ChallengeName="PASSWORD_VERIFIER",
                Session=verifier["Session"],
                ChallengeResponses=srp.process_challenge(verifier["ChallengeParameters"], parameters),
                ClientMetadata=metadata,
            )
        except ClientError as exc:
            raise self._as_password_error(exc) from None
        if "AuthenticationResult" in response:
            # A password alone must never sign anybody in: the pool's Define trigger is wrong.
            raise self._unexpected("tokens without the second factor")
        return self._challenge(response)

    def answer_challenge(self, challenge: Challenge, answer: str, metadata: dict[str, str] | None = None) -> Tokens | Challenge:
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
                **({"ClientMetadata": metadata} if metadata else {}),
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

    def forgot_password(self, email: str) -> str:
        """Send Cognito's reset code; the masked address it went to."""
        try:
            response = self._call(
                "forgot_password", ClientId=self.client_id, Username=email,
                **self._secret_hash_param("SecretHash", email),
            )
        except ClientError as exc:
            raise self._as_auth_error(exc) from None
        return (response.get("CodeDeliveryDetails") or {}).get("Destination", "your email address")

    def confirm_forgot_password(self, email: str, code: str, password: str) -> None:
        try:
            self._call(
                "confirm_forgot_password", ClientId=self.client_id, Username=email, ConfirmationCode=code,
                Password=password, **self._secret_hash_param("SecretHash", email),
            )
        except ClientError as exc:
            if _code(exc) == "CodeMismatchException":
                raise AuthError("wrong_code", "That code is not right. Check the email and try again.", 400,
                                field="code") from None
            if _code(exc) == "ExpiredCodeException":
                raise AuthError("code_expired", "That code has expired. Send a new one.", 400, field="code") from None
            raise self._as_auth_error(exc) from None

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

    @classmethod
    def _challenge(cls, response: dict) -> Challenge:
        parameters = response.get("ChallengeParameters") or {}
        state = parameters.get("state") or "CHALLENGE_REQUIRED"
        if response.get("ChallengeName") != "CUSTOM_CHALLENGE":
            raise cls._unexpected(response.get("ChallengeName"))
        if not parameters.get("url") and state not in ("ALLOW", "BLOCK", "REVIEW_REQUIRED"):
            raise cls._unexpected("a challenge without its url")
        return Challenge(
            username=parameters["USERNAME"], session=response["Session"], url=parameters.get("url", ""),
            state=state, track_token=parameters.get("token"), idempotency_key=parameters.get("idempotencyKey"),
        )

    @staticmethod
    def _unexpected(what) -> AuthError:
        log.error("Cognito asked for %r, not our custom challenge", what)
        return AuthError(
            "unexpected_challenge",
            "The sign-in service asked for a step this app does not support. Check the pool's triggers.",
            502,
        )

    def _as_password_error(self, exc: ClientError) -> AuthError:
        message = exc.response.get("Error", {}).get("Message", "")
        if _code(exc) in ("NotAuthorizedException", "UserNotFoundException"):
            if "attempts exceeded" in message:
                return AuthError(
                    "locked_out",
                    "Too many wrong passwords: sign-in is locked for a while. Wait a few minutes, "
                    "or reset your password.",
                    429,
                )
            if "Incorrect username or password" in message or _code(exc) == "UserNotFoundException":
                return AuthError("wrong_password", WRONG_PASSWORD, 401, field="password")
        return self._as_auth_error(exc)

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
        if code == "InvalidPasswordException":
            return AuthError("invalid_password", password_advice(message), 400, field="password")
        if code == "InvalidParameterException" and "email" in message.lower():
            return AuthError("invalid_input", "Enter a valid email address.", 400)
        return AuthError("cognito_error", "The sign-in service could not complete the request. Try again later.", 502)


def password_advice(message: str) -> str:
    """Cognito's "Password did not conform with policy: ..." in plain words."""
    lowered = message.lower()
    advice = [text for key, text in PASSWORD_RULES.items() if key in lowered]
    return " ".join(["That password is too weak.", *advice]) if advice else "Choose a stronger password."


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")
