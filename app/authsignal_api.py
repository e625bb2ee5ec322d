"""The app's own calls to Authsignal's server API, with the tenant's secret key:
which method a sign-in was verified with, and a signed-in user's passkeys (an
enrolment token for the Web SDK, the list, a removal).

Made with the official ``authsignal`` SDK. Its ``timeout`` never reaches
``requests``, so the session gets an adapter that applies one; each call also
runs within the request's deadline, and none is retried. The secret comes from
``AUTHSIGNAL_SECRET``, or, as the lambdas read it, from the SSM SecureString
named by ``AUTHSIGNAL_SECRET_PARAMETER`` (read on first use, kept 5 minutes).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import requests
from authsignal import AuthsignalClient
from authsignal.client import ApiException
from requests.adapters import HTTPAdapter

from .deadline import DeadlineExceeded, run_within_deadline
from .errors import AuthError

log = logging.getLogger(__name__)
#: (connect, read) seconds for one call.
TIMEOUT = (2.0, 5.0)
#: The action a passkey enrolment is tracked as; its token may add authenticators.
ADD_PASSKEY_ACTION = "addPasskey"
ADD_AUTHENTICATORS = "add:authenticators"
PASSKEY = "PASSKEY"
SECRET_CACHE_SECONDS = 300
#: Where a passkey without a creation date sorts: after every dated one.
UNDATED = datetime.min.replace(tzinfo=timezone.utc)
UNAVAILABLE = "Passkeys are unavailable right now: the verification service did not answer. Try again shortly."


@dataclass(frozen=True)
class Passkey:
    """One passkey of the user, as the page lists it."""

    authenticator_id: str
    name: str
    created_at: datetime | None
    last_used_at: datetime | None


class _TimeoutAdapter(HTTPAdapter):
    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT
        return super().send(request, **kwargs)


class SecretFromParameterStore:
    """The secret key from an SSM SecureString, read when first needed."""

    def __init__(self, name: str, region: str | None, clock=time.monotonic):
        self.name, self.region, self.clock = name, region, clock
        self._lock = threading.Lock()
        self._cached: tuple[str, float] | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._cached and self.clock() - self._cached[1] < SECRET_CACHE_SECONDS:
                return self._cached[0]
            import boto3
            from botocore.config import Config

            ssm = boto3.client("ssm", region_name=self.region, config=Config(
                connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 1}))
            value = ssm.get_parameter(Name=self.name, WithDecryption=True)["Parameter"]["Value"]
            self._cached = (value, self.clock())
            return value


class AuthsignalApi:
    """``secret`` is the key itself, a callable returning it, or None (then
    :attr:`configured` is False and the features that need it are off)."""

    def __init__(self, api_url: str, secret, action: str):
        self.api_url, self.action = api_url, action
        self._secret = secret
        self._clients: dict[str, AuthsignalClient] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return self._secret is not None

    # ----- sign-in ---------------------------------------------------------------
    def verification_method(self, user_id: str, idempotency_key: str) -> str | None:
        """The method the action was completed with, or None when unknown (any failure)."""
        try:
            action = self._call("get_action", user_id, self.action, idempotency_key)
        except AuthError:
            return None
        method = action.get("verification_method") if isinstance(action, dict) else None
        return method if isinstance(method, str) else None

    # ----- passkeys --------------------------------------------------------------
    def passkey_enrolment_token(self, user_id: str, email: str) -> str:
        """A token for the Web SDK's ``passkey.signUp``: a track of its own
        action, scoped to add an authenticator to this user (and only this one)."""
        result = self._call("track", user_id, ADD_PASSKEY_ACTION, {"email": email, "scope": ADD_AUTHENTICATORS})
        token = result.get("token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError("passkeys_unavailable", UNAVAILABLE, 502)
        return token

    def passkeys(self, user_id: str) -> list[Passkey]:
        """The user's passkeys, newest first."""
        authenticators = self._call("get_authenticators", user_id)
        if not isinstance(authenticators, list):
            raise AuthError("passkeys_unavailable", UNAVAILABLE, 502)
        found = [_passkey(item) for item in authenticators
                 if isinstance(item, dict) and item.get("verification_method") == PASSKEY]
        found = [passkey for passkey in found if passkey is not None]
        return sorted(found, key=lambda p: p.created_at or UNDATED, reverse=True)

    def remove_passkey(self, user_id: str, authenticator_id: str) -> bool:
        """Remove one of this user's passkeys; False if it is not one of theirs
        (checked first: the id comes from the browser)."""
        if authenticator_id not in {p.authenticator_id for p in self.passkeys(user_id)}:
            return False
        self._call("delete_authenticator", user_id, authenticator_id)
        return True

    # ----- plumbing ---------------------------------------------------------------
    def _call(self, method: str, *args):
        if self._secret is None:
            raise AuthError("passkeys_unavailable", "AUTHSIGNAL_SECRET is not set on the app's side.", 503)
        try:
            client = self._client()
            return run_within_deadline(getattr(client, method), *args)
        except ApiException as exc:  # its text has the status and description, never the secret
            log.warning("Authsignal's %s failed: %s", method, exc)
        except (requests.RequestException, DeadlineExceeded, ValueError, AttributeError) as exc:
            log.warning("Authsignal's %s failed: %s", method, type(exc).__name__)
        except Exception as exc:  # e.g. the SSM parameter could not be read
            log.error("Authsignal's %s could not be made: %s", method, type(exc).__name__)
        raise AuthError("passkeys_unavailable", UNAVAILABLE, 503)

    def _client(self) -> AuthsignalClient:
        secret = self._secret() if callable(self._secret) else self._secret
        with self._lock:
            client = self._clients.get(secret)
            if client is None:
                client = AuthsignalClient(secret, api_url=self.api_url)
                adapter = _TimeoutAdapter(max_retries=0)
                client.session.mount("http://", adapter)
                client.session.mount("https://", adapter)
                self._clients = {secret: client}  # a rotated key replaces the old client
            return client


def _passkey(item: dict) -> Passkey | None:
    authenticator_id = item.get("user_authenticator_id")
    if not isinstance(authenticator_id, str) or not authenticator_id:
        return None
    credential = item.get("webauthn_credential") if isinstance(item.get("webauthn_credential"), dict) else {}
    mapping = credential.get("aaguid_mapping") if isinstance(credential.get("aaguid_mapping"), dict) else {}
    name = mapping.get("name") if isinstance(mapping.get("name"), str) and mapping.get("name") else "Passkey"
    return Passkey(authenticator_id, name, _moment(item.get("created_at")), _moment(item.get("last_verified_at")))


def _moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()
