"""DNS rebinding: the local Cognito answers only loopback hosts, its bound
address, its public URL's host and the hosts it is told to allow."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from emulators.cognito import CognitoEmulatorConfig, create_app
from emulators.cognito.__main__ import main, parse_args

from ..host_headers import LOOPBACK_AND_LOOK_ALIKE, REBINDING_HOSTS, port_of
from .helpers import SIGV4_AUTHORIZATION, cognito_client

TARGET = "AWSCognitoIdentityProviderService"


def call(emulator, host: str, operation: str = "ListUserPools", body: dict | None = None) -> requests.Response:
    """An API call to the bound address, with ``host`` as the Host header."""
    headers = {
        "Host": host,
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"{TARGET}.{operation}",
        "Authorization": SIGV4_AUTHORIZATION,
    }
    return requests.post(emulator.origin, headers=headers, data=json.dumps(body or {"MaxResults": 1}), timeout=5)


def get(emulator, host: str, path: str) -> requests.Response:
    return requests.get(f"{emulator.origin}{path}", headers={"Host": host}, timeout=5)


def assert_refused(response: requests.Response, host: str) -> None:
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    body = response.json()
    assert body["__type"] == "AccessDeniedException"
    assert f"Host header '{host}'" in body["message"]
    assert "--allowed-hosts" in body["message"]


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_the_api_refuses_another_host(cognito_emulator, host):
    assert_refused(call(cognito_emulator, host), host)
    assert_refused(call(cognito_emulator, f"{host}:{port_of(cognito_emulator)}"), f"{host}:{port_of(cognito_emulator)}")


@pytest.mark.parametrize("path", ["/{pool}/.well-known/jwks.json", "/{pool}/.well-known/openid-configuration"])
def test_the_jwks_and_openid_configuration_refuse_another_host(cognito_emulator, path):
    response = get(cognito_emulator, "evil.example", path.format(pool=cognito_emulator.user_pool_id))

    assert_refused(response, "evil.example")
    assert "keys" not in response.text and "issuer" not in response.text


@pytest.mark.parametrize("loopback, look_alike", LOOPBACK_AND_LOOK_ALIKE)
def test_loopback_hosts_are_answered_and_look_alikes_refused(cognito_emulator, loopback, look_alike):
    port = port_of(cognito_emulator)

    answered = call(cognito_emulator, loopback.format(port=port))
    refused = call(cognito_emulator, look_alike.format(port=port))

    assert answered.status_code == 200, answered.text
    assert answered.json()["UserPools"][0]["Id"] == cognito_emulator.user_pool_id
    assert_refused(refused, look_alike.format(port=port))


def test_boto3_works_through_localhost_and_sees_a_refusal_as_access_denied(cognito_emulator):
    through_localhost = cognito_client(
        cognito_emulator, signed=True, endpoint_url=f"http://localhost:{port_of(cognito_emulator)}"
    )
    rebound = cognito_client(cognito_emulator, signed=True)
    rebound.meta.events.register(
        "before-send.cognito-idp.*", lambda request, **_: request.headers.__setitem__("Host", "evil.example")
    )

    assert through_localhost.list_user_pools(MaxResults=1)["UserPools"][0]["Id"] == cognito_emulator.user_pool_id
    with pytest.raises(ClientError) as refused:
        rebound.list_user_pools(MaxResults=1)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_public_url_host_is_answered(make_emulator):
    emulator = make_emulator(public_url="http://Cognito.Local.Test:9229")
    pool = emulator.user_pool_id

    assert call(emulator, "cognito.local.test:9229").status_code == 200
    assert get(emulator, "cognito.local.test", f"/{pool}/.well-known/jwks.json").json()["keys"]
    assert_refused(call(emulator, "cognito.local.test.evil.example"), "cognito.local.test.evil.example")


def test_allowed_hosts_are_answered(make_emulator):
    emulator = make_emulator(allowed_hosts="dev-box.lan, 192.168.1.20,[fd00::5]")

    for host in ("dev-box.lan:9229", "DEV-BOX.LAN", "192.168.1.20:9229", "[fd00::5]:9229"):
        assert call(emulator, host).status_code == 200, host
    assert emulator.config.allowed_hosts == ("dev-box.lan", "192.168.1.20", "[fd00::5]")
    assert_refused(call(emulator, "other-box.lan"), "other-box.lan")


def test_the_bound_address_is_answered(cognito_emulator):
    # Bound to 0.0.0.0, the emulator prints and issues http://0.0.0.0:PORT URLs.
    app = create_app(cognito_emulator.service, bound_host="0.0.0.0")
    headers = {"X-Amz-Target": f"{TARGET}.ListUserPools", "Authorization": SIGV4_AUTHORIZATION}

    answered = app.test_client().post("/", headers={**headers, "Host": "0.0.0.0:9229"}, data='{"MaxResults": 1}')
    refused = app.test_client().post("/", headers={**headers, "Host": "evil.example"}, data='{"MaxResults": 1}')

    assert answered.status_code == 200
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"allowed_hosts": "http://dev-box.lan"}, "allowed_hosts: not a host name or address: 'http://dev-box.lan'"),
        ({"allowed_hosts": ["dev-box.lan:9229"]}, "allowed_hosts: not a host name or address: 'dev-box.lan:9229'"),
        ({"public_url": "cognito.local.test:9229"}, "public_url 'cognito.local.test:9229' is not an absolute"),
    ],
)
def test_a_malformed_host_setting_is_refused(settings, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        CognitoEmulatorConfig(**settings)


def test_the_cli_takes_allowed_hosts(capsys):
    assert parse_args(["--allowed-hosts", "dev-box.lan,192.168.1.20"]).allowed_hosts == "dev-box.lan,192.168.1.20"
    assert parse_args([]).allowed_hosts == ""

    assert main(["--port", "0", "--allowed-hosts", "dev-box.lan:9229"]) == 2
    assert "error: allowed_hosts: not a host name or address: 'dev-box.lan:9229'" in capsys.readouterr().err
