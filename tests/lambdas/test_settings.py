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
        ({}, "AUTHSIGNAL_SECRET is not set, nor AUTHSIGNAL_SECRET_PARAMETER"),
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


def test_the_secret_can_come_from_parameter_store(monkeypatch):
    import boto3
    from botocore.stub import Stubber

    from lambdas import parameter_store

    client = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(parameter_store, "_client", client)
    parameter_store.forget_cached_parameters()
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_parameter",
            {"Parameter": {"Name": "/authsignal/secret", "Type": "SecureString", "Value": "from-ssm"}},
            {"Name": "/authsignal/secret", "WithDecryption": True},
        )
        first = AuthsignalSettings.from_environment({"AUTHSIGNAL_SECRET_PARAMETER": "/authsignal/secret"})
        second = AuthsignalSettings.from_environment({"AUTHSIGNAL_SECRET_PARAMETER": "/authsignal/secret"})
        stubber.assert_no_pending_responses()

    assert first.secret == second.secret == "from-ssm"  # one SSM call: the second came from the cache
    parameter_store.forget_cached_parameters()


def test_a_cached_parameter_is_read_again_after_five_minutes(monkeypatch):
    from lambdas import parameter_store

    calls = []

    class FakeSSM:
        def get_parameter(self, Name, WithDecryption):
            calls.append(Name)
            return {"Parameter": {"Value": f"value-{len(calls)}"}}

    now = [1000.0]
    monkeypatch.setattr(parameter_store, "_client", FakeSSM())
    parameter_store.forget_cached_parameters()

    values = [parameter_store.read_secure_parameter("/p", clock=lambda: now[0])]
    now[0] += 299
    values.append(parameter_store.read_secure_parameter("/p", clock=lambda: now[0]))
    now[0] += 2
    values.append(parameter_store.read_secure_parameter("/p", clock=lambda: now[0]))

    assert values == ["value-1", "value-1", "value-2"]
    parameter_store.forget_cached_parameters()
