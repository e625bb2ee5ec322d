import pytest

from lambdas.settings import AuthsignalSettings, ConfigurationError

BASE = {"AUTHSIGNAL_SECRET": "s3cret"}


def test_defaults_match_the_example_we_mirror():
    settings = AuthsignalSettings.from_environment(BASE)

    assert settings.api_url == "https://api.authsignal.com/v1"
    assert settings.action == "cognitoAuth"
    assert settings.timeout_seconds == 3.0


@pytest.mark.parametrize(
    "environ, named",
    [
        ({}, "AUTHSIGNAL_SECRET"),
        ({"AUTHSIGNAL_SECRET": "  "}, "AUTHSIGNAL_SECRET"),
        ({**BASE, "AUTHSIGNAL_URL": "https://api.authsignal.com"}, "AUTHSIGNAL_URL"),
        ({**BASE, "AUTHSIGNAL_URL": "api.authsignal.com/v1"}, "AUTHSIGNAL_URL"),
        ({**BASE, "AUTHSIGNAL_TIMEOUT_SECONDS": "soon"}, "AUTHSIGNAL_TIMEOUT_SECONDS"),
        ({**BASE, "AUTHSIGNAL_TIMEOUT_SECONDS": "5"}, "AUTHSIGNAL_TIMEOUT_SECONDS"),
        ({**BASE, "AUTHSIGNAL_TIMEOUT_SECONDS": "0"}, "AUTHSIGNAL_TIMEOUT_SECONDS"),
    ],
)
def test_a_missing_or_malformed_setting_is_named(environ, named):
    with pytest.raises(ConfigurationError, match=named):
        AuthsignalSettings.from_environment(environ)


def test_a_trailing_slash_is_tolerated():
    settings = AuthsignalSettings.from_environment({**BASE, "AUTHSIGNAL_URL": "https://eu.api.authsignal.com/v1/"})

    assert settings.api_url == "https://eu.api.authsignal.com/v1"


def test_importing_the_triggers_needs_no_settings(monkeypatch):
    import importlib

    for name in ("AUTHSIGNAL_SECRET", "AUTHSIGNAL_URL", "AUTHSIGNAL_ACTION"):
        monkeypatch.delenv(name, raising=False)
    for module in ("pre_sign_up", "define_auth_challenge", "create_auth_challenge", "verify_auth_challenge_response"):
        reloaded = importlib.reload(importlib.import_module(f"lambdas.{module}"))
        assert callable(reloaded.handler)
