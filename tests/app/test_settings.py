import pytest

from app.settings import ConfigurationError, Settings

KEY = "k" * 40
REAL = {
    "FLASK_SECRET_KEY": KEY,
    "COGNITO_USER_POOL_ID": "eu-west-1_AbC123dEf",
    "COGNITO_CLIENT_ID": "3n4b5urk1ft4fl3mg5e62d9ado",
    "AUTHSIGNAL_TENANT_ID": "a1b2c3d4-tenant",
}


def test_nothing_configured_means_local_mode():
    settings = Settings.from_environment({})

    assert settings.mode == "local"
    assert (settings.local_cognito_port, settings.local_authsignal_port) == (9229, 9230)
    assert settings.secret_key == "", "the local stack fills it in from its state folder"
    assert settings.session_cookie_secure is False


def test_real_mode_cookies_are_secure_unless_the_site_says_it_is_plain_http():
    assert Settings.from_environment(REAL).session_cookie_secure is True
    assert Settings.from_environment({**REAL, "SESSION_COOKIE_SECURE": "false"}).session_cookie_secure is False


def test_real_mode_with_everything():
    settings = Settings.from_environment({**REAL, "COGNITO_CLIENT_SECRET": "s" * 40})

    assert settings.mode == "real"
    assert settings.cognito_region == "eu-west-1"
    assert settings.cognito_client_secret == "s" * 40
    assert settings.authsignal_url == "https://api.authsignal.com/v1"
    assert settings.prebuilt_ui_origin == "https://*.authsignal.com"
    assert settings.cognito_endpoint_url is None


def test_blank_values_count_as_unset():
    with pytest.raises(ConfigurationError, match="^COGNITO_CLIENT_ID is not set"):
        Settings.from_environment({**REAL, "COGNITO_CLIENT_ID": "  "})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"COGNITO_CLIENT_ID": None}, "^COGNITO_CLIENT_ID is not set"),
        ({"COGNITO_CLIENT_ID": None, "AUTHSIGNAL_TENANT_ID": None}, "^COGNITO_CLIENT_ID, AUTHSIGNAL_TENANT_ID are not set"),
        ({"FLASK_SECRET_KEY": None}, "^FLASK_SECRET_KEY is not set"),
        ({"FLASK_SECRET_KEY": "short"}, "^FLASK_SECRET_KEY is too short"),
        ({"COGNITO_USER_POOL_ID": "my-pool"}, "^COGNITO_USER_POOL_ID 'my-pool' is malformed"),
        ({"COGNITO_REGION": "Europe"}, "^COGNITO_REGION 'Europe' is malformed"),
        ({"COGNITO_CLIENT_ID": "has spaces"}, "^COGNITO_CLIENT_ID is malformed"),
        ({"COGNITO_ENDPOINT_URL": "localhost:9229"}, "^COGNITO_ENDPOINT_URL 'localhost:9229' is malformed"),
        ({"AUTHSIGNAL_URL": "https://api.authsignal.com"}, "^AUTHSIGNAL_URL 'https://api.authsignal.com' is malformed"),
        ({"AUTHSIGNAL_UI_ORIGIN": "https://auth.example.com/path"}, "^AUTHSIGNAL_UI_ORIGIN .* is malformed"),
        ({"SESSION_REDIS_URL": "localhost:6379"}, "^SESSION_REDIS_URL 'localhost:6379' is malformed"),
        ({"BEHIND_PROXY": "maybe"}, "^BEHIND_PROXY 'maybe' is malformed"),
        ({"SIGN_IN_RATE_LIMIT": "lots"}, "^SIGN_IN_RATE_LIMIT 'lots' is malformed"),
        ({"SIGN_IN_EMAIL_RATE_LIMIT": "a few"}, "^SIGN_IN_EMAIL_RATE_LIMIT 'a few' is malformed"),
        ({"NEW_USER_RATE_LIMIT": "-1"}, "^NEW_USER_RATE_LIMIT '-1' is malformed"),
        ({"TRUSTED_PROXY_HOPS": "0"}, "^TRUSTED_PROXY_HOPS '0' is malformed"),
        ({"UPSTREAM_DEADLINE_SECONDS": "60"}, "^UPSTREAM_DEADLINE_SECONDS '60' is malformed"),
        ({"UPSTREAM_DEADLINE_SECONDS": "soon"}, "^UPSTREAM_DEADLINE_SECONDS 'soon' is malformed"),
        ({"SESSION_COOKIE_SECURE": "sometimes"}, "^SESSION_COOKIE_SECURE 'sometimes' is malformed"),
    ],
)
def test_a_missing_or_malformed_setting_is_named(changes, message):
    environ = {key: value for key, value in {**REAL, **changes}.items() if value is not None}

    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environment(environ)


@pytest.mark.parametrize("port", ["0", "70000", "nine"])
def test_local_ports_are_checked(port):
    with pytest.raises(ConfigurationError, match="LOCAL_COGNITO_PORT"):
        Settings.from_environment({"LOCAL_COGNITO_PORT": port})


@pytest.mark.parametrize(
    "environ, origin",
    [
        ({"AUTHSIGNAL_URL": "https://eu.api.authsignal.com/v1"}, "https://*.authsignal.com"),
        ({"AUTHSIGNAL_URL": "http://127.0.0.1:9230/v1"}, "http://127.0.0.1:9230"),
        ({"AUTHSIGNAL_UI_ORIGIN": "https://auth.example.com"}, "https://auth.example.com"),
    ],
)
def test_the_prebuilt_ui_origin(environ, origin):
    assert Settings.from_environment({**REAL, **environ}).prebuilt_ui_origin == origin


@pytest.mark.parametrize(
    "environ, url, allowed",
    [
        ({}, "https://mfa.authsignal.com/?token=x", True),
        ({}, "https://tenant.eu.authsignal.com/challenge?token=x", True),
        ({}, "https://authsignal.com.evil.example/?token=x", False),
        ({}, "http://mfa.authsignal.com/?token=x", False),
        ({}, "https://mfa.authsignal.com:8443/?token=x", False),
        ({}, "https://mfa.authsignal.com/", False),
        ({"AUTHSIGNAL_UI_ORIGIN": "https://auth.example.com"}, "https://auth.example.com/?token=x", True),
        ({"AUTHSIGNAL_UI_ORIGIN": "https://auth.example.com"}, "https://mfa.authsignal.com/?token=x", False),
        ({"AUTHSIGNAL_URL": "http://127.0.0.1:9230/v1"}, "http://127.0.0.1:9230/challenge?token=x", True),
        ({"AUTHSIGNAL_URL": "http://127.0.0.1:9230/v1"}, "http://127.0.0.1:9231/challenge?token=x", False),
    ],
)
def test_which_urls_the_popup_may_open(environ, url, allowed):
    assert Settings.from_environment({**REAL, **environ}).is_prebuilt_ui_url(url) is allowed
