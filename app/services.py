"""Where views find the Cognito wrapper, Authsignal's server API, the token
verifier and the session store: created from the settings in ``create_app``, or swapped in by tests
through ``test_config``."""

from __future__ import annotations

from flask import current_app

from .authsignal_api import AuthsignalApi
from .cognito import CognitoAuth
from .session_store import SessionStore
from .settings import Settings
from .token_verifier import TokenVerifier


def settings() -> Settings:
    return current_app.extensions["settings"]


def cognito() -> CognitoAuth:
    return current_app.extensions["cognito_auth"]


def token_verifier() -> TokenVerifier:
    return current_app.extensions["token_verifier"]


def session_store() -> SessionStore:
    return current_app.extensions["session_store"]


def authsignal_api() -> AuthsignalApi:
    return current_app.extensions["authsignal_api"]
