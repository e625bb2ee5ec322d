"""What the local Cognito does, apart from HTTP: sign-up, the CUSTOM_AUTH
state machine, tokens, sign-out, and the admin and discovery operations. Each
operation takes the request's JSON parameters and returns the response's, as
the service model names them.

Users sign in by email; their internal user name is a UUID, equal to ``sub``.
Passwords are checked against the pool's policy and dropped: the local
Cognito runs no password flows.
"""

from __future__ import annotations

import hmac
import time
import uuid
from typing import Callable

from . import ids
from . import params as P
from .config import CognitoEmulatorConfig
from .errors import (
    ACCESS_TOKEN_REVOKED,
    EMAIL_EXISTS,
    INCORRECT_CREDENTIALS,
    REFRESH_TOKEN_EXPIRED,
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REVOKED,
    REFRESH_TOKEN_ROTATED,
    SESSION_EXPIRED,
    SESSION_INVALID,
    SESSION_USED,
    UNRECOGNIZABLE_LAMBDA_OUTPUT,
    USER_DOES_NOT_EXIST,
    USER_NOT_CONFIRMED,
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
CONFIRMED, UNCONFIRMED = "CONFIRMED", "UNCONFIRMED"
#: Used sessions are kept this long past expiry, to name why they fail.
_SESSION_RETENTION_SECONDS = 3600


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
        try:
            self.store.insert_user(user)
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
        alias = P.require(auth_parameters, "USERNAME")
        self._check_secret_hash(client, auth_parameters.get("SECRET_HASH"), alias)
        if "SRP_A" in auth_parameters:
            raise _unsupported("CUSTOM_AUTH starting with SRP_A (the password + MFA variant)")
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
        return self._next_round(client, identity, alias, (), None)

    def respond_to_auth_challenge(self, params: dict) -> dict:
        client_id = P.client_id(params)
        challenge_name = P.enum(params, "ChallengeName", CHALLENGE_NAMES)
        token = P.string(params, "Session", required=False, min_len=20, max_len=4096)
        responses = P.string_map(params, "ChallengeResponses") or {}
        client_metadata = P.string_map(params, "ClientMetadata")
        client = self._client(client_id)
        if challenge_name != CUSTOM_CHALLENGE:
            raise _unsupported(f"ChallengeName {challenge_name}")
        alias = P.require(responses, "USERNAME")
        self._check_secret_hash(client, responses.get("SECRET_HASH"), alias)
        answer = P.require(responses, "ANSWER")
        if token is None:
            raise invalid_parameter("Missing required parameter Session")
        session = self._consume_session(client, token, challenge_name, alias)
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
    ) -> dict:
        """Ask Define what comes next; fail, issue tokens, or create the next
        challenge and hand out a new session for it."""
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
        if challenge_name != CUSTOM_CHALLENGE:
            if challenge_name in CHALLENGE_NAMES:
                raise _unsupported(f"Challenge {challenge_name} from DefineAuthChallenge")
            raise CognitoError("InvalidLambdaResponseException", UNRECOGNIZABLE_LAMBDA_OUTPUT)
        self._require_trigger("CreateAuthChallenge")
        created = self.triggers.create_auth_challenge(
            client.client_id, identity, challenge_name, session, client_metadata
        )
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
                    private_parameters=created["privateChallengeParameters"] or {},
                    challenge_metadata=created["challengeMetadata"],
                    expires_at=now + self.config.session_validity_seconds,
                    used=False,
                )
            )
        public = created["publicChallengeParameters"] or {}
        return {
            "ChallengeName": challenge_name,
            "Session": token,
            "ChallengeParameters": {**public, "USERNAME": identity.username},
        }

    def _consume_session(self, client: Client, token: str, challenge_name: str, alias: str) -> AuthSession:
        """The session of this round, marked used; AWS's errors if it cannot be."""
        with self.store.transaction():
            session = self.store.get_session(ids.digest(token))
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


def _secret_hash_missing(client: Client) -> str:
    return f"Client {client.client_id} is configured with secret but SECRET_HASH was not received"


def _identity(user: User) -> AuthIdentity:
    return AuthIdentity(user.username, {**user.attributes, "cognito:user_status": user.status}, False)


def _attribute_list(user: User) -> list[dict]:
    return [{"Name": name, "Value": value} for name, value in user.attributes.items()]
