"""Users and their authenticators, as the server API manages them: get,
update, delete and query users; enroll (already verified), list and delete
authenticators. A user is enrolled when it has an authenticator: one from the
pre-built UI (a verified email, an authenticator app), or one the server enrolled."""

from __future__ import annotations

import time

from . import attributes
from .checks import check_object, check_user_id, optional_bool, optional_email, optional_string
from .config import AuthsignalEmulatorConfig
from .errors import ApiError, invalid_request
from .shapes import compact, iso8601
from .store import Authenticator, AuthsignalStore, User

EMAIL_OTP = "EMAIL_OTP"
EMAIL_METHODS = ("EMAIL_OTP", "EMAIL_MAGIC_LINK")
PHONE_METHODS = ("SMS", "WHATSAPP")
#: What the real API enrolls on a server's word (passkeys aside).
ENROLLABLE = EMAIL_METHODS + ("SMS",)
VERIFICATION_METHODS = (
    "SMS", "WHATSAPP", "AUTHENTICATOR_APP", "EMAIL_MAGIC_LINK", "EMAIL_OTP", "PUSH", "DEVICE",
    "SECURITY_KEY", "PASSKEY", "VERIFF", "IPROOV", "PALM_BIOMETRICS_RR", "IDVERSE",
)
DEFAULT_QUERY_LIMIT = 100
MAX_QUERY_LIMIT = 1000
_QUERY_PARAMETERS = frozenset({"email", "phoneNumber", "username", "token", "limit", "lastEvaluatedUserId"})


class UserService:
    def __init__(self, config: AuthsignalEmulatorConfig, store: AuthsignalStore, clock=time.time):
        self.config = config
        self.store = store
        self.clock = clock

    # ----- users ------------------------------------------------------------
    def get_user(self, user_id: str) -> dict:
        check_user_id(user_id)
        with self.store.transaction():
            # A user never seen answers like a new one: 200, not enrolled.
            user = self.store.get_user(user_id) or User(user_id, None, False, self.clock())
            enrolment = self.enrolment(user_id, user)
            if not enrolment["isEnrolled"]:
                # Unlike track, get user shows a default method only once enrolled.
                enrolment.pop("defaultVerificationMethod", None)
        return compact({
            "isEnrolled": enrolment["isEnrolled"],
            **_profile(user),
            "allowedVerificationMethods": enrolment["allowedVerificationMethods"],
            "enrolledVerificationMethods": enrolment["enrolledVerificationMethods"],
            "defaultVerificationMethod": enrolment.get("defaultVerificationMethod"),
            "custom": user.custom,
            "locale": user.locale,
        })

    def update_user(self, user_id: str, body: object) -> dict:
        """Change the fields given and leave the others; an explicit null clears one.
        A verified new email or phone number moves the matching authenticators to it."""
        check_user_id(user_id)
        body = check_object(body)
        attributes.check_names(body, attributes.UPDATE_USER, "update user", self.config.strict)
        changes = _user_changes(body)
        with self.store.transaction():
            self.store.ensure_user(user_id, self.clock())
            before = self.store.get_user(user_id)
            if "email" in changes and "email_verified" not in changes and changes["email"] != before.email:
                changes["email_verified"] = False
            if "phone_number" in changes and "phone_number_verified" not in changes \
                    and changes["phone_number"] != before.phone_number:
                changes["phone_number_verified"] = False
            self.store.update_user(user_id, **changes)
            user = self.store.get_user(user_id)
            if user.email and changes.get("email_verified"):
                self.store.set_authenticator_contact(user_id, EMAIL_METHODS, "email", user.email)
            if user.phone_number and changes.get("phone_number_verified"):
                self.store.set_authenticator_contact(user_id, PHONE_METHODS, "phone_number", user.phone_number)
        return compact({
            "userId": user.user_id,
            "email": user.email,
            "phoneNumber": user.phone_number,
            "username": user.username,
            "displayName": user.display_name,
            "custom": user.custom,
        })

    def delete_user(self, user_id: str, with_actions: bool) -> dict:
        """The user's attributes and authenticators go; its actions only with
        ``?actions=true``, as the real API's query parameter says."""
        check_user_id(user_id)
        self.store.delete_user(user_id, with_actions)
        return {"success": True}

    def query_users(self, params: dict) -> dict:
        attributes.check_names(params, _QUERY_PARAMETERS, "query users", self.config.strict, "query parameter")
        if params.get("token"):
            raise invalid_request("Filtering users by token is not emulated by the local Authsignal.")
        limit = _query_limit(params.get("limit"))
        after = params.get("lastEvaluatedUserId") or None
        with self.store.transaction():
            users = self.store.query_users(
                email=params.get("email") or None,
                phone_number=params.get("phoneNumber") or None,
                username=params.get("username") or None,
                after=after,
                limit=limit + 1,
            )
            page = [self._listed_user(user) for user in users[:limit]]
        more = len(users) > limit
        return compact({"users": page, "lastEvaluatedUserId": page[-1]["userId"] if more else None})

    def _listed_user(self, user: User) -> dict:
        enrolment = self.enrolment(user.user_id, user)
        return compact({
            "userId": user.user_id,
            **_profile(user),
            "isEnrolled": enrolment["isEnrolled"],
            "enrolledVerificationMethods": enrolment["enrolledVerificationMethods"],
            "createdAt": iso8601(user.created_at),
        })

    # ----- authenticators ---------------------------------------------------
    def enroll_verified(self, user_id: str, body: object) -> dict:
        """Enroll an email or SMS authenticator whose address the caller has
        verified itself: no code is sent. The user's email (or phone number)
        becomes that address, verified."""
        check_user_id(user_id)
        body = check_object(body)
        attributes.check_names(
            body, attributes.ENROLL_AUTHENTICATOR, "enroll verified authenticator", self.config.strict
        )
        method = body.get("verificationMethod")
        if method not in ENROLLABLE:
            raise invalid_request(
                "verificationMethod must be one of EMAIL_OTP, EMAIL_MAGIC_LINK or SMS "
                "(what the local Authsignal can enroll without a challenge)."
            )
        email = phone_number = None
        if method in EMAIL_METHODS:
            email = optional_email(body)
            if email is None:
                raise invalid_request(f"email is required to enroll {method}.")
        else:
            phone_number = optional_string(body, "phoneNumber", max_length=32)
            if phone_number is None:
                raise invalid_request(f"phoneNumber is required to enroll {method}.")
        is_default = optional_bool(body, "isDefault")
        now = self.clock()
        with self.store.transaction():
            self.store.ensure_user(user_id, now)
            authenticator = self.store.save_authenticator(user_id, method, email, phone_number, now)
            if email is not None:
                self.store.update_user(user_id, email=email, email_verified=True)
            else:
                self.store.update_user(user_id, phone_number=phone_number, phone_number_verified=True)
            if is_default:
                self.store.update_user(user_id, default_verification_method=method)
            default = self.enrolment(user_id).get("defaultVerificationMethod")
        return {"authenticator": authenticator_body(authenticator, default)}

    def authenticators(self, user_id: str) -> list[dict]:
        check_user_id(user_id)
        with self.store.transaction():
            default = self.enrolment(user_id).get("defaultVerificationMethod")
            return [authenticator_body(a, default) for a in self.store.authenticators(user_id)]

    def delete_authenticator(self, user_id: str, user_authenticator_id: str) -> dict:
        check_user_id(user_id)
        if not self.store.delete_authenticator(user_id, user_authenticator_id):
            raise ApiError(404, "not_found", "No such authenticator for this user.")
        return {"success": True}

    # ----- for track, validate and the pre-built UI --------------------------
    def enrolment(self, user_id: str, user: User | None = None) -> dict:
        """``isEnrolled`` and the verification methods, as track and get user show them:
        ``allowedVerificationMethods`` the tenant's (in its order),
        ``enrolledVerificationMethods`` the user's, and
        ``defaultVerificationMethod`` (see :meth:`default_method`)."""
        user = user or self.store.get_user(user_id)
        enrolled = self.enrolled_methods(user_id)
        return compact({
            "isEnrolled": bool(enrolled),
            "enrolledVerificationMethods": enrolled,
            "allowedVerificationMethods": list(self.config.methods),
            "defaultVerificationMethod": self.default_method(user, enrolled),
        })

    def enrolled_methods(self, user_id: str) -> list[str]:
        return list(dict.fromkeys(a.verification_method for a in self.store.authenticators(user_id)))

    def default_method(self, user: User | None, enrolled: list[str]) -> str:
        """The user's own choice (update user, ``isDefault``) if enrolled; else
        the first enrolled method in the tenant's order; else the first
        enrolled one; else the tenant's first method."""
        preferred = user.default_verification_method if user else None
        if preferred in enrolled:
            return preferred
        for method in self.config.methods:
            if method in enrolled:
                return method
        return enrolled[0] if enrolled else self.config.methods[0]

    def method_order(self, user_id: str) -> list[str]:
        """The tenant's methods as the pre-built UI offers them: the default
        first, then the other enrolled ones, then the rest, each in the tenant's order."""
        enrolled = self.enrolled_methods(user_id)
        default = self.default_method(self.store.get_user(user_id), enrolled)
        tenant = list(self.config.methods)
        ordered = [m for m in tenant if m in enrolled] + [m for m in tenant if m not in enrolled]
        if default in ordered:
            ordered.remove(default)
            ordered.insert(0, default)
        return ordered

    def enrolled_email(self, user_id: str) -> str | None:
        """The email of the user's email OTP authenticator: where a challenge
        tracked without an email sends its code."""
        for authenticator in self.store.authenticators(user_id):
            if authenticator.verification_method == EMAIL_OTP:
                return authenticator.email
        return None

    def enrolled_phone(self, user_id: str) -> str | None:
        """The phone number of the user's SMS (else WhatsApp) authenticator."""
        by_method = {a.verification_method: a.phone_number for a in self.store.authenticators(user_id)}
        return next((by_method[m] for m in PHONE_METHODS if by_method.get(m)), None)

    def record_verified_email(self, user_id: str, email: str, method: str = EMAIL_OTP) -> None:
        """The pre-built UI verified a code (or magic link) sent to ``email``: that enrolls ``method``."""
        now = self.clock()
        with self.store.transaction():
            self.store.save_authenticator(user_id, method, email, None, now)
            self.store.mark_authenticator_used(user_id, method, now)
            self.store.update_user(user_id, email=email, email_verified=True)

    def record_verified_phone(self, user_id: str, phone_number: str, method: str) -> None:
        """A code sent by SMS or WhatsApp to ``phone_number`` was verified: that enrolls ``method``."""
        now = self.clock()
        with self.store.transaction():
            self.store.save_authenticator(user_id, method, None, phone_number, now)
            self.store.mark_authenticator_used(user_id, method, now)
            self.store.update_user(user_id, phone_number=phone_number, phone_number_verified=True)


def _user_changes(body: dict) -> dict:
    """Store column -> new value, for each field present in an update-user body."""
    checks = {
        "email": ("email", lambda: optional_email(body)),
        "emailVerified": ("email_verified", lambda: optional_bool(body, "emailVerified")),
        "phoneNumber": ("phone_number", lambda: optional_string(body, "phoneNumber", max_length=32)),
        "phoneNumberVerified": ("phone_number_verified", lambda: optional_bool(body, "phoneNumberVerified")),
        "username": ("username", lambda: optional_string(body, "username")),
        "displayName": ("display_name", lambda: optional_string(body, "displayName")),
        "locale": ("locale", lambda: optional_string(body, "locale", max_length=35)),
        "custom": ("custom", lambda: _custom(body)),
        "defaultVerificationMethod": ("default_verification_method", lambda: _method(body)),
    }
    changes = {}
    for name, (column, check) in checks.items():
        if name in body:
            value = check()
            changes[column] = bool(value) if column.endswith("_verified") else value
    return changes


def _custom(body: dict) -> dict | None:
    value = body.get("custom")
    if value is not None and not isinstance(value, dict):
        raise invalid_request("custom must be a JSON object.")
    return value


def _method(body: dict) -> str | None:
    value = body.get("defaultVerificationMethod")
    if value is not None and value not in VERIFICATION_METHODS:
        raise invalid_request(f"defaultVerificationMethod must be one of {', '.join(VERIFICATION_METHODS)}.")
    return value


def _query_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_QUERY_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_QUERY_LIMIT:
        raise invalid_request(f"limit must be a whole number from 1 to {MAX_QUERY_LIMIT}.")
    return int(raw)


def authenticator_body(authenticator: Authenticator, default_method: str | None) -> dict:
    return compact({
        "userAuthenticatorId": authenticator.user_authenticator_id,
        "verificationMethod": authenticator.verification_method,
        "email": authenticator.email,
        "phoneNumber": authenticator.phone_number,
        "userId": authenticator.user_id,
        "createdAt": iso8601(authenticator.created_at),
        "verifiedAt": iso8601(authenticator.verified_at),
        "lastVerifiedAt": iso8601(authenticator.last_verified_at) if authenticator.last_verified_at else None,
        "isDefault": authenticator.verification_method == default_method,
        "webauthnCredential": authenticator.webauthn_credential,
    })


def _profile(user: User) -> dict:
    """The user's own fields, as get user and query users both answer them."""
    return {
        "email": user.email,
        "emailVerified": user.email_verified,
        "phoneNumber": user.phone_number,
        "phoneNumberVerified": user.phone_number_verified,
        "username": user.username,
        "displayName": user.display_name,
    }
