"""Local mode: the one module that knows the emulators.

It starts the local Authsignal and the local Cognito on their own ports (so
the popup is cross-origin, as in production), makes the project's lambdas the
pool's triggers and points them at the local Authsignal, and returns the
settings with both services filled in. State is kept in ``instance/`` so a
restart keeps users, keys and tokens, and the app's own secret key: a page
loaded before a restart still posts with a valid CSRF token after it.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
from pathlib import Path

from .settings import ConfigurationError, Settings

DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent / "instance" / "local"


def start_local_stack(settings: Settings) -> Settings:
    from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
    from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

    logging.getLogger("emulators").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    state_dir = Path(settings.local_state_dir) if settings.local_state_dir else DEFAULT_STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)

    authsignal = _start(
        "LOCAL_AUTHSIGNAL_PORT",
        settings.local_authsignal_port,
        lambda: AuthsignalEmulator(
            AuthsignalEmulatorConfig(
                state_path=str(state_dir / "authsignal.sqlite3"),
                methods=settings.local_authsignal_methods or default_methods(settings),
                rules_path=settings.local_authsignal_rules,
            ),
            port=settings.local_authsignal_port,
            # Passkeys are bound to the relying party "localhost": the
            # pre-built UI's own page must be on it too, not on 127.0.0.1.
            host="localhost",
        ),
    )
    # The triggers run in this process and read their settings from the
    # environment, as they would in AWS Lambda.
    os.environ["AUTHSIGNAL_URL"] = authsignal.base_url
    os.environ["AUTHSIGNAL_SECRET"] = authsignal.config.secret
    os.environ["SIGN_IN_FLOW"] = settings.sign_in_flow
    if settings.authsignal_ui_mode != "popup":  # where the pre-built UI returns the browser
        os.environ["AUTHSIGNAL_REDIRECT_URL"] = f"{settings.app_url}/auth/callback"
    else:
        os.environ.pop("AUTHSIGNAL_REDIRECT_URL", None)
    cognito = _start(
        "LOCAL_COGNITO_PORT",
        settings.local_cognito_port,
        lambda: CognitoEmulator(
            CognitoEmulatorConfig(state_path=str(state_dir / "cognito.sqlite3")),
            port=settings.local_cognito_port,
        ),
    )

    print(
        "Local mode: no AWS or Authsignal account needed (fill in .env for real mode).\n"
        f"  local Cognito     {cognito.endpoint_url}  pool {cognito.user_pool_id}, client {cognito.client_id}\n"
        f"  local Authsignal  {authsignal.base_url}\n"
        f"  dev inbox         {authsignal.inbox_url}  (the sign-in codes land here)\n"
        f"  sign-in flow      {settings.sign_in_flow}"
        + (f"  (password-reset codes: {cognito.endpoint_url}/_dev/inbox)" if settings.uses_passwords else ""),
        flush=True,
    )
    return settings.with_services(
        secret_key=settings.secret_key or local_secret_key(state_dir),
        cognito_region=cognito.region,
        cognito_user_pool_id=cognito.user_pool_id,
        cognito_client_id=cognito.client_id,
        cognito_client_secret=cognito.client_secret,
        cognito_endpoint_url=cognito.endpoint_url,
        authsignal_tenant_id=authsignal.config.tenant_id,
        authsignal_url=authsignal.base_url,
        authsignal_secret=authsignal.config.secret,
        authsignal_ui_origin=authsignal.origin,
        dev_inbox_url=authsignal.inbox_url,
        cognito_inbox_url=f"{cognito.endpoint_url}/_dev/inbox",
    )


def default_methods(settings: Settings) -> tuple[str, ...]:
    """The methods the local tenant offers, the first being what a new user is
    shown: an email code without passwords, the authenticator app with them;
    and a passkey, to users who have added one."""
    if settings.uses_passwords:
        return ("AUTHENTICATOR_APP", "EMAIL_OTP", "PASSKEY")
    return ("EMAIL_OTP", "AUTHENTICATOR_APP", "PASSKEY")


def local_secret_key(state_dir: Path) -> str:
    """The app's secret key in local mode: made once, kept owner-only in the state folder."""
    path = state_dir / "flask-secret-key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) >= 32:
            return key
        raise ConfigurationError(f"{path} does not hold a usable key: delete it, a new one is made at start") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def _start(setting: str, port: int, make):
    try:
        emulator = make()
    except ValueError as exc:  # a malformed LOCAL_AUTHSIGNAL_METHODS or rules file
        raise ConfigurationError(f"the local emulator refused its settings: {exc}") from None
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): is the local stack already running? "
            f"Stop it, or set {setting} to another port"
        ) from None
    emulator.start()
    atexit.register(emulator.stop)
    return emulator
