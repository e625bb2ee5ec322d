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
def password_mfa(monkeypatch, triggers) -> FakeTriggers:
    """SIGN_IN_FLOW=password_mfa for the test, and the project's own Define
    trigger (which reads it at each call) in place of the fake one; Create and
    Verify stay fake, so no Authsignal is needed."""
    import lambdas.define_auth_challenge
    from lambdas.challenge import CHALLENGE_METADATA

    def create(event, context):
        # The fake challenge, marked as the project's own, as Define expects.
        event = FakeTriggers.create(event, context)
        event["response"]["challengeMetadata"] = CHALLENGE_METADATA
        return event

    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    triggers.replace("DefineAuthChallenge", lambdas.define_auth_challenge.handler)
    triggers.replace("CreateAuthChallenge", create)
    return triggers


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
