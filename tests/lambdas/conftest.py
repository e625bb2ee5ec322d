from __future__ import annotations

import pytest


@pytest.fixture
def lambda_env(monkeypatch, authsignal_emulator):
    """The triggers' environment, pointed at the session's local Authsignal."""
    monkeypatch.setenv("AUTHSIGNAL_URL", authsignal_emulator.base_url)
    monkeypatch.setenv("AUTHSIGNAL_SECRET", authsignal_emulator.config.secret)
    monkeypatch.delenv("AUTHSIGNAL_ACTION", raising=False)
    monkeypatch.delenv("AUTHSIGNAL_TIMEOUT_SECONDS", raising=False)
    return authsignal_emulator
