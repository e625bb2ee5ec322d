"""Users, authenticators and actions as a server manages them: update, delete
and query users; enroll, list and delete authenticators; update actions.
Through the real ``authsignal`` SDK where it has the method, plain requests
where it has not (or where the raw camelCase body is the point)."""

from __future__ import annotations

import sqlite3
import threading
import uuid

import pytest
import requests
from authsignal import AuthsignalClient
from authsignal.client import ApiException

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import ChallengeDriver, complete_challenge, latest_code

ACTION = "cognitoAuth"


@pytest.fixture
def api(authsignal_emulator):
    """A raw call to the server API with the secret: (status, JSON body)."""

    def call(method: str, path: str, body: object = None, **params):
        response = requests.request(
            method, authsignal_emulator.base_url + path, json=body, params=params,
            auth=(authsignal_emulator.config.secret, ""), timeout=5,
        )
        assert response.headers["Content-Type"] == "application/json"
        return response.status_code, response.json()

    return call


def enroll_email(authsignal, user_id, email, **extra):
    return authsignal.enroll_verified_authenticator(user_id, {"verificationMethod": "EMAIL_OTP", "email": email, **extra})


# ----- update, get, delete user -----------------------------------------------

def test_update_user_creates_the_user_and_echoes_what_it_stored(api, user_id, email):
    attributes = {
        "email": email, "phoneNumber": "+6427123456", "username": email,
        "displayName": "Test User", "custom": {"plan": "pro"},
    }

    status, body = api("PATCH", f"/users/{user_id}", attributes)

    assert status == 200
    assert body == {"userId": user_id, **attributes}


def test_get_user_returns_what_update_user_stored(authsignal, user_id, email):
    authsignal.update_user(user_id, {
        "email": email, "phoneNumber": "9876543210", "username": "jane",
        "displayName": "Jane", "custom": {"plan": "pro"}, "locale": "en",
    })

    user = authsignal.get_user(user_id)

    assert user["email"] == email
    assert user["phone_number"] == "9876543210"
    assert user["username"] == "jane"
    assert user["display_name"] == "Jane"
    assert user["custom"] == {"plan": "pro"}
    assert user["locale"] == "en"
    assert user["is_enrolled"] is False
    assert user["email_verified"] is False


def test_update_user_changes_only_the_fields_it_is_given(authsignal, user_id, email):
    authsignal.update_user(user_id, {"email": email, "displayName": "First"})

    updated = authsignal.update_user(user_id, {"displayName": "Second"})

    assert updated == {"user_id": user_id, "email": email, "display_name": "Second"}


def test_an_explicit_null_clears_a_field(api, user_id, email):
    api("PATCH", f"/users/{user_id}", {"email": email, "displayName": "Jane"})

    status, body = api("PATCH", f"/users/{user_id}", {"displayName": None})

    assert status == 200
    assert body == {"userId": user_id, "email": email}


@pytest.mark.parametrize(
    "attributes, description",
    [
        ({"email": "not-an-email"}, "email is not a valid email address."),
        ({"emailVerified": "yes"}, "emailVerified must be true or false."),
        ({"custom": ["a"]}, "custom must be a JSON object."),
        ({"displayName": ""}, "displayName must be a string of 1 to 255 characters."),
        ({"defaultVerificationMethod": "CARRIER_PIGEON"}, None),
    ],
)
def test_update_user_refuses_bad_values_clearly(authsignal, user_id, attributes, description):
    with pytest.raises(ApiException) as caught:
        authsignal.update_user(user_id, attributes)

    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_request"
    if description:
        assert caught.value.error_description == description
    else:
        assert "EMAIL_OTP" in caught.value.error_description


def test_a_verified_new_email_moves_the_email_authenticator_to_it(authsignal, user_id, email):
    enroll_email(authsignal, user_id, email)
    new_email = f"new-{email}"

    authsignal.update_user(user_id, {"email": new_email, "emailVerified": True})

    [authenticator] = authsignal.get_authenticators(user_id)
    assert authenticator["email"] == new_email
    assert authsignal.get_user(user_id)["email_verified"] is True


def test_an_unverified_new_email_leaves_the_authenticator_alone(authsignal, user_id, email):
    enroll_email(authsignal, user_id, email)

    authsignal.update_user(user_id, {"email": f"new-{email}"})

    assert authsignal.get_authenticators(user_id)[0]["email"] == email
    assert authsignal.get_user(user_id)["email_verified"] is False


def test_delete_user_unenrolls_it_and_forgets_its_attributes(authsignal, api, user_id, email):
    enroll_email(authsignal, user_id, email)
    authsignal.update_user(user_id, {"displayName": "Jane"})

    status, body = api("DELETE", f"/users/{user_id}")

    assert (status, body) == (200, {"success": True})
    user = authsignal.get_user(user_id)
    assert user["is_enrolled"] is False
    assert "email" not in user and "display_name" not in user
    assert authsignal.get_authenticators(user_id) == []


def test_delete_user_keeps_its_actions_unless_asked(authsignal, user_id, email):
    kept = authsignal.track(user_id, ACTION, {"email": email})
    authsignal.delete_user(user_id)
    assert authsignal.get_action(user_id, ACTION, kept["idempotency_key"])["state"] == "CHALLENGE_REQUIRED"

    response = requests.delete(
        f"{authsignal.api_url}/users/{user_id}", params={"actions": "true"},
        auth=(authsignal.api_secret_key, ""), timeout=5,
    )

    assert response.status_code == 200
    with pytest.raises(ApiException) as caught:
        authsignal.get_action(user_id, ACTION, kept["idempotency_key"])
    assert caught.value.status_code == 404


def test_deleting_a_user_never_seen_succeeds(api):
    assert api("DELETE", f"/users/{uuid.uuid4()}") == (200, {"success": True})


# ----- query users --------------------------------------------------------------

def test_query_users_filters_by_email_phone_number_and_username(authsignal, api, email):
    alice, bob = sorted(str(uuid.uuid4()) for _ in range(2))
    authsignal.update_user(alice, {"email": email, "username": f"alice-{alice}", "phoneNumber": f"+64{alice[:8]}"})
    authsignal.update_user(bob, {"email": email.upper()})

    by_email = api("GET", "/users", email=email)[1]
    by_username = api("GET", "/users", username=f"alice-{alice}")[1]
    by_phone = api("GET", "/users", phoneNumber=f"+64{alice[:8]}")[1]

    assert [u["userId"] for u in by_email["users"]] == [alice, bob]
    assert "lastEvaluatedUserId" not in by_email
    assert [u["userId"] for u in by_username["users"]] == [alice]
    assert [u["userId"] for u in by_phone["users"]] == [alice]
    listed = by_username["users"][0]
    assert listed["email"] == email
    assert listed["isEnrolled"] is False
    assert listed["enrolledVerificationMethods"] == []
    assert listed["createdAt"].endswith("Z")


def test_query_users_pages_by_last_evaluated_user_id(authsignal, api, email):
    user_ids = sorted(str(uuid.uuid4()) for _ in range(5))
    for user_id in user_ids:
        authsignal.update_user(user_id, {"email": email})

    seen, after = [], None
    for _ in range(3):
        params = {"email": email, "limit": 2, **({"lastEvaluatedUserId": after} if after else {})}
        page = api("GET", "/users", **params)[1]
        seen += [u["userId"] for u in page["users"]]
        after = page.get("lastEvaluatedUserId")

    assert seen == user_ids
    assert after is None


@pytest.mark.parametrize(
    "params, text",
    [
        ({"token": "abc"}, "Filtering users by token is not emulated by the local Authsignal."),
        ({"limit": "0"}, "limit must be a whole number from 1 to 1000."),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 1000."),
    ],
)
def test_query_users_refuses_what_it_cannot_do(api, params, text):
    status, body = api("GET", "/users", **params)

    assert status == 400
    assert body["errorDescription"] == text


# ----- authenticators -------------------------------------------------------------

def test_enroll_verified_authenticator_answers_the_real_shape(api, user_id, email):
    status, body = api("POST", f"/users/{user_id}/authenticators", {"verificationMethod": "EMAIL_OTP", "email": email})

    assert status == 200
    authenticator = body["authenticator"]
    assert set(authenticator) == {
        "userAuthenticatorId", "verificationMethod", "email", "userId", "createdAt", "verifiedAt", "isDefault",
    }
    assert uuid.UUID(authenticator["userAuthenticatorId"])
    assert authenticator["verificationMethod"] == "EMAIL_OTP"
    assert authenticator["email"] == email
    assert authenticator["userId"] == user_id
    assert authenticator["isDefault"] is True


def test_enrolling_makes_get_user_and_track_report_the_user_enrolled(authsignal, user_id, email):
    authsignal.enroll_verified_authenticator(user_id, {"verificationMethod": "SMS", "phoneNumber": "+6427000000"})

    user = authsignal.get_user(user_id)
    track = authsignal.track(user_id, ACTION)

    assert user["is_enrolled"] is True
    assert user["enrolled_verification_methods"] == ["SMS"]
    assert user["default_verification_method"] == "SMS"
    assert user["phone_number"] == "+6427000000"
    assert "email" not in user
    assert track["is_enrolled"] is True


def test_is_default_chooses_the_default_verification_method(authsignal, user_id, email):
    enroll_email(authsignal, user_id, email)
    authsignal.enroll_verified_authenticator(
        user_id, {"verificationMethod": "SMS", "phoneNumber": "+6427000000", "isDefault": True}
    )

    user = authsignal.get_user(user_id)

    assert user["enrolled_verification_methods"] == ["EMAIL_OTP", "SMS"]
    assert user["default_verification_method"] == "SMS"
    assert {a["verification_method"]: a["is_default"] for a in authsignal.get_authenticators(user_id)} == {
        "EMAIL_OTP": False, "SMS": True,
    }


def test_enrolling_a_method_again_replaces_its_address_and_keeps_its_id(authsignal, user_id, email):
    first = enroll_email(authsignal, user_id, email)["authenticator"]

    second = enroll_email(authsignal, user_id, f"other-{email}")["authenticator"]

    assert second["user_authenticator_id"] == first["user_authenticator_id"]
    assert [a["email"] for a in authsignal.get_authenticators(user_id)] == [f"other-{email}"]


@pytest.mark.parametrize(
    "attributes, description",
    [
        ({"verificationMethod": "EMAIL_OTP"}, "email is required to enroll EMAIL_OTP."),
        ({"verificationMethod": "SMS"}, "phoneNumber is required to enroll SMS."),
        ({"verificationMethod": "EMAIL_OTP", "email": "nope"}, "email is not a valid email address."),
        ({"verificationMethod": "PASSKEY"}, "verificationMethod must be one of EMAIL_OTP, EMAIL_MAGIC_LINK or SMS "
                                            "(what the local Authsignal can enroll without a challenge)."),
    ],
)
def test_enroll_refuses_what_it_cannot_enroll_clearly(authsignal, user_id, attributes, description):
    with pytest.raises(ApiException) as caught:
        authsignal.enroll_verified_authenticator(user_id, attributes)

    assert caught.value.status_code == 400
    assert caught.value.error_description == description
    assert authsignal.get_user(user_id)["is_enrolled"] is False


def test_get_authenticators_of_a_user_never_seen_is_an_empty_list(api):
    assert api("GET", f"/users/{uuid.uuid4()}/authenticators") == (200, [])


def test_deleting_the_last_authenticator_unenrolls_the_user(authsignal, api, user_id, email):
    authenticator = enroll_email(authsignal, user_id, email)["authenticator"]

    status, body = api("DELETE", f"/users/{user_id}/authenticators/{authenticator['user_authenticator_id']}")

    assert (status, body) == (200, {"success": True})
    assert authsignal.get_user(user_id)["is_enrolled"] is False


def test_deleting_another_users_authenticator_is_a_404(authsignal, api, user_id, email):
    authenticator = enroll_email(authsignal, user_id, email)["authenticator"]

    status, body = api("DELETE", f"/users/someone-else/authenticators/{authenticator['user_authenticator_id']}")

    assert status == 404
    assert body["errorCode"] == "not_found"
    assert authsignal.get_user(user_id)["is_enrolled"] is True


def test_concurrent_enrolments_keep_one_authenticator_per_method(authsignal_emulator, user_id, email):
    start = threading.Barrier(8)
    errors: list[Exception] = []

    def worker(n: int):
        client = AuthsignalClient(authsignal_emulator.config.secret, api_url=authsignal_emulator.base_url)
        start.wait()
        try:
            enroll_email(client, user_id, f"{n}-{email}")
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    client = AuthsignalClient(authsignal_emulator.config.secret, api_url=authsignal_emulator.base_url)
    assert errors == []
    assert len(client.get_authenticators(user_id)) == 1


# ----- the pre-built UI and the authenticators -----------------------------------

def test_a_code_verified_in_the_ui_enrolls_an_email_otp_authenticator(authsignal, authsignal_emulator, user_id, email):
    complete_challenge(authsignal_emulator, authsignal.track(user_id, ACTION, {"email": email}), email)

    [authenticator] = authsignal.get_authenticators(user_id)

    assert authenticator["verification_method"] == "EMAIL_OTP"
    assert authenticator["email"] == email
    assert authenticator["last_verified_at"].endswith("Z")


def test_a_challenge_tracked_without_email_goes_to_the_enrolled_one(authsignal, authsignal_emulator, user_id, email):
    enroll_email(authsignal, user_id, email)
    track = authsignal.track(user_id, ACTION)

    assert ChallengeDriver(authsignal_emulator, track["token"]).send_code().status_code == 200
    assert latest_code(authsignal_emulator, email)


# ----- actions ----------------------------------------------------------------------

def test_get_action_has_an_output(authsignal, user_id):
    track = authsignal.track(user_id, ACTION)

    action = authsignal.get_action(user_id, ACTION, track["idempotency_key"])

    assert action["output"] == {"custom": {}}


def test_update_action_sets_the_state_that_get_action_then_shows(clock, timed_authsignal, user_id):
    track = timed_authsignal.track(user_id, ACTION)
    clock.advance(5)

    updated = timed_authsignal.update_action(user_id, ACTION, track["idempotency_key"], {"state": "BLOCK"})
    fetched = timed_authsignal.get_action(user_id, ACTION, track["idempotency_key"])

    assert updated["state"] == fetched["state"] == "BLOCK"
    assert updated["state_updated_at"] == fetched["state_updated_at"] != fetched["created_at"]
    assert fetched["output"] == {"custom": {}}


def test_an_action_set_to_succeeded_validates_once(authsignal, user_id):
    track = authsignal.track(user_id, ACTION)
    authsignal.update_action(user_id, ACTION, track["idempotency_key"], {"state": "CHALLENGE_SUCCEEDED"})

    first = authsignal.validate_challenge({"token": track["token"], "userId": user_id, "action": ACTION})
    second = authsignal.validate_challenge({"token": track["token"], "userId": user_id, "action": ACTION})

    assert (first["is_valid"], second["is_valid"]) == (True, False)


def test_a_blocked_challenge_cannot_be_completed_in_the_ui(authsignal, authsignal_emulator, user_id, email):
    track = authsignal.track(user_id, ACTION, {"email": email})
    authsignal.update_action(user_id, ACTION, track["idempotency_key"], {"state": "BLOCK"})

    response = ChallengeDriver(authsignal_emulator, track["token"]).send_code()

    assert response.status_code == 400


@pytest.mark.parametrize(
    "attributes, status",
    [({"state": "DONE"}, 400), ({"state": "block"}, 400), ({"state": "ALLOW"}, 404)],
    ids=["unknown-state", "lowercase-state", "unknown-action"],
)
def test_update_action_refuses_unknown_states_and_actions(authsignal, user_id, attributes, status):
    authsignal.track(user_id, ACTION)

    with pytest.raises(ApiException) as caught:
        authsignal.update_action(user_id, ACTION, "no-such-key" if status == 404 else "any", attributes)

    assert caught.value.status_code == status
    if status == 400:
        assert caught.value.error_description.startswith("state must be one of ALLOW, BLOCK, ")


# ----- state files ------------------------------------------------------------------

OLD_SCHEMA = """
CREATE TABLE users (user_id TEXT PRIMARY KEY, email TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE actions (idempotency_key TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id),
    action TEXT NOT NULL, state TEXT NOT NULL, email TEXT, redirect_url TEXT, created_at REAL NOT NULL,
    state_updated_at REAL NOT NULL, verification_method TEXT, validated_at REAL,
    wrong_codes INTEGER NOT NULL DEFAULT 0, code TEXT, code_expires_at REAL);
INSERT INTO users VALUES ('verified', 'v@example.com', 1, 1700000000), ('unverified', NULL, 0, 1700000000);
"""


def test_a_state_file_from_before_authenticators_keeps_its_enrolled_users(tmp_path):
    path = tmp_path / "authsignal.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    config = AuthsignalEmulatorConfig(state_path=str(path))

    with AuthsignalEmulator(config) as emulator:
        client = AuthsignalClient(config.secret, api_url=emulator.base_url)
        verified = client.get_user("verified")
        unverified = client.get_user("unverified")
        client.update_user("verified", {"displayName": "Still works"})
        authenticators = client.get_authenticators("verified")

    assert verified["is_enrolled"] is True and verified["email"] == "v@example.com"
    assert unverified["is_enrolled"] is False
    assert [(a["verification_method"], a["email"]) for a in authenticators] == [("EMAIL_OTP", "v@example.com")]


def test_users_and_authenticators_survive_a_restart(tmp_path, user_id, email):
    config = AuthsignalEmulatorConfig(state_path=str(tmp_path / "authsignal.sqlite3"))
    with AuthsignalEmulator(config) as first:
        client = AuthsignalClient(config.secret, api_url=first.base_url)
        enroll_email(client, user_id, email)
        client.update_user(user_id, {"displayName": "Jane", "custom": {"plan": "pro"}})

    with AuthsignalEmulator(config) as second:
        client = AuthsignalClient(config.secret, api_url=second.base_url)
        user = client.get_user(user_id)

    assert user["is_enrolled"] is True
    assert (user["display_name"], user["custom"]) == ("Jane", {"plan": "pro"})
