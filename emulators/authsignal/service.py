"""What the local Authsignal does, apart from HTTP: track (with its rules),
validate, get and update actions, the email OTP, email magic link, SMS,
WhatsApp and authenticator app challenges behind the pre-built UI, and the dev inbox. Users and
authenticators are :class:`~.users.UserService`'s; passkeys :class:`~.passkeys.PasskeyService`'s."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import uuid
from urllib.parse import urlsplit

from . import attributes, totp
from .checks import PHONE_NUMBER_HELP, ACTION_STATES, check_action_code, check_object, check_user_id, e164, is_email
from .config import AUTHENTICATOR_APP, EMAIL_MAGIC_LINK, EMAIL_OTP, PASSKEY, SMS, WHATSAPP, AuthsignalEmulatorConfig
from .errors import ApiError, invalid_request
from .origins import is_allowed, origin_of
from .rules import Facts
from .shapes import compact, iso8601
from .store import Action, AuthsignalStore, PendingTotp
from .tokens import RESULT_SCOPE, TRACK_SCOPE, TokenClaims, TokenService
from .users import UserService, authenticator_body

log = logging.getLogger("emulators.authsignal")

ALLOW = "ALLOW"
BLOCK = "BLOCK"
REVIEW_REQUIRED = "REVIEW_REQUIRED"
CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"
CHALLENGE_SUCCEEDED = "CHALLENGE_SUCCEEDED"
CHALLENGE_FAILED = "CHALLENGE_FAILED"
#: States in which the pre-built UI still takes a code. An ALLOW action's url
#: may still be shown (the app decides), and its challenge completed.
OPEN_STATES = (CHALLENGE_REQUIRED, ALLOW)
#: States whose token validates (once) as ``isValid: true``.
VALID_STATES = (CHALLENGE_SUCCEEDED, ALLOW)
#: Track attributes the rules read (and the action records), with their longest length.
_RULES_ATTRIBUTES = {"deviceId": 255, "ipAddress": 255, "userAgent": 1024}
ADD_AUTHENTICATORS = "add:authenticators"
#: The methods whose code goes to a phone, and the inbox channel of each code method.
PHONE_METHODS = (SMS, WHATSAPP)
CHANNELS = {EMAIL_OTP: "EMAIL", EMAIL_MAGIC_LINK: "EMAIL", SMS: "SMS", WHATSAPP: "WHATSAPP"}


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
        from .passkeys import PasskeyService

        self.passkeys = PasskeyService(self)

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
        phone_number = body.get("phoneNumber")
        if phone_number is not None:
            phone_number = e164(phone_number)
            if phone_number is None:
                raise invalid_request(f"phoneNumber is not a valid phone number. {PHONE_NUMBER_HELP}")
        redirect_url = body.get("redirectUrl")
        if redirect_url is not None:
            self._check_redirect_url(redirect_url)
        key = body.get("idempotencyKey")
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
            raise invalid_request("idempotencyKey must be a string of 1 to 200 characters.")
        key = key or str(uuid.uuid4())
        facts = {}
        for name, longest in _RULES_ATTRIBUTES.items():
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= longest):
                raise invalid_request(f"{name} must be a string of 1 to {longest} characters.")
            facts[name] = value
        # Kept as sent (an object is what the rules' custom condition reads).
        custom = body.get("custom")
        scope = body.get("scope")
        if scope is not None and not isinstance(scope, str):
            raise invalid_request("scope must be a string of space-separated scopes.")

        challenge_id = body.get("challengeId")
        if challenge_id is not None:
            # A passkey challenge verified for this user and action (the
            # Web SDK's signIn, then get challenge): track answers the action
            # that verification completed, once; its token validates once in all.
            if body.get("idempotencyKey") is not None:
                raise invalid_request("challengeId and idempotencyKey cannot be tracked together.")
            with self.store.transaction():
                row = self.passkeys.claim(challenge_id, user_id, action)
                enrolment = self.users.enrolment(user_id)
            token = self.tokens.issue(user_id, action, row.idempotency_key, TRACK_SCOPE)
            return {
                "state": row.state,
                "idempotencyKey": row.idempotency_key,
                "url": f"{self.origin}/challenge?token={token}",
                "token": token,
                **enrolment,
            }
        now = self.clock()
        with self.store.transaction():
            self.store.ensure_user(user_id, now)
            device_id = facts["deviceId"]
            state = self.config.rules.outcome(action, Facts(
                known_device=device_id is not None and self.store.is_known_device(user_id, device_id),
                ip_address=facts["ipAddress"],
                custom=custom,
            ))
            try:
                self.store.insert_action(
                    Action(
                        idempotency_key=key, user_id=user_id, action=action,
                        state=state, email=email or self.users.enrolled_email(user_id),
                        redirect_url=redirect_url, created_at=now, state_updated_at=now,
                        verification_method=None, validated_at=None, wrong_codes=0, code=None,
                        code_expires_at=None, device_id=device_id, ip_address=facts["ipAddress"],
                        user_agent=facts["userAgent"], custom=custom, scope=scope,
                        phone_number=phone_number or self.users.enrolled_phone(user_id),
                    )
                )
            except KeyError:
                raise invalid_request("idempotencyKey has already been used.") from None
            enrolment = self.users.enrolment(user_id)
        token = self.tokens.issue(user_id, action, key, TRACK_SCOPE)
        return {
            "state": state,
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
            first_success = row.state in VALID_STATES and row.validated_at is None
            if first_success:
                now = self.clock()
                self.store.update_action(row.idempotency_key, validated_at=now)
                if row.device_id:
                    # A successful sign-in from this device: the rules' knownDevice from now on.
                    self.store.remember_device(row.user_id, row.device_id, now)
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
        """What the pre-built UI needs to render a challenge: among others the
        methods it offers, the default first (see :meth:`offered_methods`)."""
        with self.store.transaction():
            row = self.store.get_action(claims.idempotency_key)
            enrolled = self.users.enrolled_methods(row.user_id)
            return {
                "email": row.email,
                "phoneNumber": row.phone_number,
                "state": row.state,
                "redirectUrl": row.redirect_url,
                "attemptsRemaining": max(self.config.max_wrong_codes - row.wrong_codes, 0),
                "methods": self.offered_methods(row),
                "totpEnrolled": AUTHENTICATOR_APP in enrolled,
            }

    def offered_methods(self, row: Action) -> list[str]:
        """The tenant's methods this challenge can be completed with, the
        default first, then enrolled ones, then the others. An email code
        needs an email (tracked or enrolled) or the right to enroll one; an
        authenticator app must be the user's, or the user may add one (not
        enrolled yet, or tracked with scope add:authenticators). A passkey
        must be the user's: the pre-built UI signs in with passkeys but never
        creates one (only the Web SDK's signUp, with a token, does)."""
        enrolled = self.users.enrolled_methods(row.user_id)
        may_add = self._may_add_authenticators(row)
        offered = []
        for method in self.users.method_order(row.user_id):
            if method in (EMAIL_OTP, EMAIL_MAGIC_LINK) and (row.email or may_add):
                offered.append(method)
            elif method in PHONE_METHODS and (row.phone_number or may_add):
                offered.append(method)
            elif method == AUTHENTICATOR_APP and (method in enrolled or may_add):
                offered.append(method)
            elif method == PASSKEY and method in enrolled:
                offered.append(method)
        return offered

    def enroll_email(self, claims: TokenClaims, email: object, method: str = EMAIL_OTP) -> dict:
        """Set the email for a challenge that was tracked without one, and send
        a code (or, for ``EMAIL_MAGIC_LINK``, a link)."""
        self._check_method_allowed(method)
        if not is_email(email):
            raise invalid_request("Enter a valid email address.")
        with self.store.transaction():
            row = self._pending_action(claims)
            if row.email and row.email.lower() != email.lower():
                raise invalid_request("This challenge already has an email address.")
            if not row.email and not self._may_add_authenticators(row):
                raise _binding_error("an email address")
            self.store.update_action(row.idempotency_key, email=email)
            self._send(self.store.get_action(row.idempotency_key), method)
        return {"userAuthenticatorId": _authenticator_id(method, row.user_id)}

    def enroll_phone(self, claims: TokenClaims, phone_number: object, method: str) -> dict:
        """Set the phone number (formatted to E.164) for a challenge that has
        none, and send a code to it by SMS or WhatsApp."""
        self._check_method_allowed(method)
        number = e164(phone_number)
        if number is None:
            raise invalid_request(f"That is not a valid phone number. {PHONE_NUMBER_HELP}")
        with self.store.transaction():
            row = self._pending_action(claims)
            if row.phone_number and row.phone_number != number:
                raise invalid_request("This challenge already has a phone number.")
            if not row.phone_number and not self._may_add_authenticators(row):
                raise _binding_error("a phone number")
            self.store.update_action(row.idempotency_key, phone_number=number)
            self._send(self.store.get_action(row.idempotency_key), method)
        return {"userAuthenticatorId": _authenticator_id(method, row.user_id), "phoneNumber": number}

    def send_email_code(self, claims: TokenClaims) -> dict:
        return self.send(claims, EMAIL_OTP)

    def send(self, claims: TokenClaims, method: str) -> dict:
        """Send a code (or a magic link) for ``method`` to the challenge's email or phone number."""
        self._check_method_allowed(method)
        with self.store.transaction():
            row = self._pending_action(claims)
            if method in PHONE_METHODS and not row.phone_number:
                raise invalid_request("No phone number for this challenge: enroll one first.")
            if method not in PHONE_METHODS and not row.email:
                raise invalid_request("No email address for this challenge: enroll one first.")
            self._send(row, method)
        return {"challengeId": row.idempotency_key}

    def verify_email_code(self, claims: TokenClaims, code: object) -> dict:
        return self.verify_code(claims, code, EMAIL_OTP)

    def verify_code(self, claims: TokenClaims, code: object, method: str) -> dict:
        """Check a code sent by email, SMS or WhatsApp; the right one completes
        the challenge and enrolls ``method`` with that email or phone number."""
        self._check_method_allowed(method)
        code = _code(code)
        with self.store.transaction():
            row = self.store.get_action(claims.idempotency_key)
            if row.state == CHALLENGE_FAILED:
                return _max_attempts_exceeded()
            self._check_open(row)
            if row.code is None or (row.code_channel or EMAIL_OTP) != method:
                raise invalid_request("No code has been sent for this challenge yet.")
            now = self.clock()
            if now >= row.code_expires_at:
                self.store.update_action(row.idempotency_key, code=None, code_expires_at=None, code_channel=None)
                return {"isVerified": False, "failureReason": "CODE_EXPIRED",
                        "attemptsRemaining": self.config.max_wrong_codes - row.wrong_codes}
            if not hmac.compare_digest(code.encode(), row.code.encode()):
                return self._wrong_code(row, method, code=None, code_expires_at=None, code_channel=None)
            self.store.update_action(
                row.idempotency_key, state=CHALLENGE_SUCCEEDED, state_updated_at=now,
                verification_method=method, code=None, code_expires_at=None, code_channel=None,
            )
            if method in PHONE_METHODS:
                self.users.record_verified_phone(row.user_id, row.phone_number, method)
            else:
                self.users.record_verified_email(row.user_id, row.email)
        token = self.tokens.issue(row.user_id, row.action, row.idempotency_key, RESULT_SCOPE)
        return {"isVerified": True, "accessToken": token}

    # ----- email magic links ----------------------------------------------------
    def open_magic_link(self, secret: str) -> tuple[bool, str]:
        """Someone opened a magic link (in any browser): complete its challenge
        if the link is the challenge's latest, unused and unexpired. Answers
        whether it did, and what to tell the person."""
        digest = _link_hash(secret or "")
        with self.store.transaction():
            row = self.store.action_by_link(digest) if secret else None
            if row is None:
                return False, "This link is not valid, or a newer one was sent since. Go back and send a new link."
            if row.link_used_at is not None:
                return False, "This link has already been used. Go back and send a new link if you need one."
            now = self.clock()
            if now >= row.link_expires_at:
                return False, "This link has expired. Go back and send a new link."
            if row.state == CHALLENGE_FAILED:
                return False, "This sign-in attempt has failed. Start again."
            if row.state in (BLOCK, REVIEW_REQUIRED):
                return False, "This action was blocked: there is no challenge to complete."
            if row.state not in OPEN_STATES:
                return False, "This sign-in is already complete."
            self.store.update_action(
                row.idempotency_key, link_used_at=now, state=CHALLENGE_SUCCEEDED,
                state_updated_at=now, verification_method=EMAIL_MAGIC_LINK,
            )
            self.users.record_verified_email(row.user_id, row.email, EMAIL_MAGIC_LINK)
        return True, "Your email is verified. You can close this tab and go back to where you started."

    def finalize_magic_link(self, claims: TokenClaims) -> dict:
        """What the Web SDK's ``emailML.checkVerificationStatus()`` polls:
        ``isVerified: true`` with the result token once the link was opened."""
        self._check_method_allowed(EMAIL_MAGIC_LINK)
        row = self.store.get_action(claims.idempotency_key)
        if row.state == CHALLENGE_FAILED:
            return _max_attempts_exceeded()
        if row.state != CHALLENGE_SUCCEEDED or row.verification_method != EMAIL_MAGIC_LINK:
            return {"isVerified": False}
        token = self.tokens.issue(row.user_id, row.action, row.idempotency_key, RESULT_SCOPE)
        return {"isVerified": True, "accessToken": token}

    # ----- the authenticator app (TOTP) -----------------------------------------
    def enroll_totp(self, claims: TokenClaims) -> dict:
        """Start enrolling an authenticator app: a new secret, kept pending
        until a code from it is verified. What the Web SDK's ``totp.enroll()`` calls."""
        self._check_totp_allowed()
        now = self.clock()
        with self.store.transaction():
            row = self._pending_action(claims)
            if self.store.authenticator(row.user_id, AUTHENTICATOR_APP) is not None:
                raise invalid_request("This user already has an authenticator app: enter a code from it.")
            if not self._may_add_authenticators(row):
                raise _binding_error("an authenticator app")
            pending = PendingTotp(row.user_id, str(uuid.uuid4()), totp.new_secret(), now)
            self.store.save_pending_totp(pending)
            uri = totp.provisioning_uri(pending.secret, self._account_name(row), self.config.totp_issuer)
        return {
            "userAuthenticatorId": pending.user_authenticator_id,
            "userId": row.user_id,
            "uri": uri,
            "secret": pending.secret,
        }

    def totp_qr_code(self, claims: TokenClaims) -> str:
        """The pending authenticator app's ``otpauth://`` URI as an SVG QR code."""
        with self.store.transaction():
            row = self._pending_action(claims)
            pending = self.store.pending_totp(row.user_id)
            if pending is None:
                raise ApiError(404, "not_found", "No authenticator app is being enrolled.")
            uri = totp.provisioning_uri(pending.secret, self._account_name(row), self.config.totp_issuer)
        return totp.qr_code_svg(uri)

    def verify_totp(self, claims: TokenClaims, code: object) -> dict:
        """Check a code from the user's authenticator app (or the one being
        enrolled, which it then enrolls) and complete the challenge. What the
        Web SDK's ``totp.verify({code})`` calls."""
        self._check_totp_allowed()
        code = _code(code)
        with self.store.transaction():
            row = self.store.get_action(claims.idempotency_key)
            if row.state == CHALLENGE_FAILED:
                return _max_attempts_exceeded()
            self._check_open(row)
            now = self.clock()
            enrolled = self.store.authenticator(row.user_id, AUTHENTICATOR_APP)
            pending = None if enrolled else self.store.pending_totp(row.user_id)
            if enrolled is None and pending is None:
                raise invalid_request("No authenticator app for this user: enroll one first.")
            secret = enrolled.secret if enrolled else pending.secret
            last_step = enrolled.last_used_step if enrolled else None
            step = totp.accepted_step(secret, code, now, last_step) if secret else None
            if step is None:
                return self._wrong_code(row, AUTHENTICATOR_APP)
            if enrolled is not None:
                self.store.set_last_used_step(row.user_id, AUTHENTICATOR_APP, step, now)
                authenticator = None
            else:
                authenticator = self.store.save_totp_authenticator(pending, AUTHENTICATOR_APP, step, now)
            self.store.update_action(
                row.idempotency_key, state=CHALLENGE_SUCCEEDED, state_updated_at=now,
                verification_method=AUTHENTICATOR_APP,
            )
            default = self.users.enrolment(row.user_id).get("defaultVerificationMethod")
        token = self.tokens.issue(row.user_id, row.action, row.idempotency_key, RESULT_SCOPE)
        result = {"isVerified": True, "accessToken": token}
        if authenticator is not None:
            result["userAuthenticator"] = authenticator_body(authenticator, default)
        return result

    # ----- dev inbox ----------------------------------------------------------
    def inbox(self, recipient: str | None = None) -> list[dict]:
        """Every message, newest first: ``to`` (an email, or an E.164 phone
        number), ``channel`` (EMAIL, SMS or WHATSAPP), ``subject`` (emails),
        ``body``, ``code`` (codes) or ``link`` (magic links), ``sentAt``."""
        return [
            compact({
                "to": m.recipient,
                "channel": m.channel,
                "subject": m.subject or None,
                "body": m.body,
                "code": m.code or None,
                "link": m.link,
                "sentAt": iso8601(m.sent_at),
            })
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
        self._check_open(row)
        return row

    @staticmethod
    def _check_open(row: Action) -> None:
        if row.state in (BLOCK, REVIEW_REQUIRED):
            raise invalid_request("This action was blocked: there is no challenge to complete.")
        if row.state not in OPEN_STATES:
            raise invalid_request("This challenge is already complete.")

    def _may_add_authenticators(self, row: Action) -> bool:
        """Authenticator binding, as on the real service: a user with an
        authenticator adds another only with a token tracked with scope
        ``add:authenticators``; a user with none enrolls the first freely."""
        if ADD_AUTHENTICATORS in (row.scope or "").split():
            return True
        return not self.store.authenticators(row.user_id)

    def _check_totp_allowed(self) -> None:
        if AUTHENTICATOR_APP not in self.config.methods:
            raise invalid_request("The authenticator app is not a verification method of this tenant.")

    def _account_name(self, row: Action) -> str:
        """Who the authenticator app lists the code for: the email, else the username, else the user id."""
        user = self.store.get_user(row.user_id)
        return row.email or (user and (user.email or user.username)) or row.user_id

    def _wrong_code(self, row: Action, method: str, **changes) -> dict:
        """Count a wrong code (email or authenticator app alike): the last
        allowed one fails the challenge."""
        wrong = row.wrong_codes + 1
        remaining = max(self.config.max_wrong_codes - wrong, 0)
        if remaining == 0:
            self.store.update_action(
                row.idempotency_key, wrong_codes=wrong, state=CHALLENGE_FAILED,
                state_updated_at=self.clock(), verification_method=method, **changes,
            )
            return _max_attempts_exceeded()
        self.store.update_action(row.idempotency_key, wrong_codes=wrong)
        return {"isVerified": False, "failureReason": "CODE_INVALID_OR_EXPIRED", "attemptsRemaining": remaining}

    def _check_method_allowed(self, method: str) -> None:
        if method != EMAIL_OTP and method not in self.config.methods:
            name = _NAMES[method]
            raise invalid_request(f"{name[0].upper()}{name[1:]} is not a verification method of this tenant.")

    def _send(self, row: Action, method: str) -> None:
        """Send a code by email, SMS or WhatsApp (or a magic link by email) to
        the dev inbox, within the channel's limit of sends per window."""
        channel = CHANNELS[method]
        now = self.clock()
        window = self.config.send_window_seconds
        recent = self.store.sends_since(row.user_id, now - window, channel)
        if len(recent) >= self.config.max_sends_per_window:
            wait_minutes = max(1, int((recent[0] + window - now + 59) // 60))
            what = "links" if method == EMAIL_MAGIC_LINK else "codes"
            raise ApiError(
                429,
                "too_many_requests",
                f"Too many {what} sent. Try again in {wait_minutes} minute"
                f"{'' if wait_minutes == 1 else 's'}.",
            )
        minutes = self.config.code_ttl_seconds // 60
        expires_at = now + self.config.code_ttl_seconds
        if method == EMAIL_MAGIC_LINK:
            secret = secrets.token_urlsafe(32)
            link = f"{self.origin}/magic-link?token={secret}"
            subject = "Your sign-in link"
            body = (
                f"Open this link to verify your email:\n{link}\n"
                f"It works once and expires in {minutes} minutes. If you did not ask for it, ignore this email."
            )
            self.store.update_action(
                row.idempotency_key, link_hash=_link_hash(secret), link_expires_at=expires_at, link_used_at=None,
            )
            self.store.add_message(row.user_id, row.idempotency_key, row.email, subject, body, "", now,
                                   channel, link)
            log.info("[local Authsignal] email magic link for %s: %s", row.email, link)
            return
        code = "".join(secrets.choice("0123456789") for _ in range(self.config.code_length))
        if method == EMAIL_OTP:
            recipient = row.email
            subject = f"Your verification code: {code}"
            body = (
                f"Your verification code is {code}.\n"
                f"It expires in {minutes} minutes. If you did not ask for it, ignore this email."
            )
        else:
            recipient = row.phone_number
            subject = ""
            body = f"Your verification code is {code}. It expires in {minutes} minutes. Do not share it."
        self.store.update_action(
            row.idempotency_key, code=code, code_expires_at=expires_at, code_channel=method
        )
        self.store.add_message(row.user_id, row.idempotency_key, recipient, subject, body, code, now, channel)
        log.info("[local Authsignal] %s for %s: %s", _NAMES[method], recipient, code)

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


_NAMES = {
    EMAIL_OTP: "email OTP", EMAIL_MAGIC_LINK: "email magic link", SMS: "SMS OTP", WHATSAPP: "WhatsApp OTP",
    AUTHENTICATOR_APP: "authenticator app",
}


def _authenticator_id(method: str, user_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{method.lower().replace('_', '-')}:{user_id}"))


def _link_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _code(code: object) -> str:
    if not isinstance(code, str) or not code.strip():
        raise invalid_request("verificationCode must be a non-empty string.")
    return code.strip()


def _max_attempts_exceeded() -> dict:
    return {"isVerified": False, "failureReason": "MAX_ATTEMPTS_EXCEEDED", "attemptsRemaining": 0}


def _binding_error(what: str) -> ApiError:
    return ApiError(
        403, "forbidden",
        f"This user is already enrolled: adding {what} needs a token tracked with scope "
        "add:authenticators (authenticator binding).",
    )
