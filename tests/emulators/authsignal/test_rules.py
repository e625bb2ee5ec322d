"""Rules (``--rules FILE``): track's outcome per action code, from the device,
the address and the custom attributes; validate and the pre-built UI for
each outcome."""

from __future__ import annotations

import json

import pytest
import requests
from authsignal import AuthsignalClient
from authsignal.client import ApiException

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig
from emulators.authsignal.config import ConfigError
from emulators.authsignal.rules import Facts, parse_rules

from .helpers import ChallengeDriver, complete_challenge

ACTION = "cognitoAuth"
RULES = {
    ACTION: {
        "rules": [
            {"when": {"knownDevice": True}, "outcome": "ALLOW"},
            {"when": {"ipAddressIn": ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]}, "outcome": "BLOCK"},
            {"when": {"custom": {"plan": "trial"}}, "outcome": "REVIEW_REQUIRED"},
        ],
        "default": "CHALLENGE_REQUIRED",
    },
    "transfer": {
        "rules": [
            {"when": {"custom": {"risk": "high"}, "ipAddressIn": ["192.0.2.0/24"]}, "outcome": "BLOCK"},
            {"when": {"custom": {"risk": "high"}}, "outcome": "REVIEW_REQUIRED"},
            {"when": {}, "outcome": "CHALLENGE_REQUIRED"},
        ],
        "default": "ALLOW",
    },
    "lowRisk": {"rules": [], "default": "ALLOW"},
}


@pytest.fixture(scope="module")
def rules_emulator(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "rules.json"
    path.write_text(json.dumps(RULES))
    with AuthsignalEmulator(AuthsignalEmulatorConfig(rules_path=str(path))) as emulator:
        yield emulator


@pytest.fixture
def client(rules_emulator) -> AuthsignalClient:
    return AuthsignalClient(rules_emulator.config.secret, api_url=rules_emulator.base_url)


def state(client, user_id, action=ACTION, **attributes) -> str:
    return client.track(user_id, action, attributes)["state"]


def sign_in(client, emulator, user_id, email, device_id) -> dict:
    """A challenge from ``device_id`` completed and validated: a successful sign-in."""
    track = client.track(user_id, ACTION, {"email": email, "deviceId": device_id})
    token = complete_challenge(emulator, track, email)
    result = client.validate_challenge({"token": token, "userId": user_id, "action": ACTION})
    assert result["is_valid"] is True
    return track


# ----- outcomes --------------------------------------------------------------------

def test_a_new_device_needs_a_challenge(client, user_id):
    assert state(client, user_id, deviceId="device-new") == "CHALLENGE_REQUIRED"


def test_a_device_is_known_after_a_successful_sign_in_for_that_user_only(client, rules_emulator, user_id, email):
    sign_in(client, rules_emulator, user_id, email, "laptop-1")

    assert state(client, user_id, deviceId="laptop-1") == "ALLOW"
    assert state(client, user_id, deviceId="phone-2") == "CHALLENGE_REQUIRED"
    assert state(client, user_id) == "CHALLENGE_REQUIRED"  # no deviceId: not a known device
    assert state(client, "someone-else", deviceId="laptop-1") == "CHALLENGE_REQUIRED"


def test_a_device_is_not_known_before_validate_says_is_valid(client, rules_emulator, user_id, email):
    pending = client.track(user_id, ACTION, {"email": email, "deviceId": "tablet-1"})
    complete_challenge(rules_emulator, pending, email)  # completed, but never validated
    client.validate_challenge({"token": client.track(user_id, ACTION, {"deviceId": "tablet-1"})["token"]})

    assert state(client, user_id, deviceId="tablet-1") == "CHALLENGE_REQUIRED"


def test_an_allowed_sign_in_also_remembers_the_device(client, rules_emulator, user_id, email):
    sign_in(client, rules_emulator, user_id, email, "laptop-1")
    allowed = client.track(user_id, ACTION, {"deviceId": "laptop-1"})

    assert client.validate_challenge({"token": allowed["token"]})["is_valid"] is True
    assert state(client, user_id, deviceId="laptop-1") == "ALLOW"


@pytest.mark.parametrize("address", ["203.0.113.7", "198.51.100.42", "2001:db8::1"])
def test_an_address_in_the_list_is_blocked(client, user_id, address):
    assert state(client, user_id, ipAddress=address) == "BLOCK"


@pytest.mark.parametrize("address", ["203.0.113.8", "192.0.2.1", "not-an-address", "::1"])
def test_other_addresses_are_not(client, user_id, address):
    assert state(client, user_id, ipAddress=address) == "CHALLENGE_REQUIRED"


def test_a_custom_attribute_gives_its_outcome(client, user_id):
    assert state(client, user_id, custom={"plan": "trial", "other": 1}) == "REVIEW_REQUIRED"
    assert state(client, user_id, custom={"plan": "pro"}) == "CHALLENGE_REQUIRED"
    assert state(client, user_id, custom={"Plan": "trial"}) == "CHALLENGE_REQUIRED"


def test_the_first_matching_rule_wins(client, rules_emulator, user_id, email):
    sign_in(client, rules_emulator, user_id, email, "laptop-1")

    # A known device (ALLOW) from a blocked address (BLOCK): the first rule wins.
    assert state(client, user_id, deviceId="laptop-1", ipAddress="203.0.113.7") == "ALLOW"
    assert state(client, user_id, deviceId="phone-2", ipAddress="203.0.113.7") == "BLOCK"
    # A blocked address with custom plan trial (REVIEW_REQUIRED): BLOCK comes first.
    assert state(client, user_id, ipAddress="203.0.113.7", custom={"plan": "trial"}) == "BLOCK"


def test_every_condition_of_a_rule_must_hold(client, user_id):
    assert state(client, user_id, "transfer", custom={"risk": "high"}, ipAddress="192.0.2.9") == "BLOCK"
    assert state(client, user_id, "transfer", custom={"risk": "high"}, ipAddress="10.0.0.1") == "REVIEW_REQUIRED"
    # An empty "when" always holds, so transfer's default is never reached.
    assert state(client, user_id, "transfer", custom={"risk": "low"}) == "CHALLENGE_REQUIRED"


def test_the_default_applies_when_no_rule_matches(client, user_id):
    assert state(client, user_id, "lowRisk") == "ALLOW"


def test_an_action_without_rules_needs_a_challenge_as_does_any_without_a_rules_file(client, authsignal, user_id):
    assert state(client, user_id, "changePassword", ipAddress="203.0.113.7") == "CHALLENGE_REQUIRED"
    assert authsignal.track(user_id, ACTION, {"ipAddress": "203.0.113.7", "deviceId": "d"})["state"] == "CHALLENGE_REQUIRED"


def test_track_still_answers_url_token_and_key_whatever_the_outcome(client, rules_emulator, user_id):
    result = client.track(user_id, ACTION, {"ipAddress": "203.0.113.7"})

    assert result["state"] == "BLOCK"
    assert result["url"].startswith(f"{rules_emulator.origin}/challenge?token=")
    assert result["token"] and result["idempotency_key"]
    assert result["allowed_verification_methods"] == ["EMAIL_OTP", "AUTHENTICATOR_APP"]


def test_track_records_the_rules_attributes_on_the_action(client, rules_emulator, user_id):
    track = client.track(user_id, ACTION, {
        "deviceId": "device-9", "ipAddress": "192.0.2.1", "userAgent": "UA/1.0", "custom": {"plan": "pro"},
    })

    action = rules_emulator.store.get_action(track["idempotency_key"])

    assert (action.device_id, action.ip_address, action.user_agent, action.custom) == (
        "device-9", "192.0.2.1", "UA/1.0", {"plan": "pro"},
    )


@pytest.mark.parametrize(
    "attributes, text",
    [({"deviceId": 7}, "deviceId must be a string"), ({"ipAddress": ""}, "ipAddress must be a string"),
     ({"userAgent": ["x"]}, "userAgent must be a string")],
)
def test_track_refuses_malformed_rules_attributes(client, user_id, attributes, text):
    with pytest.raises(ApiException) as caught:
        client.track(user_id, ACTION, attributes)

    assert caught.value.status_code == 400
    assert text in caught.value.error_description


# ----- validate, get action and the pre-built UI for each outcome -------------------

def test_an_allow_actions_track_token_validates_once_as_allow(client, user_id):
    track = client.track(user_id, "lowRisk")

    first = client.validate_challenge({"token": track["token"], "userId": user_id, "action": "lowRisk"})
    second = client.validate_challenge({"token": track["token"], "userId": user_id, "action": "lowRisk"})

    assert (first["is_valid"], first["state"]) == (True, "ALLOW")
    assert (first["user_id"], first["action"], first["idempotency_key"]) == (user_id, "lowRisk", track["idempotency_key"])
    assert "verification_method" not in first
    assert (second["is_valid"], second["state"]) == (False, "ALLOW")


def test_an_allow_for_another_action_or_user_does_not_validate(client, user_id):
    track = client.track(user_id, "lowRisk")

    assert client.validate_challenge({"token": track["token"], "action": ACTION})["is_valid"] is False
    assert client.validate_challenge({"token": track["token"], "action": "lowRisk"})["is_valid"] is True


@pytest.mark.parametrize("attributes, expected", [
    ({"ipAddress": "203.0.113.7"}, "BLOCK"),
    ({"custom": {"plan": "trial"}}, "REVIEW_REQUIRED"),
])
def test_blocked_and_review_actions_do_not_validate(client, user_id, attributes, expected):
    track = client.track(user_id, ACTION, attributes)

    result = client.validate_challenge({"token": track["token"], "userId": user_id, "action": ACTION})

    assert (result["is_valid"], result["state"]) == (False, expected)


def test_get_action_shows_the_outcome_and_output(client, user_id):
    track = client.track(user_id, ACTION, {"ipAddress": "203.0.113.7"})

    action = client.get_action(user_id, ACTION, track["idempotency_key"])

    assert action["state"] == "BLOCK"
    assert action["output"] == {"custom": {}}


@pytest.mark.parametrize("attributes, text", [
    ({"ipAddress": "203.0.113.7"}, "This action was blocked."),
    ({"custom": {"plan": "trial"}}, "This action was blocked until it is reviewed."),
])
def test_the_ui_of_a_blocked_action_offers_no_code(client, rules_emulator, user_id, email, attributes, text):
    track = client.track(user_id, ACTION, {"email": email, **attributes})
    driver = ChallengeDriver(rules_emulator, track["token"])

    page = requests.get(track["url"], timeout=5)
    send = driver.send_code()
    enroll = driver.enroll_totp()

    assert f'"state": "{client.get_action(user_id, ACTION, track["idempotency_key"])["state"]}"' in page.text
    assert send.status_code == enroll.status_code == 400
    assert send.json()["errorDescription"] == "This action was blocked: there is no challenge to complete."
    script = requests.get(f"{rules_emulator.origin}/static/authsignal-ui.js", timeout=5).text
    assert text in script


def test_an_allowed_actions_challenge_can_still_be_completed(client, rules_emulator, user_id, email):
    # The app may show the url of an ALLOW action anyway (an email alone proves nothing).
    track = client.track(user_id, "lowRisk", {"email": email})
    token = complete_challenge(rules_emulator, track, email)

    result = client.validate_challenge({"token": token, "userId": user_id, "action": "lowRisk"})

    assert (result["is_valid"], result["state"]) == (True, "CHALLENGE_SUCCEEDED")


# ----- the rules file ----------------------------------------------------------------

def test_the_example_of_the_readme_parses():
    rules = parse_rules({"cognitoAuth": {"rules": [
        {"when": {"knownDevice": True}, "outcome": "ALLOW"},
        {"when": {"ipAddressIn": ["203.0.113.7"]}, "outcome": "BLOCK"},
        {"when": {"custom": {"plan": "trial"}}, "outcome": "CHALLENGE_REQUIRED"},
    ], "default": "CHALLENGE_REQUIRED"}})

    assert rules.outcome("cognitoAuth", Facts(known_device=True)) == "ALLOW"
    assert rules.outcome("cognitoAuth", Facts(ip_address="203.0.113.7")) == "BLOCK"
    assert rules.outcome("cognitoAuth", Facts()) == "CHALLENGE_REQUIRED"
    assert rules.outcome("other", Facts(known_device=True)) == "CHALLENGE_REQUIRED"


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"cognitoAuth": {"rules": [{"when": {"country": "NZ"}, "outcome": "ALLOW"}]}}',
         "cognitoAuth.rules[0].when: unknown condition 'country' (conditions: knownDevice, ipAddressIn, custom)"),
        ('{"cognitoAuth": {"rules": [{"when": {}, "outcome": "DENY"}]}}',
         "cognitoAuth.rules[0].outcome: unknown outcome 'DENY' (outcomes: ALLOW, CHALLENGE_REQUIRED, BLOCK, REVIEW_REQUIRED)"),
        ('{"cognitoAuth": {"rules": [], "default": "CHALLENGE_SUCCEEDED"}}',
         "cognitoAuth.default: unknown outcome 'CHALLENGE_SUCCEEDED'"),
        ('{"cognitoAuth": {"rules": [{"when": {"knownDevice": "yes"}, "outcome": "ALLOW"}]}}',
         "cognitoAuth.rules[0].when.knownDevice: expected true or false"),
        ('{"cognitoAuth": {"rules": [{"when": {"ipAddressIn": ["10.0.0.300"]}, "outcome": "BLOCK"}]}}',
         "cognitoAuth.rules[0].when.ipAddressIn: '10.0.0.300' is not an IP address or CIDR network"),
        ('{"cognitoAuth": {"rules": [{"when": {"custom": "trial"}, "outcome": "BLOCK"}]}}',
         "cognitoAuth.rules[0].when.custom: expected an object"),
        ('{"cognitoAuth": {"rules": [{"outcome": "BLOCK"}]}}', "cognitoAuth.rules[0].when: expected an object"),
        ('{"cognitoAuth": {"rules": [{"when": {}}]}}', 'cognitoAuth.rules[0]: "outcome" is missing'),
        ('{"cognitoAuth": {"rule": []}}', "cognitoAuth: unknown key 'rule'"),
        ('{"sign in": {"rules": []}}', "'sign in' is not a valid action code"),
        ('[]', "expected a JSON object of action codes"),
        ('{"cognitoAuth": {"rules": [}', "not valid JSON: Expecting value (line 1, column 28)"),
    ],
)
def test_a_malformed_rules_file_is_refused_naming_the_problem(tmp_path, text, problem):
    path = tmp_path / "rules.json"
    path.write_text(text)

    with pytest.raises(ConfigError) as caught:
        AuthsignalEmulatorConfig(rules_path=str(path))

    assert caught.value.option == "--rules"
    assert caught.value.message.startswith(f"{path}: ")
    assert problem in caught.value.message
    assert "\n" not in str(caught.value)


def test_a_missing_rules_file_is_refused(tmp_path):
    with pytest.raises(ConfigError) as caught:
        AuthsignalEmulatorConfig(rules_path=str(tmp_path / "nope.json"))

    assert "cannot read the rules file" in caught.value.message
