"""The server API through the real ``authsignal`` SDK (4.x), as the lambdas use it."""

from __future__ import annotations

import base64
import json
import threading
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from authsignal import AuthsignalClient
from authsignal.client import ApiException

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import ChallengeDriver, complete_challenge, latest_code, wrong_code

ACTION = "cognitoAuth"


def validate(client, token, user_id=None, action=None):
    body = {"token": token}
    if user_id is not None:
        body["userId"] = user_id
    if action is not None:
        body["action"] = action
    return client.validate_challenge(body)


def test_track_returns_a_challenge_with_a_url_for_the_prebuilt_ui(authsignal, authsignal_emulator, user_id, email):
    result = authsignal.track(user_id, ACTION, {"email": email})

    assert result["state"] == "CHALLENGE_REQUIRED"
    url = urlsplit(result["url"])
    assert f"{url.scheme}://{url.netloc}" == authsignal_emulator.origin
    assert "?" in result["url"], "the Web SDK appends '&mode=popup' blindly"
    assert result["is_enrolled"] is False
    assert result["allowed_verification_methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]
    assert result["enrolled_verification_methods"] == []
    assert result["default_verification_method"] == "EMAIL_OTP"  # not enrolled: the tenant's first
    assert result["idempotency_key"]
    claims = jwt.decode(result["token"], authsignal_emulator.config.secret, algorithms=["HS256"])
    assert claims["exp"] == claims["iat"] + 600
    assert claims["sub"] == user_id
    assert claims["other"] == {
        "tenantId": authsignal_emulator.config.tenant_id,
        "publishableKey": authsignal_emulator.config.tenant_id,
        "userId": user_id,
        "actionCode": ACTION,
        "idempotencyKey": result["idempotency_key"],
    }


def test_track_after_a_verified_email_reports_the_user_enrolled(authsignal, authsignal_emulator, user_id, email):
    first = authsignal.track(user_id, ACTION, {"email": email})
    complete_challenge(authsignal_emulator, first, email)

    second = authsignal.track(user_id, ACTION, {"email": email})

    assert second["is_enrolled"] is True
    assert second["enrolled_verification_methods"] == ["EMAIL_OTP"]
    assert second["default_verification_method"] == "EMAIL_OTP"


def test_a_result_token_validates_exactly_once_for_its_user_and_action(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(authsignal_emulator, track, email)

    first = validate(authsignal, token, user_id, ACTION)
    second = validate(authsignal, token, user_id, ACTION)

    assert first["is_valid"] is True
    assert first["state"] == "CHALLENGE_SUCCEEDED"
    assert first["user_id"] == user_id
    assert first["action"] == ACTION and first["action_code"] == ACTION
    assert first["idempotency_key"] == track["idempotency_key"]
    assert first["verification_method"] == "EMAIL_OTP"
    assert second["is_valid"] is False
    # The state stays what it is: a check of `state` alone would accept a reused token.
    assert second["state"] == "CHALLENGE_SUCCEEDED"


def test_the_track_token_of_a_completed_challenge_does_not_validate_a_second_time(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    result_token = complete_challenge(authsignal_emulator, track, email)

    assert validate(authsignal, result_token, user_id, ACTION)["is_valid"] is True
    assert validate(authsignal, track["token"], user_id, ACTION)["is_valid"] is False


def test_validate_without_user_and_action_still_checks_the_challenge(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(authsignal_emulator, track, email)

    assert validate(authsignal, token)["is_valid"] is True


def test_a_token_for_another_user_is_refused(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(authsignal_emulator, track, email)

    with pytest.raises(ApiException) as caught:
        validate(authsignal, token, "someone-else", ACTION)

    assert caught.value.status_code == 400
    assert caught.value.error_description == "User is invalid."
    # ...and the refusal did not use the token up.
    assert validate(authsignal, token, user_id, ACTION)["is_valid"] is True


def test_a_token_for_another_action_does_not_validate(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(authsignal_emulator, track, email)

    result = validate(authsignal, token, user_id, "changePassword")

    assert result["is_valid"] is False
    assert validate(authsignal, token, user_id, ACTION)["is_valid"] is True


def test_a_pending_challenge_does_not_validate(authsignal, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})

    result = validate(authsignal, track["token"], user_id, ACTION)

    assert result["is_valid"] is False
    assert result["state"] == "CHALLENGE_REQUIRED"


def test_a_failed_challenge_does_not_validate(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    driver = ChallengeDriver(authsignal_emulator, track["token"])
    driver.send_code()
    bad = wrong_code(latest_code(authsignal_emulator, email))
    for _ in range(5):
        driver.verify(bad)

    result = validate(authsignal, track["token"], user_id, ACTION)

    assert result["is_valid"] is False
    assert result["state"] == "CHALLENGE_FAILED"


def test_an_expired_token_is_refused(timed_authsignal, timed_emulator, clock, user_id, email):
    track = timed_authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(timed_emulator, track, email)
    clock.advance(601)

    with pytest.raises(ApiException) as caught:
        validate(timed_authsignal, token, user_id, ACTION)

    assert caught.value.status_code == 400
    assert caught.value.error_code == "expired_token"


def test_a_token_just_inside_its_ten_minutes_validates(timed_authsignal, timed_emulator, clock, user_id, email):
    track = timed_authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(timed_emulator, track, email)
    clock.advance(599)

    assert validate(timed_authsignal, token, user_id, ACTION)["is_valid"] is True


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = claims["other"]["userId"] = "attacker"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(_tamper, id="tampered-payload"),
        pytest.param(
            lambda token: jwt.encode(
                jwt.decode(token, options={"verify_signature": False}), "another-tenant-secret-that-is-long-enough-for-hs256", algorithm="HS256"
            ),
            id="foreign-secret",
        ),
        pytest.param(
            lambda token: jwt.encode(jwt.decode(token, options={"verify_signature": False}), None, algorithm="none"),
            id="alg-none",
        ),
        pytest.param(lambda token: "not-a-jwt", id="garbage"),
    ],
)
def test_a_token_not_signed_by_this_tenant_is_refused(authsignal, authsignal_emulator, user_id, email, make_token):
    track = authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(authsignal_emulator, track, email)

    with pytest.raises(ApiException) as caught:
        validate(authsignal, make_token(token), user_id, ACTION)

    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_token"
    assert validate(authsignal, token, user_id, ACTION)["is_valid"] is True


def test_concurrent_validations_of_one_token_succeed_exactly_once(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    token = complete_challenge(authsignal_emulator, track, email)
    results: list[bool] = []
    start = threading.Barrier(8)

    def worker():
        client = AuthsignalClient(authsignal_emulator.config.secret, api_url=authsignal_emulator.base_url)
        start.wait()
        results.append(validate(client, token, user_id, ACTION)["is_valid"])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(results) == [False] * 7 + [True]


def test_get_user_reports_enrolment(authsignal, authsignal_emulator, user_id, email):
    assert authsignal.get_user(user_id)["is_enrolled"] is False

    complete_challenge(authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email}), email)
    user = authsignal.get_user(user_id)

    assert user["is_enrolled"] is True
    assert user["email"] == email
    assert user["enrolled_verification_methods"] == ["EMAIL_OTP"]


def test_get_action_follows_the_challenge(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    key = track["idempotency_key"]
    assert authsignal.get_action(user_id, ACTION, key)["state"] == "CHALLENGE_REQUIRED"

    complete_challenge(authsignal_emulator, track, email)

    action = authsignal.get_action(user_id, ACTION, key)
    assert action["state"] == "CHALLENGE_SUCCEEDED"
    assert action["verification_method"] == "EMAIL_OTP"
    with pytest.raises(ApiException) as caught:
        authsignal.get_action("someone-else", ACTION, key)
    assert caught.value.status_code == 404


UNAUTHORIZED = {
    "error": "unauthorized",
    "errorCode": "unauthorized",
    "errorDescription": "The request is unauthorized. Check that your API key and region base URL are correctly configured.",
}


def test_a_wrong_secret_key_is_unauthorized(authsignal_emulator, user_id):
    client = AuthsignalClient("wrong-secret", api_url=authsignal_emulator.base_url)

    with pytest.raises(ApiException) as caught:
        client.track(user_id, ACTION, {})

    assert caught.value.status_code == 401
    assert caught.value.error_code == "unauthorized"
    assert caught.value.error_description == UNAUTHORIZED["errorDescription"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/users/u1"),
        ("PATCH", "/users/u1"),
        ("DELETE", "/users/u1"),
        ("GET", "/users"),
        ("GET", "/users/u1/authenticators"),
        ("POST", "/users/u1/authenticators"),
        ("DELETE", "/users/u1/authenticators/a1"),
        ("POST", "/users/u1/actions/signIn"),
        ("GET", "/users/u1/actions/signIn/k1"),
        ("PATCH", "/users/u1/actions/signIn/k1"),
        ("POST", "/validate"),
    ],
)
@pytest.mark.parametrize("auth", [None, ("wrong-secret", "")], ids=["no-secret", "wrong-secret"])
def test_every_server_endpoint_answers_a_bad_secret_with_the_real_apis_401(authsignal_emulator, method, path, auth):
    response = requests.request(method, authsignal_emulator.base_url + path, json={}, auth=auth, timeout=5)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("action", ["a" * 65, "sign.in", "sign:in", "sign%20in"])
def test_action_codes_outside_the_documented_pattern_are_refused_clearly(authsignal, user_id, action):
    assert authsignal.track(user_id, "Sign_in-" + "a" * 56)["state"] == "CHALLENGE_REQUIRED"  # 64: the most

    with pytest.raises(ApiException) as caught:
        authsignal.track(user_id, action)

    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_request"
    assert "action codes are 1 to 64 letters, digits, '_' or '-' (^[a-zA-Z0-9_-]{1,64}$)" in caught.value.error_description


def test_get_action_refuses_a_malformed_action_code_too(authsignal, user_id):
    with pytest.raises(ApiException) as caught:
        authsignal.get_action(user_id, "sign.in", "some-key")

    assert caught.value.status_code == 400


def _raw(emulator, method, path, body=None) -> dict:
    response = requests.request(
        method, emulator.base_url + path, json=body, auth=(emulator.config.secret, ""), timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_absent_fields_are_omitted_not_null(authsignal_emulator, user_id, email):
    track = _raw(authsignal_emulator, "POST", f"/users/{user_id}/actions/{ACTION}", {"email": email})
    user = _raw(authsignal_emulator, "GET", f"/users/{user_id}")
    action = _raw(authsignal_emulator, "GET", f"/users/{user_id}/actions/{ACTION}/{track['idempotencyKey']}")
    validation = _raw(authsignal_emulator, "POST", "/validate", {"token": track["token"]})

    for body in (track, user, action, validation):
        assert None not in body.values(), body
    assert track["defaultVerificationMethod"] == "EMAIL_OTP"  # track always has one: the tenant's first
    assert not {"email", "phoneNumber", "username", "displayName", "custom", "defaultVerificationMethod"} & set(user)
    assert "verificationMethod" not in action
    assert "verificationMethod" not in validation


@pytest.mark.parametrize(
    "attributes, description",
    [
        ({"email": "not-an-email"}, "email is not a valid email address."),
        ({"email": 42}, "email is not a valid email address."),
        ({"redirectUrl": "https://evil.example/steal"}, "redirectUrl's origin https://evil.example is not an allowed origin."),
        ({"redirectUrl": "javascript:alert(1)"}, "redirectUrl must be an absolute http(s) URL without a fragment."),
        ({"idempotencyKey": ""}, "idempotencyKey must be a string of 1 to 200 characters."),
    ],
)
def test_track_refuses_bad_attributes_clearly(authsignal, user_id, attributes, description):
    with pytest.raises(ApiException) as caught:
        authsignal.track(user_id, ACTION, attributes)

    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_request"
    assert caught.value.error_description == description


def test_track_refuses_a_reused_idempotency_key(authsignal, user_id):
    authsignal.track(user_id, ACTION, {"idempotencyKey": f"key-{user_id}"})

    with pytest.raises(ApiException) as caught:
        authsignal.track(user_id, ACTION, {"idempotencyKey": f"key-{user_id}"})

    assert caught.value.error_description == "idempotencyKey has already been used."


@pytest.mark.parametrize(
    "method, path, body, status, code",
    [
        ("POST", "/validate", b"{not json", 400, "invalid_request"),
        ("POST", "/validate", b"[1, 2]", 400, "invalid_request"),
        ("POST", "/validate", b"", 400, "invalid_request"),
        ("POST", "/validate", b'{"token": 7}', 400, "invalid_request"),
        ("POST", "/validate", b'{"token": "x", "user_id": "u"}', 400, "invalid_request"),
        ("POST", "/validate", b'{"token": "x", "userId": ["u"]}', 400, "invalid_request"),
        ("POST", "/users/u1/actions/signIn", b"{not json", 400, "invalid_request"),
        ("POST", "/users/u1/actions/signIn", b'"a string"', 400, "invalid_request"),
        ("GET", "/validate", None, 405, "method_not_allowed"),
        ("GET", "/nothing-here", None, 404, "not_found"),
    ],
)
def test_garbage_gets_a_clear_json_error(authsignal_emulator, method, path, body, status, code):
    response = requests.request(
        method,
        authsignal_emulator.base_url + path,
        data=body,
        auth=(authsignal_emulator.config.secret, ""),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()
    assert error["error"] == error["errorCode"] == code
    assert error["errorDescription"]


def test_a_missing_secret_gets_the_three_error_fields(authsignal_emulator):
    response = requests.post(f"{authsignal_emulator.base_url}/validate", json={"token": "x"}, timeout=5)

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == UNAUTHORIZED


def test_state_survives_a_restart_with_a_state_file(tmp_path, user_id, email):
    config = AuthsignalEmulatorConfig(state_path=str(tmp_path / "authsignal.sqlite3"))
    with AuthsignalEmulator(config) as first:
        client = AuthsignalClient(config.secret, api_url=first.base_url)
        track = client.track(user_id, ACTION, {"email": email})
        token = complete_challenge(first, track, email)

    with AuthsignalEmulator(config) as second:
        client = AuthsignalClient(config.secret, api_url=second.base_url)
        assert validate(client, token, user_id, ACTION)["is_valid"] is True
        assert validate(client, token, user_id, ACTION)["is_valid"] is False
        assert client.get_user(user_id)["is_enrolled"] is True
        assert requests.get(f"{second.origin}/_dev/inbox.json", params={"to": email}, timeout=5).json()
