from __future__ import annotations

import re

import pytest

from app import create_app
from tests.conftest import app_environ


class Browserless:
    """The Flask test client used the way the sign-in page uses the app:
    JSON calls carry the CSRF token from ``<meta name="csrf-token">``."""

    def __init__(self, client):
        self.client = client
        self._csrf: str | None = None

    def page(self, path: str = "/"):
        response = self.client.get(path)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', response.get_data(as_text=True))
        if match:
            self._csrf = match.group(1)
        return response

    @property
    def csrf(self) -> str:
        if self._csrf is None:
            self.page()
        return self._csrf

    def post_json(self, path: str, body=None, csrf: bool = True):
        headers = {"X-CSRFToken": self.csrf} if csrf else {}
        return self.client.post(path, json=body, headers=headers)

    def sign_out(self):
        """Post the sign-out form, then load the page it redirects to, as a browser does."""
        response = self.client.post("/sign-out", data={"csrf_token": self.csrf})
        self.page(response.headers.get("Location", "/"))
        return response

    def session_cookie(self):
        return self.client.get_cookie(self.client.application.config["SESSION_COOKIE_NAME"])

    def session_id(self) -> str | None:
        """The id of this browser's server-side record, from the signed cookie."""
        if self.session_cookie() is None:
            return None
        with self.client.session_transaction() as session:
            return session.get("sid")

    def record(self) -> dict:
        """What the server keeps for this browser (``{}`` for none)."""
        sid = self.session_id()
        store = self.client.application.extensions["session_store"]
        return (store.get(sid) if sid else None) or {}

    def replace_record(self, record: dict) -> None:
        store = self.client.application.extensions["session_store"]
        store.set(self.session_id(), record, 600)


@pytest.fixture
def make_app(local_cognito, authsignal_emulator, tmp_path):
    """An app on the session's emulators, or on ``cognito``, with settings
    and services overridden as a test needs."""

    def make(cognito=None, environ: dict | None = None, **config):
        base = app_environ(cognito or local_cognito, authsignal_emulator, tmp_path)
        return create_app({"TESTING": True, "ENVIRON": {**base, **(environ or {})}, **config})

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def user(client) -> Browserless:
    return Browserless(client)
