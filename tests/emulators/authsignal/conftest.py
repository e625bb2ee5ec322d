from __future__ import annotations

import pytest
from authsignal import AuthsignalClient

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timed_emulator(clock):
    """A local Authsignal of its own whose time the test controls."""
    with AuthsignalEmulator(AuthsignalEmulatorConfig(), clock=clock) as emulator:
        yield emulator


@pytest.fixture
def timed_authsignal(timed_emulator) -> AuthsignalClient:
    return AuthsignalClient(timed_emulator.config.secret, api_url=timed_emulator.base_url)
