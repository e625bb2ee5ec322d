"""What the local Cognito does, apart from HTTP: sign-up, the CUSTOM_AUTH
state machine, tokens, sign-out, and the admin and discovery operations. Each
operation takes the request's JSON parameters and returns the response's, as
the service model names them.

Users sign in by email; their internal user name is a UUID, equal to ``sub``.
Passwords are checked against the pool's policy and kept only as SRP
verifiers (see :mod:`.srp`): a ``CUSTOM_AUTH`` that starts with ``SRP_A``
checks them with ``PASSWORD_VERIFIER`` when the Define trigger asks for it.
``ForgotPassword`` mails a code to the dev inbox; ``ConfirmForgotPassword``
sets a new password with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

from . import ids
from . import params as P
from . import srp
from .config import PASSWORD_ATTEMPTS_BEFORE_LOCKOUT, CognitoEmulatorConfig
from .errors import (
    ACCESS_TOKEN_REVOKED,
    ATTEMPT_LIMIT_EXCEEDED,
    CODE_EXPIRED,
    CODE_MISMATCH,
    EMAIL_EXISTS,
    INCORRECT_CREDENTIALS,
    NO_VERIFIED_CONTACT,
    PASSWORD_ATTEMPTS_EXCEEDED,
    REFRESH_TOKEN_EXPIRED,
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REVOKED,
    REFRESH_TOKEN_ROTATED,
    SESSION_EXPIRED,
    SESSION_INVALID,
    SESSION_USED,
    TIMESTAMP_FORMAT,
    UNRECOGNIZABLE_LAMBDA_OUTPUT,
    USER_DOES_NOT_EXIST,
    USER_NOT_CONFIRMED,
    USERNAME_CLIENT_NOT_FOUND,
    CognitoError,
    invalid_parameter,
    not_authorized,
)
from .pool import (
    EMAIL,
    check_password,
    client_description,
    ensure_pool_and_client,
    pool_description,
    pool_summary,
    writable_attributes,
)
from .store import AuthSession, ChallengeResult, Client, CognitoStore, RefreshToken, User, email_key
from .tokens import Authentication, TokenSigner
from .triggers import AuthIdentity, Triggers

AUTH_FLOWS = (
    "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_AUTH",
)
#: The ``ExplicitAuthFlows`` value that lets a client use each flow.
FLOW_PERMISSIONS = {
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
}
CHALLENGE_NAMES = (
    "SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP",
    "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "SELECT_CHALLENGE", "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER", "ADMIN_NO_SRP_AUTH", "NEW_PASSWORD_REQUIRED",
    "SMS_OTP", "PASSWORD", "WEB_AUTHN", "PASSWORD_SRP",
)
CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
#: The step a CUSTOM_AUTH with ``SRP_A`` starts with, as Define sees it.
SRP_A = "SRP_A"
CONFIRMED, UNCONFIRMED = "CONFIRMED", "UNCONFIRMED"
#: Used sessions are kept this long past expiry, to name why they fail.
_SESSION_RETENTION_SECONDS = 3600
#: Random bytes of a SECRET_BLOCK (AWS's is an opaque blob of its own).
_SECRET_BLOCK_BYTES = 96
#: Failed password attempts are forgotten after this long without one (as on AWS).
_FAILURES_FORGOTTEN_AFTER_SECONDS = 15 * 60
#: ForgotPassword: codes live an hour (as on AWS); our own limits: at most
#: this many codes per user an hour, and this many wrong codes per code.
RESET_CODE_VALIDITY_SECONDS = 3600
MAX_RESET_CODES_PER_HOUR = 5
MAX_WRONG_RESET_CODES = 5
#: AWS's default verification message (the pool sets no template).
RESET_SUBJECT = "Your verification code"
RESET_BODY = "Your verification code is {code}. "

log = logging.getLogger("emulators.cognito")


def _resource_not_found(message: str) -> CognitoError:
    return CognitoError("ResourceNotFoundException", message)


def _unsupported(what: str) -> CognitoError:
    return CognitoError("UnsupportedOperationException", f"{what} is not supported by the local Cognito.")


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


class CognitoService:
    def __init__(
        self,
        config: CognitoEmulatorConfig,
        store: CognitoStore,
        clock: Callable[[], float] = time.time,
        origin: str = "http://127.0.0.1",
    ):
        self.config = config
        self.store = store
        self.clock = clock
        self.origin = origin
        self.pool, self.client = ensure_pool_and_client(config, store, clock())
        self.signer = TokenSigner(self.pool.private_key_pem, issuer=lambda: self.issuer, clock=clock)
        self.triggers = Triggers(config, self.pool.id)

    def set_origin(self, origin: str) -> None:
        """The emulator's own origin, known once its socket is bound."""
        self.origin = origin

    @property
    def endpoint_url(self) -> str:
        return self.config.public_url or self.origin

    @property
    def issuer(self) -> str:
        return f"{self.endpoint_url}/{self.pool.id}"

    # ----- sign-up ------------------------------------------------------------
    def sign_up(self, params: dict) -> dict:
        client_id = P.client_id(params)
        username = P.username(params)
        password = P.string(params, "Password", max_len=256)
        submitted = P.attribute_list(params, "UserAttributes") or []
        validation_data = P.attribute_list(params, "ValidationData")
        client_metadata = P.string_map(params, "ClientMetadata")
        secret_hash = P.string(params, "SecretHash", required=False, max_len=128, pattern=P.SECRET_HASH)
        client = self._client(client_id)
        self._check_secret_hash(client, secret_hash, username)
        if not EMAIL.match(username):
            raise invalid_parameter("Username should be an email.")
        attributes = writable_attributes(submitted, username)
        check_password(password)
        if self.store.find_user_by_email(username) is not None:
            raise CognitoError("UsernameExistsException", EMAIL_EXISTS)

        sub = str(uuid.uuid4())
        response = {}
        if self.triggers.configured("PreSignUp"):
            response = self.triggers.pre_sign_up(
                client.client_id, sub, dict(attributes),
                dict(validation_data) if validation_data is not None else None, client_metadata,
            )
        confirmed = response.get("autoConfirmUser") is True
        email_verified = response.get("autoVerifyEmail") is True
        now = self.clock()
        user = User(
            username=sub,
            email=username,
            attributes={
                "sub": sub,
                **attributes,
                "email_verified": "true" if email_verified else "false",
            },
            status=CONFIRMED if confirmed else UNCONFIRMED,
            enabled=True,
            created_at=now,
            modified_at=now,
        )
        verifier = srp.make_verifier(self.pool.id, sub, password)
        try:
            with self.store.transaction():
                self.store.insert_user(user)
                self.store.set_password_verifier(sub, verifier.salt_hex, verifier.verifier_hex)
        except KeyError:
            raise CognitoError("UsernameExistsException", EMAIL_EXISTS) from None
        result: dict = {"UserConfirmed": confirmed, "UserSub": sub}
        if not confirmed:
            # A real pool would email a confirmation code here; none is sent.
            result["CodeDeliveryDetails"] = {
                "Destination": _masked(username), "DeliveryMedium": "EMAIL", "AttributeName": "email",
            }
        return result

    # ----- sign-in ------------------------------------------------------------
    def initiate_auth(self, params: dict) -> dict:
        client_id = P.client_id(params)
        flow = P.enum(params, "AuthFlow", AUTH_FLOWS)
        auth_parameters = P.string_map(params, "AuthParameters") or {}
        # InitiateAuth's ClientMetadata reaches none of the triggers run here.
        P.string_map(params, "ClientMetadata")
        client = self._client(client_id)
        if flow not in FLOW_PERMISSIONS:
            raise invalid_parameter("Initiate Auth method not supported.")
        if FLOW_PERMISSIONS[flow] not in self.config.explicit_auth_flows:
            raise invalid_parameter(f"{flow} flow not enabled for this client")
        if flow == "CUSTOM_AUTH":
            return self._start_custom_auth(client, auth_parameters)
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            if self.config.rotates_refresh_tokens:
                raise invalid_parameter(
                    f"{flow} is not available for a client with refresh token rotation: "
                    "use GetTokensFromRefreshToken."
                )
            return self._refresh(client, auth_parameters)
        raise _unsupported(f"AuthFlow {flow}")

    def _start_custom_auth(self, client: Client, auth_parameters: dict[str, str]) -> dict:
        """CUSTOM_AUTH; with ``CHALLENGE_NAME: SRP_A`` and ``SRP_A`` (Amplify's
        CUSTOM_WITH_SRP) Define first sees an ``SRP_A`` step, and may ask for
        PASSWORD_VERIFIER."""
        alias = P.require(auth_parameters, "USERNAME")
        self._check_secret_hash(client, auth_parameters.get("SECRET_HASH"), alias)
        srp_a = _srp_a(auth_parameters)
        self._require_trigger("DefineAuthChallenge")
        user = self._find_user(alias)
        if user is None:
            if self.config.prevent_user_existence_errors == "LEGACY":
                raise CognitoError("UserNotFoundException", USER_DOES_NOT_EXIST)
            identity = self._decoy(alias)
        elif user.status != CONFIRMED:
            raise CognitoError("UserNotConfirmedException", USER_NOT_CONFIRMED)
        else:
            identity = _identity(user)
        history = (ChallengeResult(SRP_A, True, None),) if srp_a is not None else ()
        return self._next_round(client, identity, alias, history, None, srp_a=srp_a)

    def respond_to_auth_challenge(self, params: dict) -> dict:
        client_id = P.client_id(params)
        challenge_name = P.enum(params, "ChallengeName", CHALLENGE_NAMES)
        token = P.string(params, "Session", required=False, min_len=20, max_len=4096)
        responses = P.string_map(params, "ChallengeResponses") or {}
        client_metadata = P.string_map(params, "ClientMetadata")
        client = self._client(client_id)
        if challenge_name == PASSWORD_VERIFIER:
            return self._verify_password(client, token, responses, client_metadata)
        if challenge_name != CUSTOM_CHALLENGE:
            raise _unsupported(f"ChallengeName {challenge_name}")
        alias = P.require(responses, "USERNAME")
        self._check_secret_hash(client, responses.get("SECRET_HASH"), alias)
        answer = P.require(responses, "ANSWER")
        if token is None:
            raise invalid_parameter("Missing required parameter Session")
        session = self._consume_session(client, ids.digest(token), challenge_name, alias)
        identity = self._session_identity(session)
        self._require_trigger("VerifyAuthChallengeResponse")
        verdict = self.triggers.verify_auth_challenge_response(
            client.client_id, identity, session.private_parameters, answer, client_metadata
        )
        result = ChallengeResult(session.challenge_name, verdict["answerCorrect"] is True, session.challenge_metadata)
        return self._next_round(client, identity, session.alias, (*session.history, result), client_metadata)

    def _next_round(
        self,
        client: Client,
        identity: AuthIdentity,
        alias: str,
        history: tuple[ChallengeResult, ...],
        client_metadata: dict[str, str] | None,
        srp_a: int | None = None,
    ) -> dict:
        """Ask Define what comes next; fail, issue tokens, or create the next
        challenge and hand out a new session for it. ``srp_a`` is the client's
        SRP ``A`` in the round InitiateAuth started with it."""
        session = [result.event_shape() for result in history]
        decision = self.triggers.define_auth_challenge(client.client_id, identity, session, client_metadata)
        if decision["failAuthentication"]:
            raise not_authorized(INCORRECT_CREDENTIALS)
        if decision["issueTokens"]:
            user = None if identity.user_not_found else self.store.get_user(identity.username)
            if user is None:
                raise not_authorized(INCORRECT_CREDENTIALS)
            return {"ChallengeParameters": {}, "AuthenticationResult": self._issue_tokens(client, user)}
        challenge_name = decision["challengeName"]
        if challenge_name == PASSWORD_VERIFIER:
            return self._password_verifier_round(client, identity, alias, history, srp_a)
        if challenge_name != CUSTOM_CHALLENGE:
            if challenge_name in CHALLENGE_NAMES:
                raise _unsupported(f"Challenge {challenge_name} from DefineAuthChallenge")
            raise CognitoError("InvalidLambdaResponseException", UNRECOGNIZABLE_LAMBDA_OUTPUT)
        self._require_trigger("CreateAuthChallenge")
        created = self.triggers.create_auth_challenge(
            client.client_id, identity, challenge_name, session, client_metadata
        )
        token = self._open_session(
            client, identity, alias, history, challenge_name,
            private_parameters=created["privateChallengeParameters"] or {},
            challenge_metadata=created["challengeMetadata"],
        )
        public = created["publicChallengeParameters"] or {}
        return {
            "ChallengeName": challenge_name,
            "Session": token,
            "ChallengeParameters": {**public, "USERNAME": identity.username},
        }

    def _open_session(self, client: Client, identity, alias: str, history, challenge_name: str, **round_state) -> str:
        """Store a new single-use session for the next round; its opaque token."""
        token = ids.opaque_token(144)
        now = self.clock()
        with self.store.transaction():
            self.store.delete_sessions_expired_before(now - _SESSION_RETENTION_SECONDS)
            self.store.insert_session(
                AuthSession(
                    digest=ids.digest(token),
                    client_id=client.client_id,
                    username=identity.username,
                    alias=alias,
                    user_not_found=identity.user_not_found,
                    history=history,
                    challenge_name=challenge_name,
                    expires_at=now + self.config.session_validity_seconds,
                    used=False,
                    **round_state,
                )
            )
        return token

    def _consume_session(self, client: Client, digest: str | None, challenge_name: str, alias: str) -> AuthSession:
        """The session of this round (by the digest of its token), marked
        used; AWS's errors if it cannot be."""
        with self.store.transaction():
            session = self.store.get_session(digest) if digest is not None else None
            if session is None or session.client_id != client.client_id:
                raise not_authorized(SESSION_INVALID)
            if session.used:
                raise not_authorized(SESSION_USED)
            if session.expires_at <= self.clock():
                raise not_authorized(SESSION_EXPIRED)
            if challenge_name != session.challenge_name:
                raise invalid_parameter(f"The session expects a {session.challenge_name} response.")
            if alias != session.username and email_key(alias) != email_key(session.alias):
                raise not_authorized(SESSION_INVALID)
            self.store.mark_session_used(session.digest)
        return session

    # ----- passwords (SRP) ------------------------------------------------------
    def _password_verifier_round(
        self, client: Client, identity: AuthIdentity, alias: str,
        history: tuple[ChallengeResult, ...], srp_a: int | None,
    ) -> dict:
        """Define asked for PASSWORD_VERIFIER: answer the client's ``A`` with
        ``B``, the salt and a SECRET_BLOCK, and keep the key the client must
        prove it derived. An unknown user, or one without a verifier (a state
        file from before passwords were kept), gets a stand-in verifier: the
        same-looking challenge, that no password passes."""
        if srp_a is None or [step.challenge_name for step in history] != [SRP_A]:
            raise CognitoError(
                "InvalidLambdaResponseException",
                "DefineAuthChallenge asked for PASSWORD_VERIFIER, which only answers the SRP_A of InitiateAuth.",
            )
        stored = None if identity.user_not_found else self.store.get_credentials(identity.username)
        if stored is not None and stored.salt and stored.verifier:
            verifier, stand_in = srp.PasswordVerifier.from_hex(stored.salt, stored.verifier), False
        else:
            verifier, stand_in = self._stand_in_verifier(identity.username), True
        exchange = srp.server_exchange(srp.COGNITO, verifier.verifier, srp_a)
        secret_block = secrets.token_bytes(_SECRET_BLOCK_BYTES)
        token = self._open_session(
            client, identity, alias, history, PASSWORD_VERIFIER,
            private_parameters={},
            challenge_metadata=None,
            srp={"key": srp.password_key(exchange).hex(), "salt": verifier.salt_hex, "standIn": stand_in},
            secret_block_digest=_bytes_digest(secret_block),
        )
        return {
            "ChallengeName": PASSWORD_VERIFIER,
            "Session": token,
            "ChallengeParameters": {
                "SALT": verifier.salt_hex,
                "SECRET_BLOCK": base64.b64encode(secret_block).decode(),
                "SRP_B": format(exchange.B, "x"),
                "USERNAME": identity.username,
                "USER_ID_FOR_SRP": identity.username,
            },
        }

    def _stand_in_verifier(self, username: str) -> srp.PasswordVerifier:
        """The same salt every time for the same name (keyed by the pool's
        secret salt, like the decoy user names), and a verifier of no known
        password."""
        key = self.pool.decoy_salt.encode()
        salt = hmac.new(key, f"srp-salt:{username}".encode(), "sha256").digest()[: srp.SALT_BYTES]
        x = int.from_bytes(hmac.new(key, f"srp-x:{username}".encode(), "sha256").digest(), "big")
        return srp.PasswordVerifier(srp.cognito_pad(int.from_bytes(salt, "big")), srp.verifier(srp.COGNITO, x))

    def _verify_password(
        self, client: Client, token: str | None, responses: dict[str, str], client_metadata: dict[str, str] | None
    ) -> dict:
        """RespondToAuthChallenge PASSWORD_VERIFIER: check the password claim
        (the echoed SECRET_BLOCK, a current TIMESTAMP, the signature), count
        failures towards the lockout, then ask Define what comes next. The
        session is found by ``Session``, or by the SECRET_BLOCK when a client
        sends no ``Session`` (as pycognito does)."""
        alias = P.require(responses, "USERNAME")
        self._check_secret_hash(client, responses.get("SECRET_HASH"), alias)
        secret_block_text = P.require(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
        signature = P.require(responses, "PASSWORD_CLAIM_SIGNATURE")
        timestamp_text = P.require(responses, "TIMESTAMP")
        try:
            timestamp = srp.parse_timestamp(timestamp_text)
        except ValueError:
            raise invalid_parameter(TIMESTAMP_FORMAT) from None
        secret_block = _b64decode(secret_block_text)
        if token is not None:
            digest = ids.digest(token)
        else:
            digest = self.store.find_session_by_secret_block(_bytes_digest(secret_block)) if secret_block else None
        session = self._consume_session(client, digest, PASSWORD_VERIFIER, alias)
        identity = self._session_identity(session)
        user_id = identity.username
        now = self.clock()
        counted = not identity.user_not_found
        if counted:
            stored = self.store.get_credentials(user_id)
            if stored is not None and stored.locked_until is not None and stored.locked_until > now:
                raise not_authorized(PASSWORD_ATTEMPTS_EXCEEDED)
        else:
            stored = None
        state = session.srp or {}
        echoed = secret_block is not None and hmac.compare_digest(
            _bytes_digest(secret_block), session.secret_block_digest or ""
        )
        if not echoed or not srp.timestamp_is_current(timestamp, now):
            # Not evidence about the password: the session ends, nothing is counted.
            raise not_authorized(INCORRECT_CREDENTIALS)
        expected = srp.claim_signature(
            bytes.fromhex(state["key"]), self.pool.id, user_id, secret_block, timestamp_text
        )
        still_the_password = stored is not None and stored.salt == state.get("salt")
        correct = srp.signature_matches(expected, signature) and not state.get("standIn") and still_the_password
        if not correct:
            if counted:
                self._count_password_failure(user_id, now)
            raise not_authorized(INCORRECT_CREDENTIALS)
        self.store.clear_password_failures(user_id)
        result = ChallengeResult(PASSWORD_VERIFIER, True, None)
        return self._next_round(client, identity, session.alias, (*session.history, result), client_metadata)

    def _count_password_failure(self, username: str, now: float) -> None:
        """One more failure; from the fifth in a row, each locks the password
        for ``password_lockout_seconds``. Failures are forgotten after 15
        minutes without one."""
        with self.store.transaction():
            stored = self.store.get_credentials(username)
            failures = stored.failed_attempts if stored is not None else 0
            last = stored.last_failed_at if stored is not None else None
            if last is not None and now - last > _FAILURES_FORGOTTEN_AFTER_SECONDS:
                failures = 0
            failures += 1
            locked_until = (
                now + self.config.password_lockout_seconds if failures >= PASSWORD_ATTEMPTS_BEFORE_LOCKOUT else None
            )
            self.store.record_password_failure(username, failures, now, locked_until)

    # ----- forgotten passwords --------------------------------------------------
    def forgot_password(self, params: dict) -> dict:
        """Mail a 6-digit code to the user's verified email (the dev inbox).
        Under PreventUserExistenceErrors ENABLED an unknown user gets the same
        kind of answer, and nothing is sent."""
        client_id = P.client_id(params)
        username = P.username(params)
        secret_hash = P.string(params, "SecretHash", required=False, max_len=128, pattern=P.SECRET_HASH)
        P.string_map(params, "ClientMetadata")  # for a custom message trigger, which the pool has not
        client = self._client(client_id)
        self._check_secret_hash(client, secret_hash, username)
        user = self._find_user(username)
        if user is None:
            if self.config.prevent_user_existence_errors == "LEGACY":
                raise CognitoError("UserNotFoundException", USERNAME_CLIENT_NOT_FOUND)
            return _code_delivery(self._stand_in_destination(username))
        if user.attributes.get("email_verified") != "true":
            raise invalid_parameter(NO_VERIFIED_CONTACT)
        now = self.clock()
        code = f"{secrets.randbelow(10**6):06d}"
        with self.store.transaction():
            if self.store.count_reset_requests_since(user.username, now - 3600) >= MAX_RESET_CODES_PER_HOUR:
                raise CognitoError("LimitExceededException", ATTEMPT_LIMIT_EXCEEDED)
            self.store.put_reset_code(
                user.username, self._code_digest(user.username, code), now + RESET_CODE_VALIDITY_SECONDS, now
            )
            self.store.add_message(user.email, RESET_SUBJECT, RESET_BODY.format(code=code), code, now)
        log.info("[local Cognito] password reset code for %s: %s", user.email, code)
        return _code_delivery(_masked(user.email))

    def confirm_forgot_password(self, params: dict) -> dict:
        """Set a new password with the code ForgotPassword mailed: it must be
        the latest, unexpired (1 hour) and right; 5 wrong codes spend it. The
        new password meets the policy, and clears any lockout."""
        client_id = P.client_id(params)
        username = P.username(params)
        code = P.string(params, "ConfirmationCode", max_len=2048, pattern=_NOT_SPACE)
        password = P.string(params, "Password", max_len=256, pattern=_NOT_SPACE)
        secret_hash = P.string(params, "SecretHash", required=False, max_len=128, pattern=P.SECRET_HASH)
        P.string_map(params, "ClientMetadata")
        client = self._client(client_id)
        self._check_secret_hash(client, secret_hash, username)
        user = self._find_user(username)
        if user is None and self.config.prevent_user_existence_errors == "LEGACY":
            raise CognitoError("UserNotFoundException", USERNAME_CLIENT_NOT_FOUND)
        check_password(password)
        if user is None:
            raise CognitoError("CodeMismatchException", CODE_MISMATCH)
        verifier = srp.make_verifier(self.pool.id, user.username, password)
        with self.store.transaction():
            record = self.store.get_reset_code(user.username)
            if record is None or record.expires_at <= self.clock():
                failure = CognitoError("ExpiredCodeException", CODE_EXPIRED)
            elif record.failed_attempts >= MAX_WRONG_RESET_CODES:
                failure = CognitoError("LimitExceededException", ATTEMPT_LIMIT_EXCEEDED)
            elif not hmac.compare_digest(self._code_digest(user.username, code), record.code_digest):
                self.store.count_failed_reset_attempt(user.username)
                failure = CognitoError("CodeMismatchException", CODE_MISMATCH)
            else:
                failure = None
                self.store.delete_reset_code(user.username)
                self.store.set_password_verifier(user.username, verifier.salt_hex, verifier.verifier_hex)
        if failure is not None:
            raise failure
        return {}

    def _code_digest(self, username: str, code: str) -> str:
        return hmac.new(self.pool.decoy_salt.encode(), f"reset:{username}:{code}".encode(), "sha256").hexdigest()

    def _stand_in_destination(self, name: str) -> str:
        """Where an unknown user's code "went": the name masked when it is an
        email, else a made-up masked address, the same each time."""
        if EMAIL.match(name):
            return _masked(name)
        digest = hmac.new(self.pool.decoy_salt.encode(), f"destination:{email_key(name)}".encode(), "sha256").digest()
        letters = "abcdefghijklmnopqrstuvwxyz"
        return f"{letters[digest[0] % 26]}***@{letters[digest[1] % 26]}***"

    # ----- dev inbox ------------------------------------------------------------
    def inbox(self, recipient: str | None = None) -> list[dict]:
        """The mails "sent", newest first, shaped like the local Authsignal's."""
        return [
            {
                "to": m.recipient,
                "subject": m.subject,
                "body": m.body,
                "code": m.code,
                "sentAt": _iso8601(m.sent_at),
            }
            for m in self.store.messages(recipient)
        ]

    def _session_identity(self, session: AuthSession) -> AuthIdentity:
        if session.user_not_found:
            return self._decoy(session.alias)
        user = self.store.get_user(session.username)
        if user is None:
            raise not_authorized(INCORRECT_CREDENTIALS)
        return _identity(user)

    def _decoy(self, alias: str) -> AuthIdentity:
        """A made-up user for an unknown name: the same name every time (keyed
        by the pool's secret salt), shaped like a real one."""
        digest = hmac.new(self.pool.decoy_salt.encode(), email_key(alias).encode(), "sha256").digest()
        username = str(uuid.UUID(bytes=digest[:16], version=4))
        attributes = {"sub": username, "email_verified": "true", "cognito:user_status": CONFIRMED}
        if EMAIL.match(alias):
            attributes["email"] = alias
        return AuthIdentity(username, attributes, user_not_found=True)

    def _require_trigger(self, name: str) -> None:
        if not self.triggers.configured(name):
            raise invalid_parameter("Custom auth lambda trigger is not configured for the user pool.")

    # ----- tokens -------------------------------------------------------------
    def _issue_tokens(self, client: Client, user: User) -> dict:
        now = self.clock()
        auth = Authentication(user.username, client.client_id, int(now), origin_jti=str(uuid.uuid4()))
        refresh_token = self._new_refresh_token(
            auth, jti=auth.origin_jti, expires_at=now + self.config.refresh_token_validity_seconds
        )
        return {**self._token_pair(auth, user), "RefreshToken": refresh_token}

    def _new_refresh_token(self, auth: Authentication, jti: str, expires_at: float) -> str:
        """Store a refresh token of the sign-in ``auth`` (its family is the
        sign-in's ``origin_jti``) and return it."""
        refresh_token = ids.opaque_token(96)
        self.store.insert_refresh_token(
            RefreshToken(
                digest=ids.digest(refresh_token), jti=jti, username=auth.username,
                client_id=auth.client_id, auth_time=auth.auth_time, expires_at=expires_at,
                revoked=False, family=auth.origin_jti,
            )
        )
        return refresh_token

    def _token_pair(self, auth: Authentication, user: User) -> dict:
        validity = self.config.token_validity_seconds
        return {
            "AccessToken": self.signer.access_token(auth, user.attributes["sub"], validity),
            "ExpiresIn": validity,
            "TokenType": "Bearer",
            "IdToken": self.signer.id_token(auth, user.attributes, validity),
        }

    def _refresh(self, client: Client, auth_parameters: dict[str, str]) -> dict:
        """InitiateAuth's REFRESH_TOKEN_AUTH: new ID and access tokens only."""
        token = P.require(auth_parameters, "REFRESH_TOKEN")
        secret_hash = auth_parameters.get("SECRET_HASH")
        if client.secret is not None and not secret_hash:
            raise not_authorized(_secret_hash_missing(client))
        # With an email alias pool, the hash is over the internal user name.
        record, user = self._redeem(
            client, token, lambda record: self._check_secret_hash(client, secret_hash, record.username)
        )
        auth = Authentication(user.username, client.client_id, record.auth_time, record.family)
        return {"ChallengeParameters": {}, "AuthenticationResult": self._token_pair(auth, user)}

    def get_tokens_from_refresh_token(self, params: dict) -> dict:
        """New ID and access tokens; with rotation, a new refresh token too,
        the one given then working only for the retry grace period. ``DeviceKey``
        and ``ClientMetadata`` are accepted and unused (no device tracking, no
        pre token generation trigger)."""
        token = P.token(params, "RefreshToken")
        client_id = P.client_id(params)
        given_secret = P.string(
            params, "ClientSecret", required=False, min_len=24, max_len=64, pattern=P.CLIENT_SECRET
        )
        P.string(params, "DeviceKey", required=False, max_len=55, pattern=P.DEVICE_KEY)
        P.string_map(params, "ClientMetadata")
        client = self._client(client_id)
        self._check_client_secret(client, given_secret)
        if FLOW_PERMISSIONS["REFRESH_TOKEN_AUTH"] not in self.config.explicit_auth_flows:
            raise invalid_parameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
        with self.store.transaction():
            record, user = self._redeem(client, token)
            auth = Authentication(user.username, client.client_id, record.auth_time, record.family)
            result = self._token_pair(auth, user)
            if self.config.rotates_refresh_tokens:
                # The new token ends when the sign-in's first one would have.
                result["RefreshToken"] = self._new_refresh_token(
                    auth, jti=str(uuid.uuid4()), expires_at=record.expires_at
                )
                grace = self.config.refresh_token_retry_grace_period_seconds
                self.store.retire_refresh_token(record.digest, self.clock() + grace)
        return {"AuthenticationResult": result}

    def _redeem(
        self, client: Client, token: str, check: Callable[[RefreshToken], None] | None = None
    ) -> tuple[RefreshToken, User]:
        """The record and user of a refresh token that may be used now, or
        AWS's errors; ``check`` runs once the token is known (SECRET_HASH)."""
        record = self.store.get_refresh_token(ids.digest(token))
        if record is None or record.client_id != client.client_id:
            raise not_authorized(REFRESH_TOKEN_INVALID)
        if check is not None:
            check(record)
        if record.revoked:
            raise not_authorized(REFRESH_TOKEN_REVOKED)
        now = self.clock()
        if record.expires_at <= now:
            raise not_authorized(REFRESH_TOKEN_EXPIRED)
        if record.usable_until is not None and record.usable_until <= now:
            raise CognitoError("RefreshTokenReuseException", REFRESH_TOKEN_ROTATED)
        user = self.store.get_user(record.username)
        if user is None:
            raise not_authorized(REFRESH_TOKEN_INVALID)
        return record, user

    def _authorize(self, access_token: str) -> User:
        """The user of a valid, unrevoked access token."""
        claims = self.signer.verify_access_token(access_token)
        user = self.store.get_user(claims["username"])
        if user is None:
            raise CognitoError("UserNotFoundException", USER_DOES_NOT_EXIST)
        origin = self.store.get_refresh_token_by_jti(claims["origin_jti"])
        if origin is None or origin.revoked:
            raise not_authorized(ACCESS_TOKEN_REVOKED)
        return user

    def get_user(self, params: dict) -> dict:
        user = self._authorize(P.token(params, "AccessToken"))
        return {"Username": user.username, "UserAttributes": _attribute_list(user)}

    def global_sign_out(self, params: dict) -> dict:
        user = self._authorize(P.token(params, "AccessToken"))
        self.store.revoke_user_refresh_tokens(user.username)
        return {}

    def revoke_token(self, params: dict) -> dict:
        """Revoke a refresh token and the access tokens issued from it. As in
        RFC 7009, a token that is unknown (or already revoked) is no error."""
        token = P.token(params, "Token")
        client_id = P.client_id(params)
        given_secret = P.string(params, "ClientSecret", required=False)
        P.enum(params, "RevokeAssociatedSessions", ("NONE", "LINKED"), required=False)
        client = self._client(client_id)
        if client.secret is not None and not (
            given_secret is not None and hmac.compare_digest(given_secret.encode(), client.secret.encode())
        ):
            raise CognitoError("UnauthorizedException", f"Invalid client secret for client {client.client_id}.")
        if token.count(".") == 2:
            raise CognitoError("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")
        with self.store.transaction():
            record = self.store.get_refresh_token(ids.digest(token))
            if record is None:
                return {}
            if record.client_id != client.client_id:
                raise CognitoError("UnauthorizedException", "The token was not issued to this client.")
            self.store.revoke_refresh_token(record.digest)
        return {}

    # ----- admin (the protocol requires a signature, in form only) ------------
    def admin_get_user(self, params: dict) -> dict:
        pool_id, name = P.user_pool_id(params), P.username(params)
        self._check_pool(pool_id)
        user = self._find_user(name)
        if user is None:
            raise CognitoError("UserNotFoundException", USER_DOES_NOT_EXIST)
        return {
            "Username": user.username,
            "UserAttributes": _attribute_list(user),
            "UserCreateDate": user.created_at,
            "UserLastModifiedDate": user.modified_at,
            "Enabled": user.enabled,
            "UserStatus": user.status,
        }

    def admin_delete_user(self, params: dict) -> dict:
        """Delete the user; their refresh tokens go with them."""
        pool_id, name = P.user_pool_id(params), P.username(params)
        self._check_pool(pool_id)
        with self.store.transaction():
            user = self._find_user(name)
            if user is None:
                raise CognitoError("UserNotFoundException", USER_DOES_NOT_EXIST)
            self.store.delete_user(user.username)
        return {}

    # ----- discovery ----------------------------------------------------------
    def list_user_pools(self, params: dict) -> dict:
        P.integer(params, "MaxResults", 1, 60, required=True)
        # One pool, so one page: any NextToken points past the end.
        next_token = P.string(params, "NextToken", required=False)
        return {"UserPools": [] if next_token else [pool_summary(self.pool, self.config)]}

    def describe_user_pool(self, params: dict) -> dict:
        self._check_pool(P.user_pool_id(params))
        return {"UserPool": pool_description(self.pool, self.config, self.store.count_users())}

    def list_user_pool_clients(self, params: dict) -> dict:
        pool_id = P.user_pool_id(params)
        P.integer(params, "MaxResults", 1, 60, required=False)
        next_token = P.string(params, "NextToken", required=False)
        self._check_pool(pool_id)
        clients = [] if next_token else [self.client]
        return {
            "UserPoolClients": [
                {"ClientId": c.client_id, "UserPoolId": c.pool_id, "ClientName": c.name} for c in clients
            ]
        }

    def describe_user_pool_client(self, params: dict) -> dict:
        pool_id, client_id = P.user_pool_id(params), P.client_id(params)
        self._check_pool(pool_id)
        return {"UserPoolClient": client_description(self._client(client_id), self.config)}

    # ----- helpers ------------------------------------------------------------
    def _client(self, client_id: str) -> Client:
        if client_id != self.client.client_id:
            raise _resource_not_found(f"User pool client {client_id} does not exist.")
        return self.client

    def _check_pool(self, pool_id: str) -> None:
        if pool_id != self.pool.id:
            raise _resource_not_found(f"User pool {pool_id} does not exist.")

    def _find_user(self, name: str) -> User | None:
        """By email alias or internal user name, as sign-in accepts either."""
        return self.store.find_user_by_email(name) or self.store.get_user(name)

    def _check_client_secret(self, client: Client, given: str | None) -> None:
        """``ClientSecret`` of GetTokensFromRefreshToken, when the client has one."""
        if client.secret is None:
            return
        if given is None:
            raise not_authorized(
                f"Client {client.client_id} is configured with secret but ClientSecret was not received"
            )
        if not hmac.compare_digest(given.encode(), client.secret.encode()):
            raise not_authorized(f"Unable to verify client secret for client {client.client_id}")

    def _check_secret_hash(self, client: Client, given: str | None, username: str) -> None:
        if client.secret is None:
            return
        if not given:
            raise not_authorized(_secret_hash_missing(client))
        expected = ids.secret_hash(client.secret, username, client.client_id)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise not_authorized(f"Unable to verify secret hash for client {client.client_id}")


_NOT_SPACE = re.compile(r"^[\S]+$")


def _srp_a(auth_parameters: dict[str, str]) -> int | None:
    """The client's ``A`` when CUSTOM_AUTH starts with SRP (``CHALLENGE_NAME:
    SRP_A`` and ``SRP_A``), else None."""
    challenge = auth_parameters.get("CHALLENGE_NAME")
    if challenge is None and "SRP_A" not in auth_parameters:
        return None
    if challenge not in (None, SRP_A):
        raise invalid_parameter(f"CHALLENGE_NAME {challenge} is not supported; a CUSTOM_AUTH may start with SRP_A.")
    text = P.require(auth_parameters, "SRP_A")
    try:
        value = srp.parse_public_value(text)
    except ValueError:
        raise invalid_parameter("SRP_A must be a hexadecimal number.") from None
    if value % srp.COGNITO.N == 0:
        raise invalid_parameter("SRP_A is not a valid SRP value.")
    return value


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def _bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _code_delivery(destination: str) -> dict:
    return {"CodeDeliveryDetails": {"Destination": destination, "DeliveryMedium": "EMAIL", "AttributeName": "email"}}


def _iso8601(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _secret_hash_missing(client: Client) -> str:
    return f"Client {client.client_id} is configured with secret but SECRET_HASH was not received"


def _identity(user: User) -> AuthIdentity:
    return AuthIdentity(user.username, {**user.attributes, "cognito:user_status": user.status}, False)


def _attribute_list(user: User) -> list[dict]:
    return [{"Name": name, "Value": value} for name, value in user.attributes.items()]
