"""Passkeys (WebAuthn) behind the Web SDK's ``passkey.signUp``,
``passkey.signIn`` and ``passkey.isAvailableOnDevice``, and behind the
pre-built UI's Passkey method: registration and authentication options,
adding a passkey, the unauthenticated ``challenge`` of a discoverable sign-in,
verify, and the lookup of a device's passkeys. Registrations and assertions
are checked with py_webauthn: the relying-party id, the origin (one of
``passkey_origins``, or the pre-built UI's own), the challenge
(single-use, short-lived), user verification, and the sign counter (one that
does not go forward, for a credential that counts, is a cloned credential and
is refused). Attestation: ``none`` is asked for; other formats are checked by
py_webauthn for consistency, but against no trust anchors (no FIDO metadata),
so nothing is learnt about the authenticator's make."""

from __future__ import annotations

import json
import secrets
import uuid

from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .checks import check_action_code
from .config import PASSKEY
from .errors import ApiError, invalid_request
from .origins import OriginPattern, is_allowed
from .shapes import iso8601
from .store import Action, Passkey, PasskeyChallenge
from .tokens import RESULT_SCOPE, TokenClaims

REGISTRATION = "REGISTRATION"
AUTHENTICATION = "AUTHENTICATION"
#: The action of a discoverable sign-in started without one (our choice).
DEFAULT_ACTION = "signInWithPasskey"
#: The most credential ids one availability lookup takes (the SDK sends a device's ids for one user).
MAX_LOOKUP_IDS = 100


def _refused(description: str) -> ApiError:
    return ApiError(400, "invalid_credential", description)


class PasskeyService:
    def __init__(self, service):
        self.svc = service
        self.config = service.config
        self.store = service.store

    # ----- registration (Bearer track token) -----------------------------------
    def registration_options(self, claims: TokenClaims, body: dict) -> dict:
        username = body.get("username")
        if username is not None and (not isinstance(username, str) or not 1 <= len(username) <= 255):
            raise invalid_request("username must be a string of 1 to 255 characters.")
        attachment = body.get("authenticatorAttachment")
        if attachment not in (None, "platform", "cross-platform"):
            raise invalid_request("authenticatorAttachment must be platform or cross-platform.")
        now = self.svc.clock()
        with self.store.transaction():
            row = self.svc._pending_action(claims)
            if not self.svc._may_add_authenticators(row):
                raise ApiError(
                    403, "forbidden",
                    "This user is already enrolled: adding a passkey needs a token tracked with scope "
                    "add:authenticators (authenticator binding).",
                )
            user = self.store.get_user(row.user_id)
            name = username or (user and (user.username or user.email)) or row.email or row.user_id
            display = (user and user.display_name) or name
            options = generate_registration_options(
                rp_id=self.config.passkey_rp_id,
                rp_name=self.config.passkey_rp_name,
                user_id=row.user_id.encode(),
                user_name=name,
                user_display_name=display,
                challenge=secrets.token_bytes(32),
                timeout=self.config.passkey_challenge_ttl_seconds * 1000,
                authenticator_selection=AuthenticatorSelectionCriteria(
                    authenticator_attachment=AuthenticatorAttachment(attachment) if attachment else None,
                    resident_key=ResidentKeyRequirement.REQUIRED,
                    user_verification=UserVerificationRequirement.REQUIRED,
                ),
                exclude_credentials=[
                    PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                    for p in self.store.passkeys(row.user_id)
                ],
            )
            challenge_id = self._new_challenge(REGISTRATION, options.challenge, row.user_id, row.action,
                                               row.idempotency_key, now)
        return {"options": json.loads(options_to_json(options)), "challengeId": challenge_id}

    def add_authenticator(self, claims: TokenClaims, body: dict) -> dict:
        credential = body.get("registrationCredential")
        if not isinstance(credential, dict):
            raise invalid_request("registrationCredential must be an object.")
        now = self.svc.clock()
        # Taken (used) in a transaction of its own: a refused answer spends it too.
        challenge = self._take_challenge(body.get("challengeId"), REGISTRATION, now)
        with self.store.transaction():
            row = self.svc._pending_action(claims)
            if challenge.idempotency_key != row.idempotency_key:
                raise invalid_request("challengeId belongs to another challenge.")
            origin = self._origin_of(credential)
            try:
                verified = verify_registration_response(
                    credential=credential,
                    expected_challenge=challenge.challenge,
                    expected_rp_id=self.config.passkey_rp_id,
                    expected_origin=origin,
                    require_user_verification=True,
                )
            except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
                raise _refused(f"The passkey registration was refused: {exc}") from None
            credential_id = bytes_to_base64url(verified.credential_id)
            if self.store.passkey(credential_id) is not None:
                raise _refused("This passkey is already registered.")
            transports = (credential.get("response") or {}).get("transports")
            passkey = Passkey(
                credential_id=credential_id,
                user_authenticator_id=str(uuid.uuid4()),
                user_id=row.user_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                aaguid=verified.aaguid,
                device_type=verified.credential_device_type.value,
                backed_up=verified.credential_backed_up,
                transports=",".join(t for t in transports if isinstance(t, str)) if isinstance(transports, list) else None,
                created_at=now,
                last_verified_at=now,
            )
            self.store.save_passkey(passkey)
            self.store.update_passkey_challenge(challenge.challenge_id, verified_at=now)
            self._succeed(row.idempotency_key, now)
            default = self.svc.users.enrolment(row.user_id).get("defaultVerificationMethod")
        from .users import authenticator_body

        token = self.svc.tokens.issue(row.user_id, row.action, row.idempotency_key, RESULT_SCOPE)
        return {
            "isVerified": True,
            "accessToken": token,
            "userAuthenticatorId": passkey.user_authenticator_id,
            "userId": row.user_id,
            "userAuthenticator": authenticator_body(passkey.as_authenticator(), default),
        }

    # ----- sign-in ---------------------------------------------------------------
    def challenge(self, body: dict) -> dict:
        """``POST /client/challenge {action}`` (no token): a discoverable
        sign-in for ``action``; the user is known only once verified."""
        action = body.get("action") or DEFAULT_ACTION
        check_action_code(action)
        challenge_id = self._new_challenge(AUTHENTICATION, secrets.token_bytes(32), None, action, None,
                                           self.svc.clock())
        return {"challengeId": challenge_id}

    def authentication_options(self, claims: TokenClaims | None, body: dict) -> dict:
        now = self.svc.clock()
        challenge_id = body.get("challengeId")
        with self.store.transaction():
            if claims is not None:
                row = self.svc._pending_action(claims)
                if challenge_id is not None:
                    challenge = self._open_challenge(challenge_id, AUTHENTICATION, now)
                    if challenge.idempotency_key not in (None, row.idempotency_key) or \
                            challenge.user_id not in (None, row.user_id):
                        raise invalid_request("challengeId belongs to another challenge.")
                    self.store.update_passkey_challenge(
                        challenge.challenge_id, user_id=row.user_id, idempotency_key=row.idempotency_key,
                    )
                else:
                    challenge_id = self._new_challenge(AUTHENTICATION, secrets.token_bytes(32), row.user_id,
                                                       row.action, row.idempotency_key, now)
                    challenge = self.store.passkey_challenge(challenge_id)
                allow = [
                    PublicKeyCredentialDescriptor(
                        id=base64url_to_bytes(p.credential_id),
                        transports=[AuthenticatorTransport(t) for t in (p.transports or "").split(",")
                                    if t in {m.value for m in AuthenticatorTransport}] or None,
                    )
                    for p in self.store.passkeys(row.user_id)
                ]
            else:
                if challenge_id is None:
                    challenge_id = self.challenge({})["challengeId"]
                challenge = self._open_challenge(challenge_id, AUTHENTICATION, now)
                allow = []
                if challenge.user_id is not None:
                    allow = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                             for p in self.store.passkeys(challenge.user_id)]
        options = generate_authentication_options(
            rp_id=self.config.passkey_rp_id,
            challenge=challenge.challenge,
            timeout=self.config.passkey_challenge_ttl_seconds * 1000,
            allow_credentials=allow,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return {"options": json.loads(options_to_json(options)), "challengeId": challenge.challenge_id}

    def verify(self, claims: TokenClaims | None, body: dict) -> dict:
        credential = body.get("authenticationCredential")
        if not isinstance(credential, dict):
            raise invalid_request("authenticationCredential must be an object.")
        device_id = body.get("deviceId")
        if device_id is not None and (not isinstance(device_id, str) or not 1 <= len(device_id) <= 255):
            raise invalid_request("deviceId must be a string of 1 to 255 characters.")
        now = self.svc.clock()
        # Taken (used) in a transaction of its own: a refused answer spends it too.
        challenge = self._take_challenge(body.get("challengeId"), AUTHENTICATION, now)
        with self.store.transaction():
            row = self.svc._pending_action(claims) if claims is not None else None
            if row is not None and challenge.idempotency_key != row.idempotency_key:
                raise invalid_request("challengeId belongs to another challenge.")
            credential_id = credential.get("id")
            passkey = self.store.passkey(credential_id) if isinstance(credential_id, str) else None
            if passkey is None:
                raise _refused("This passkey is not registered.")
            if challenge.user_id is not None and passkey.user_id != challenge.user_id:
                raise _refused("This passkey belongs to another user.")
            handle = (credential.get("response") or {}).get("userHandle")
            if handle and base64url_to_bytes(handle) != passkey.user_id.encode():
                raise _refused("The passkey's user handle does not match its user.")
            origin = self._origin_of(credential)
            try:
                verified = verify_authentication_response(
                    credential=credential,
                    expected_challenge=challenge.challenge,
                    expected_rp_id=self.config.passkey_rp_id,
                    expected_origin=origin,
                    credential_public_key=passkey.public_key,
                    credential_current_sign_count=passkey.sign_count,
                    require_user_verification=True,
                )
            except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
                raise _refused(f"The passkey was refused: {exc}") from None
            self.store.passkey_used(passkey.credential_id, verified.new_sign_count, now)
            key = challenge.idempotency_key
            if key is None:
                # A discoverable sign-in: its action is created now, for the passkey's user.
                key = str(uuid.uuid4())
                self.store.ensure_user(passkey.user_id, now)
                self.store.insert_action(Action(
                    idempotency_key=key, user_id=passkey.user_id, action=challenge.action,
                    state="CHALLENGE_REQUIRED", email=self.svc.users.enrolled_email(passkey.user_id),
                    redirect_url=None, created_at=now, state_updated_at=now, verification_method=None,
                    validated_at=None, wrong_codes=0, code=None, code_expires_at=None, device_id=device_id,
                ))
            self.store.update_passkey_challenge(
                challenge.challenge_id, verified_at=now, user_id=passkey.user_id, idempotency_key=key,
            )
            self._succeed(key, now)
            action = self.store.get_action(key)
            user = self.store.get_user(passkey.user_id)
        token = self.svc.tokens.issue(action.user_id, action.action, key, RESULT_SCOPE)
        result = {
            "isVerified": True,
            "accessToken": token,
            "userId": passkey.user_id,
            "userAuthenticatorId": passkey.user_authenticator_id,
        }
        if user and user.username:
            result["username"] = user.username
        if user and user.display_name:
            result["userDisplayName"] = user.display_name
        return result

    # ----- isAvailableOnDevice (tenant id only) ---------------------------------------
    def registered_authenticator(self, credential_ids: object) -> dict:
        """``GET /client/user-authenticators/passkey?credentialIds=a,b``: the
        first of these passkeys still registered, as an authenticator, else
        404. The caller is known only by the tenant id, so the answer leaves
        out the user id."""
        if not isinstance(credential_ids, str) or not credential_ids.strip():
            raise invalid_request("credentialIds is required (comma-separated credential ids).")
        ids = [part.strip() for part in credential_ids.split(",") if part.strip()]
        if len(ids) > MAX_LOOKUP_IDS:
            raise invalid_request(f"credentialIds takes at most {MAX_LOOKUP_IDS} ids.")
        from .users import authenticator_body

        with self.store.transaction():
            passkey = next((p for p in map(self.store.passkey, ids) if p is not None), None)
            if passkey is None:
                raise ApiError(404, "not_found", "None of these passkeys is registered.")
            default = self.svc.users.enrolment(passkey.user_id).get("defaultVerificationMethod")
        body = authenticator_body(passkey.as_authenticator(), default)
        body.pop("userId", None)
        return {"credentialId": passkey.credential_id, **body}

    # ----- server API -------------------------------------------------------------
    def get_challenge(self, params: dict) -> dict:
        """``GET /v1/challenges?userId=&action=&verificationMethod=PASSKEY``:
        the latest unexpired passkey sign-in of that user and action that was
        verified and not yet linked by a track, else 404. (Which challenges the
        real endpoint lists is not documented: one it lists that track then
        refuses would fail every sign-in of the user until it expires.)"""
        user_id, action = params.get("userId"), params.get("action")
        method = params.get("verificationMethod") or PASSKEY
        if not user_id or not action:
            raise invalid_request("userId and action are required.")
        if method != PASSKEY:
            raise invalid_request("Only verificationMethod PASSKEY challenges are emulated.")
        challenge = self.store.latest_passkey_challenge(user_id, action, self.svc.clock())
        if challenge is None:
            raise ApiError(404, "not_found", "No passkey challenge for this user and action.")
        return {
            "challengeId": challenge.challenge_id,
            "userId": user_id,
            "action": action,
            "verificationMethod": PASSKEY,
            "expiresAt": iso8601(challenge.expires_at),
            "isVerified": challenge.verified_at is not None,
        }

    def claim(self, challenge_id: object, user_id: str, action: str) -> Action:
        """For track with a ``challengeId``: the action a verified passkey
        challenge of this user and action completed, taken once."""
        now = self.svc.clock()
        challenge = self.store.passkey_challenge(challenge_id) if isinstance(challenge_id, str) else None
        if challenge is None or challenge.kind != AUTHENTICATION or challenge.user_id != user_id \
                or challenge.action != action:
            raise invalid_request("challengeId is not a passkey challenge of this user and action.")
        if challenge.verified_at is None or challenge.idempotency_key is None:
            raise invalid_request("challengeId has not been verified with a passkey.")
        if challenge.claimed_at is not None:
            raise invalid_request("challengeId has already been used by a track.")
        if now >= challenge.expires_at:
            raise invalid_request("challengeId has expired.")
        self.store.update_passkey_challenge(challenge.challenge_id, claimed_at=now)
        return self.store.get_action(challenge.idempotency_key)

    # ----- helpers ------------------------------------------------------------------
    def _new_challenge(self, kind, challenge: bytes, user_id, action, key, now) -> str:
        challenge_id = str(uuid.uuid4())
        self.store.insert_passkey_challenge(PasskeyChallenge(
            challenge_id=challenge_id, kind=kind, challenge=challenge, user_id=user_id, action=action,
            idempotency_key=key, created_at=now, expires_at=now + self.config.passkey_challenge_ttl_seconds,
            used_at=None, verified_at=None, claimed_at=None,
        ))
        return challenge_id

    def _open_challenge(self, challenge_id: object, kind: str, now: float) -> PasskeyChallenge:
        challenge = self.store.passkey_challenge(challenge_id) if isinstance(challenge_id, str) else None
        if challenge is None or challenge.kind != kind:
            raise invalid_request("challengeId is not a passkey challenge.")
        if challenge.used_at is not None:
            raise invalid_request("This passkey challenge has already been used.")
        if now >= challenge.expires_at:
            raise invalid_request("This passkey challenge has expired.")
        return challenge

    def _take_challenge(self, challenge_id: object, kind: str, now: float) -> PasskeyChallenge:
        with self.store.transaction():
            challenge = self._open_challenge(challenge_id, kind, now)
            self.store.update_passkey_challenge(challenge.challenge_id, used_at=now)
        return challenge

    def _origin_of(self, credential: dict) -> str:
        """The origin the browser put in clientDataJSON, if it is a passkey
        origin (py_webauthn then checks that it is the signed one)."""
        try:
            client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
            origin = client_data["origin"]
        except (KeyError, TypeError, ValueError):
            raise _refused("The credential's clientDataJSON is malformed.") from None
        if not isinstance(origin, str) or not (
            is_allowed(origin, self.config.passkey_origins) or self._is_prebuilt_ui(origin)
        ):
            raise _refused(f"The origin {origin} may not use passkeys of {self.config.passkey_rp_id}.")
        return origin

    def _is_prebuilt_ui(self, origin: str) -> bool:
        """Whether ``origin`` is this emulator's own (the pre-built UI's page):
        its scheme and port, on a host name it answers (``localhost``, its
        bound host, ``--allowed-hosts``) that is on the relying-party id. Its
        pages use passkeys whatever ``passkey_origins`` says."""
        try:
            own, other = OriginPattern.parse(self.svc.origin), OriginPattern.parse(origin)
        except ValueError:
            return False
        rp_id = self.config.passkey_rp_id
        return (
            other.scheme == own.scheme
            and other.port == own.port
            and other.host in {"localhost", own.host, *self.config.allowed_hosts}
            and (other.host == rp_id or other.host.endswith("." + rp_id))
        )

    def _succeed(self, key: str, now: float) -> None:
        self.store.update_action(key, state="CHALLENGE_SUCCEEDED", state_updated_at=now,
                                 verification_method=PASSKEY)
