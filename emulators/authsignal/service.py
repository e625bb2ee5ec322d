"""What the local Authsignal does, apart from HTTP: track, validate, get and
update actions, the email OTP challenge behind the pre-built UI, and the dev
inbox. Users and authenticators are :class:`~.users.UserService`'s."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import uuid
from urllib.parse import urlsplit

from . import attributes
from .checks import ACTION_STATES, check_action_code, check_object, check_user_id, is_email
from .config import AuthsignalEmulatorConfig
from .errors import ApiError, invalid_request
from .origins import is_allowed, origin_of
from .shapes import compact, iso8601
from .store import Action, AuthsignalStore
from .tokens import RESULT_SCOPE, TRACK_SCOPE, TokenClaims, TokenService
from .users import UserService

log = logging.getLogger("emulators.authsignal")

CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"
CHALLENGE_SUCCEEDED = "CHALLENGE_SUCCEEDED"
CHALLENGE_FAILED = "CHALLENGE_FAILED"
EMAIL_OTP = "EMAIL_OTP"


class AuthsignalService:
    def __init__(
        self,
        config: AuthsignalEmulatorConfig,
        store: AuthsignalStore,
        clock=time.time,
        origin: str = "http://127.0.0.1",
    ):
        self.config = config
        self.store = store
        self.clock = clock
        self.origin = origin
        self.tokens = TokenService(config.secret, config.tenant_id, config.token_ttl_seconds, clock)
        self.users = UserService(config, store, clock)

    def set_origin(self, origin: str) -> None:
        """The emulator's own origin, known once its socket is bound."""
        self.origin = origin

    # ----- server API -------------------------------------------------------
    def track(self, user_id: str, action: str, body: object) -> dict:
        check_user_id(user_id)
        check_action_code(action)
        body = check_object(body)
        attributes.check_names(body, attributes.TRACK, "track", self.config.strict)
        email = body.get("email")
        if email is not None and not is_email(email):
            raise invalid_request("email is not a valid email address.")
        redirect_url = body.get("redirectUrl")
        if redirect_url is not None:
            self._check_redirect_url(redirect_url)
        key = body.get("idempotencyKey")
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
            raise invalid_request("idempotencyKey must be a string of 1 to 200 characters.")
        key = key or str(uuid.uuid4())

        now = self.clock()
        with self.store.transaction():
            self.store.ensure_user(user_id, now)
            try:
                self.store.insert_action(
                    Action(
                        idempotency_key=key, user_id=user_id, action=action,
                        state=CHALLENGE_REQUIRED, email=email or self.users.enrolled_email(user_id),
                        redirect_url=redirect_url, created_at=now, state_updated_at=now,
                        verification_method=None, validated_at=None, wrong_codes=0, code=None,
                        code_expires_at=None,
                    )
                )
            except KeyError:
                raise invalid_request("idempotencyKey has already been used.") from None
            enrolment = self.users.enrolment(user_id)
        token = self.tokens.issue(user_id, action, key, TRACK_SCOPE)
        return {
            "state": CHALLENGE_REQUIRED,
            "idempotencyKey": key,
            "url": f"{self.origin}/challenge?token={token}",
            "token": token,
            **enrolment,
        }

    def validate(self, body: object) -> dict:
        body = check_object(body)
        unknown = set(body) - attributes.VALIDATE
        # A snake_case user_id is refused even when lenient: ignoring it, as
        # the real API does, would silently skip the check that it names.
        if "user_id" in unknown or (unknown and self.config.strict):
            raise invalid_request(
                f"Unknown field(s): {', '.join(sorted(unknown))}. "
                "The body takes token, userId and action (camelCase)."
            )
        attributes.check_names(body, attributes.VALIDATE, "validate", strict=False)
        for name in ("userId", "action"):
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or not value):
                raise invalid_request(f"{name} must be a non-empty string.")
        try:
            claims = self.tokens.verify(body.get("token"))
        except ApiError as exc:
            raise ApiError(400, exc.code, exc.description) from None

        with self.store.transaction():
            row = self.store.get_action(claims.idempotency_key)
            if row is None or row.user_id != claims.user_id:
                raise ApiError(400, "invalid_token", "The token does not match any action.")
            if body.get("userId") is not None and body["userId"] != row.user_id:
                raise invalid_request("User is invalid.")
            result = self._validation_body(row)
            if body.get("action") is not None and body["action"] != row.action:
                return {**result, "isValid": False}
            first_success = row.state == CHALLENGE_SUCCEEDED and row.validated_at is None
            if first_success:
                self.store.update_action(row.idempotency_key, validated_at=self.clock())
            return {**result, "isValid": first_success}

    def get_action(self, user_id: str, action: str, idempotency_key: str) -> dict:
        check_user_id(user_id)
        check_action_code(action)
        return self._action_body(self._action_of(user_id, action, idempotency_key))

    def update_action(self, user_id: str, action: str, idempotency_key: str, body: object) -> dict:
        """Set an action's state, as a server does after its own review. A
        state set to ``CHALLENGE_SUCCEEDED`` validates once, like one reached in the UI."""
        check_user_id(user_id)
        check_action_code(action)
        body = check_object(body)
        attributes.check_names(body, attributes.UPDATE_ACTION, "update action", self.config.strict)
        state = body.get("state")
        if state not in ACTION_STATES:
            raise invalid_request(f"state must be one of {', '.join(ACTION_STATES)}.")
        with self.store.transaction():
            row = self._action_of(user_id, action, idempotency_key)
            self.store.update_action(row.idempotency_key, state=state, state_updated_at=self.clock())
            return self._action_body(self.store.get_action(row.idempotency_key))

    def _action_of(self, user_id: str, action: str, idempotency_key: str) -> Action:
        row = self.store.get_action(idempotency_key)
        if row is None or row.user_id != user_id or row.action != action:
            raise ApiError(404, "not_found", "No such action for this user.")
        return row

    def _action_body(self, row: Action) -> dict:
        return compact({
            "state": row.state,
            "stateUpdatedAt": iso8601(row.state_updated_at),
            "createdAt": iso8601(row.created_at),
            "verificationMethod": row.verification_method,
            "idempotencyKey": row.idempotency_key,
            # No rules engine: the rules' output is always empty.
            "output": {"custom": {}},
        })

    # ----- client API (Bearer track token) -----------------------------------
    def authenticate(self, token: str) -> TokenClaims:
        claims = self.tokens.verify(token)
        if self.store.get_action(claims.idempotency_key) is None:
            raise ApiError(401, "invalid_token", "The token does not match any action.")
        return claims

    def challenge_context(self, claims: TokenClaims) -> dict:
        """What the pre-built UI needs to render a challenge."""
        row = self.store.get_action(claims.idempotency_key)
        return {
            "email": row.email,
            "state": row.state,
            "redirectUrl": row.redirect_url,
            "attemptsRemaining": max(self.config.max_wrong_codes - row.wrong_codes, 0),
        }

    def enroll_email(self, claims: TokenClaims, email: object) -> dict:
        """Set the email for a challenge that was tracked without one, and send a code."""
        if not is_email(email):
            raise invalid_request("Enter a valid email address.")
        with self.store.transaction():
            row = self._pending_action(claims)
            if row.email and row.email.lower() != email.lower():
                raise invalid_request("This challenge already has an email address.")
            self.store.update_action(row.idempotency_key, email=email)
            self._send_code(self.store.get_action(row.idempotency_key))
        return {"userAuthenticatorId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"email-otp:{row.user_id}"))}

    def send_email_code(self, claims: TokenClaims) -> dict:
        with self.store.transaction():
            row = self._pending_action(claims)
            if not row.email:
                raise invalid_request("No email address for this challenge: enroll one first.")
            self._send_code(row)
        return {"challengeId": row.idempotency_key}

    def verify_email_code(self, claims: TokenClaims, code: object) -> dict:
        if not isinstance(code, str) or not code.strip():
            raise invalid_request("verificationCode must be a non-empty string.")
        code = code.strip()
        with self.store.transaction():
            row = self.store.get_action(claims.idempotency_key)
            if row.state == CHALLENGE_FAILED:
                return {"isVerified": False, "failureReason": "MAX_ATTEMPTS_EXCEEDED", "attemptsRemaining": 0}
            if row.state != CHALLENGE_REQUIRED:
                raise invalid_request("This challenge is already complete.")
            if row.code is None:
                raise invalid_request("No code has been sent for this challenge yet.")
            now = self.clock()
            if now >= row.code_expires_at:
                self.store.update_action(row.idempotency_key, code=None, code_expires_at=None)
                return {"isVerified": False, "failureReason": "CODE_EXPIRED",
                        "attemptsRemaining": self.config.max_wrong_codes - row.wrong_codes}
            if not hmac.compare_digest(code.encode(), row.code.encode()):
                wrong = row.wrong_codes + 1
                remaining = max(self.config.max_wrong_codes - wrong, 0)
                if remaining == 0:
                    self.store.update_action(
                        row.idempotency_key, wrong_codes=wrong, state=CHALLENGE_FAILED,
                        state_updated_at=now, code=None, code_expires_at=None,
                        verification_method=EMAIL_OTP,
                    )
                    return {"isVerified": False, "failureReason": "MAX_ATTEMPTS_EXCEEDED", "attemptsRemaining": 0}
                self.store.update_action(row.idempotency_key, wrong_codes=wrong)
                return {"isVerified": False, "failureReason": "CODE_INVALID_OR_EXPIRED",
                        "attemptsRemaining": remaining}
            self.store.update_action(
                row.idempotency_key, state=CHALLENGE_SUCCEEDED, state_updated_at=now,
                verification_method=EMAIL_OTP, code=None, code_expires_at=None,
            )
            self.users.record_verified_email(row.user_id, row.email)
        token = self.tokens.issue(row.user_id, row.action, row.idempotency_key, RESULT_SCOPE)
        return {"isVerified": True, "accessToken": token}

    # ----- dev inbox ----------------------------------------------------------
    def inbox(self, recipient: str | None = None) -> list[dict]:
        return [
            {
                "to": m.recipient,
                "subject": m.subject,
                "body": m.body,
                "code": m.code,
                "sentAt": iso8601(m.sent_at),
            }
            for m in self.store.messages(recipient)
        ]

    # ----- helpers -------------------------------------------------------------
    def _check_redirect_url(self, redirect_url: object) -> None:
        if not isinstance(redirect_url, str) or urlsplit(redirect_url).fragment:
            raise invalid_request("redirectUrl must be an absolute http(s) URL without a fragment.")
        origin = origin_of(redirect_url)
        if origin is None:
            raise invalid_request("redirectUrl must be an absolute http(s) URL without a fragment.")
        if not is_allowed(origin, self.config.allowed_origins):
            raise invalid_request(f"redirectUrl's origin {origin} is not an allowed origin.")

    def _pending_action(self, claims: TokenClaims) -> Action:
        row = self.store.get_action(claims.idempotency_key)
        if row.state == CHALLENGE_FAILED:
            raise ApiError(400, "challenge_failed", "This challenge has failed. Start again.")
        if row.state != CHALLENGE_REQUIRED:
            raise invalid_request("This challenge is already complete.")
        return row

    def _send_code(self, row: Action) -> None:
        now = self.clock()
        window = self.config.send_window_seconds
        recent = self.store.sends_since(row.user_id, now - window)
        if len(recent) >= self.config.max_sends_per_window:
            wait_minutes = max(1, int((recent[0] + window - now + 59) // 60))
            raise ApiError(
                429,
                "too_many_requests",
                f"Too many codes sent. Try again in {wait_minutes} minute"
                f"{'' if wait_minutes == 1 else 's'}.",
            )
        code = "".join(secrets.choice("0123456789") for _ in range(self.config.code_length))
        minutes = self.config.code_ttl_seconds // 60
        subject = f"Your verification code: {code}"
        body = (
            f"Your verification code is {code}.\n"
            f"It expires in {minutes} minutes. If you did not ask for it, ignore this email."
        )
        self.store.update_action(
            row.idempotency_key, code=code, code_expires_at=now + self.config.code_ttl_seconds
        )
        self.store.add_message(row.user_id, row.idempotency_key, row.email, subject, body, code, now)
        log.info("[local Authsignal] email OTP for %s: %s", row.email, code)

    def _validation_body(self, row: Action) -> dict:
        return compact({
            "state": row.state,
            "stateUpdatedAt": iso8601(row.state_updated_at),
            "userId": row.user_id,
            "action": row.action,
            "actionCode": row.action,
            "idempotencyKey": row.idempotency_key,
            "verificationMethod": row.verification_method,
        })
