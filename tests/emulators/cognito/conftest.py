from __future__ import annotations

import pytest

from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

from .helpers import FakeTriggers, cognito_client


@pytest.fixture(scope="session")
def fake_triggers() -> FakeTriggers:
    return FakeTriggers()


@pytest.fixture(scope="session")
def cognito_emulator(fake_triggers):
    """One local Cognito for the session, with the fake triggers; tests keep
    apart by unique emails."""
    with CognitoEmulator(CognitoEmulatorConfig(triggers=fake_triggers.mapping())) as emulator:
        yield emulator


@pytest.fixture
def triggers(fake_triggers) -> FakeTriggers:
    """The session's fake triggers; a replacement made by the test ends with it."""
    yield fake_triggers
    fake_triggers.reset()


@pytest.fixture
def cognito(cognito_emulator):
    """boto3, unsigned, pointed at the session's local Cognito."""
    return cognito_client(cognito_emulator)


@pytest.fixture
def make_emulator(fake_triggers):
    """Start a local Cognito of the test's own, with the fake triggers unless
    the config names others; stopped after the test."""
    started = []

    def make(clock=None, **settings) -> CognitoEmulator:
        settings.setdefault("triggers", fake_triggers.mapping())
        extra = {"clock": clock} if clock is not None else {}
        emulator = CognitoEmulator(CognitoEmulatorConfig(**settings), **extra).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
