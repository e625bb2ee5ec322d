"""The password + MFA flow: CUSTOM_AUTH that starts with SRP_A (Amplify's
CUSTOM_WITH_SRP), Cognito's PASSWORD_VERIFIER, then the custom challenge;
driven by pycognito's AWSSRP (the client side) against the local Cognito, with
the project's Define trigger in password_mfa mode and fake Create and Verify."""

from __future__ import annotations

import base64
import datetime
import re
import secrets
import sqlite3

import pytest

from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig
from lambdas.challenge import CHALLENGE_METADATA
from tests.support.clock import FakeClock

from .helpers import answer, answer_for, cognito_client, start
from .srp_client import OTHER_PASSWORD, PASSWORD, SrpClient, sign_up_with_password, utc_timestamp

INCORRECT = "Incorrect username or password."
LOCKED = "Password attempts exceeded"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_pycognito_signs_in_with_its_password_then_the_challenge(password_mfa, cognito, cognito_emulator, email):
    sub = sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)

    verifier = client.start()

    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    assert verifier["Session"]
    parameters = verifier["ChallengeParameters"]
    assert set(parameters) == {"SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"}
    assert parameters["USERNAME"] == parameters["USER_ID_FOR_SRP"] == sub
    assert re.fullmatch(r"[0-9a-f]+", parameters["SRP_B"]) and re.fullmatch(r"[0-9a-f]+", parameters["SALT"])
    base64.b64decode(parameters["SECRET_BLOCK"], validate=True)

    challenge = client.respond(verifier, ClientMetadata={"from": "password-step"})

    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert challenge["Session"] != verifier["Session"]
    assert challenge["ChallengeParameters"] == {"url": f"https://challenge.example/{sub}/3", "USERNAME": sub}
    tokens = answer(cognito, cognito_emulator, challenge, answer_for(sub, 3))["AuthenticationResult"]
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == sub

    defines = password_mfa.events_for(sub, "DefineAuthChallenge_Authentication")
    assert [event["request"]["session"] for event in defines] == [
        [{"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}],
        [
            {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
            {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
        ],
        [
            {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
            {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": CHALLENGE_METADATA},
        ],
    ]
    [create] = password_mfa.events_for(sub, "CreateAuthChallenge_Authentication")
    assert create["request"]["clientMetadata"] == {"from": "password-step"}
    assert "clientMetadata" not in defines[0]["request"]  # InitiateAuth's reaches no trigger


def test_the_claim_is_found_by_its_secret_block_when_the_client_sends_no_session(
    password_mfa, cognito, cognito_emulator, email
):
    """pycognito's own process_challenge answers without Session."""
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()

    challenge = client.respond(verifier, with_session=False)

    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="session can only be used once"):
        client.respond(verifier, with_session=False)


def test_a_wrong_password_is_incorrect_and_ends_the_session(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as wrong:
        client.respond(verifier, client.claim(verifier, password=OTHER_PASSWORD))

    assert error_of(wrong) == ("NotAuthorizedException", INCORRECT)
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as again:
        client.respond(verifier)
    assert error_of(again)[1] == "Invalid session for the user, session can only be used once."
    # A new attempt with the right password goes on.
    assert SrpClient(cognito, cognito_emulator, email).password_step()["ChallengeName"] == "CUSTOM_CHALLENGE"


def tampered_signature(claim: dict) -> dict:
    signature = bytearray(base64.b64decode(claim["PASSWORD_CLAIM_SIGNATURE"]))
    signature[0] ^= 1
    return {**claim, "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(bytes(signature)).decode()}


def other_secret_block(claim: dict) -> dict:
    return {**claim, "PASSWORD_CLAIM_SECRET_BLOCK": base64.b64encode(secrets.token_bytes(96)).decode()}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(tampered_signature, id="signature"),
        pytest.param(lambda claim: {**claim, "PASSWORD_CLAIM_SIGNATURE": "not base64!"}, id="signature-not-base64"),
        pytest.param(other_secret_block, id="secret-block"),
        pytest.param(lambda claim: {**claim, "PASSWORD_CLAIM_SECRET_BLOCK": "%%%"}, id="secret-block-not-base64"),
    ],
)
def test_a_tampered_claim_is_incorrect(password_mfa, cognito, cognito_emulator, email, tamper):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        client.respond(verifier, tamper(client.claim(verifier)))

    assert error_of(refused)[1] == INCORRECT


def test_the_secret_block_of_another_session_is_incorrect(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    first, second = SrpClient(cognito, cognito_emulator, email), SrpClient(cognito, cognito_emulator, email)
    one, other = first.start(), second.start()
    # A valid claim for the other session, sent with this one's Session.
    claim = second.claim(other)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
        first.respond(one, claim)


@pytest.mark.parametrize("minutes", [-10, 10])
def test_a_timestamp_far_from_now_is_incorrect(password_mfa, cognito, cognito_emulator, email, minutes):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
        client.respond(verifier, client.claim(verifier, timestamp=utc_timestamp(moment)))


def test_a_timestamp_a_little_off_is_accepted(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=2)

    assert client.respond(verifier, client.claim(verifier, timestamp=utc_timestamp(moment)))["ChallengeName"] == (
        "CUSTOM_CHALLENGE"
    )


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("Tue Jan 07 09:05:03 UTC 2025", id="day-with-a-leading-zero"),
        pytest.param("2025-01-07T09:05:03Z", id="iso-8601"),
        pytest.param("Tue Jan 7 09:05:03 GMT 2025", id="not-utc"),
        pytest.param("mar. janv. 7 09:05:03 UTC 2025", id="not-english"),
        pytest.param("Tue Feb 30 09:05:03 UTC 2025", id="no-such-day"),
    ],
)
def test_a_malformed_timestamp_is_an_invalid_parameter_and_keeps_the_session(
    password_mfa, cognito, cognito_emulator, email, timestamp
):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()

    with pytest.raises(cognito.exceptions.InvalidParameterException) as refused:
        client.respond(verifier, client.claim(verifier, timestamp=timestamp))

    assert error_of(refused)[1] == "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
    assert client.respond(verifier)["ChallengeName"] == "CUSTOM_CHALLENGE"


@pytest.mark.parametrize("missing", ["USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"])
def test_a_claim_missing_a_parameter_is_refused_without_spending_the_session(
    password_mfa, cognito, cognito_emulator, email, missing
):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()
    claim = client.claim(verifier)
    del claim[missing]

    with pytest.raises(cognito.exceptions.InvalidParameterException, match=f"Missing required parameter {missing}"):
        client.respond(verifier, claim)

    assert client.respond(verifier)["ChallengeName"] == "CUSTOM_CHALLENGE"


def test_an_expired_password_session_is_refused(password_mfa, make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    client = SrpClient(cognito, emulator, email)
    verifier = client.start()

    clock.advance(3 * 60 + 1)

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        client.respond(verifier, client.claim(verifier, timestamp=utc_timestamp(_at(clock))))
    assert error_of(refused)[1] == "Invalid session for the user, session is expired."


def test_a_password_claim_for_a_custom_challenge_session_is_refused(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    client = SrpClient(cognito, cognito_emulator, email)
    verifier = client.start()
    claim = client.claim(verifier)
    challenge = client.respond(verifier, claim)

    with pytest.raises(
        cognito.exceptions.InvalidParameterException, match="The session expects a CUSTOM_CHALLENGE response."
    ):
        client.respond(challenge, claim)


def _at(clock: FakeClock) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(clock(), datetime.timezone.utc)


def wrong_password(client_factory, clock) -> tuple[str, str]:
    client = client_factory()
    verifier = client.start()
    with pytest.raises(Exception) as refused:
        client.respond(verifier, client.claim(verifier, timestamp=utc_timestamp(_at(clock)), password=OTHER_PASSWORD))
    return error_of(refused)


def right_password(client_factory, clock) -> dict:
    client = client_factory()
    verifier = client.start()
    return client.respond(verifier, client.claim(verifier, timestamp=utc_timestamp(_at(clock))))


def test_five_wrong_passwords_lock_the_password_for_the_lockout_period(password_mfa, make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock, password_lockout_seconds=30)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)

    def attempt():
        return SrpClient(cognito, emulator, email)

    assert [wrong_password(attempt, clock) for _ in range(5)] == [("NotAuthorizedException", INCORRECT)] * 5
    # Locked: even the right password is refused, and the attempt is not counted.
    for _ in range(3):
        with pytest.raises(cognito.exceptions.NotAuthorizedException) as locked:
            right_password(attempt, clock)
        assert error_of(locked) == ("NotAuthorizedException", LOCKED)
        clock.advance(9)

    clock.advance(4)  # 31 seconds after the fifth failure
    assert right_password(attempt, clock)["ChallengeName"] == "CUSTOM_CHALLENGE"
    # The success reset the count: four more wrong passwords lock nothing.
    for _ in range(4):
        assert wrong_password(attempt, clock)[1] == INCORRECT
    assert right_password(attempt, clock)["ChallengeName"] == "CUSTOM_CHALLENGE"


def test_each_failure_after_the_fifth_locks_again(password_mfa, make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock, password_lockout_seconds=30)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)

    def attempt():
        return SrpClient(cognito, emulator, email)

    for _ in range(5):
        wrong_password(attempt, clock)
    clock.advance(31)

    assert wrong_password(attempt, clock)[1] == INCORRECT
    assert wrong_password(attempt, clock)[1] == LOCKED


def test_failures_are_forgotten_after_fifteen_quiet_minutes(password_mfa, make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)

    def attempt():
        return SrpClient(cognito, emulator, email)

    for _ in range(4):
        wrong_password(attempt, clock)
    clock.advance(15 * 60 + 1)
    for _ in range(4):
        assert wrong_password(attempt, clock)[1] == INCORRECT

    assert right_password(attempt, clock)["ChallengeName"] == "CUSTOM_CHALLENGE"


def test_the_lockout_is_per_user(password_mfa, make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    sign_up_with_password(cognito, emulator, "other-" + email)

    for _ in range(5):
        wrong_password(lambda: SrpClient(cognito, emulator, email), clock)

    assert right_password(lambda: SrpClient(cognito, emulator, "other-" + email), clock)["ChallengeName"] == (
        "CUSTOM_CHALLENGE"
    )


def test_an_unknown_user_gets_a_same_looking_challenge_that_no_password_passes(
    password_mfa, cognito, cognito_emulator, email
):
    first = SrpClient(cognito, cognito_emulator, email).start()
    second_client = SrpClient(cognito, cognito_emulator, email)
    second = second_client.start()

    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(first["ChallengeParameters"]) == {"SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"}
    # The same stand-in user and salt each time, as a real user would have.
    assert UUID.match(first["ChallengeParameters"]["USER_ID_FOR_SRP"])
    for name in ("SALT", "USERNAME", "USER_ID_FOR_SRP"):
        assert first["ChallengeParameters"][name] == second["ChallengeParameters"][name]
    assert first["ChallengeParameters"]["SRP_B"] != second["ChallengeParameters"]["SRP_B"]
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
        second_client.respond(second)


def test_an_unknown_user_under_legacy_errors_is_not_found(password_mfa, make_emulator, email):
    emulator = make_emulator(prevent_user_existence_errors="LEGACY")
    cognito = cognito_client(emulator)

    with pytest.raises(cognito.exceptions.UserNotFoundException, match="User does not exist."):
        SrpClient(cognito, emulator, email).start()


def test_sign_up_keeps_a_verifier_never_the_password(password_mfa, tmp_path, fake_triggers, email):
    path = tmp_path / "cognito.sqlite3"
    config = CognitoEmulatorConfig(state_path=str(path), triggers=fake_triggers.mapping())
    with CognitoEmulator(config) as emulator:
        cognito = cognito_client(emulator)
        sub = sign_up_with_password(cognito, emulator, email)
        other = sign_up_with_password(cognito, emulator, "other-" + email)
        port = int(emulator.origin.rsplit(":", 1)[1])

    with sqlite3.connect(path) as db:
        rows = dict((row[0], row[1:]) for row in db.execute("SELECT username, salt, verifier FROM passwords"))
        dump = "\n".join(db.iterdump())
    assert PASSWORD not in dump and PASSWORD.encode().hex() not in dump
    assert set(rows) == {sub, other}
    (salt, verifier), (other_salt, other_verifier) = rows[sub], rows[other]
    assert 15 <= len(bytes.fromhex(salt)) <= 17  # 16 random bytes, as the clients hash them
    assert salt != other_salt and verifier != other_verifier  # same password, different salts

    # The verifier survives a restart: the password still signs in.
    with CognitoEmulator(config, port=port) as emulator:
        cognito = cognito_client(emulator)
        assert SrpClient(cognito, emulator, email).password_step()["ChallengeName"] == "CUSTOM_CHALLENGE"


def test_a_user_from_a_state_file_without_a_verifier_fails_srp_and_still_signs_in_without_it(
    password_mfa, monkeypatch, tmp_path, fake_triggers, email
):
    path = tmp_path / "cognito.sqlite3"
    config = CognitoEmulatorConfig(state_path=str(path), triggers=fake_triggers.mapping())
    with CognitoEmulator(config) as emulator:
        sub = sign_up_with_password(cognito_client(emulator), emulator, email)
        port = int(emulator.origin.rsplit(":", 1)[1])
    # What an earlier version wrote: no passwords table, sessions without the SRP columns.
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE passwords")
        db.execute("DROP INDEX sessions_by_secret_block")
        db.execute("ALTER TABLE sessions DROP COLUMN srp")
        db.execute("ALTER TABLE sessions DROP COLUMN secret_block_digest")

    with CognitoEmulator(config, port=port) as emulator:
        cognito = cognito_client(emulator)
        client = SrpClient(cognito, emulator, email)
        verifier = client.start()
        assert verifier["ChallengeParameters"]["USER_ID_FOR_SRP"] == sub
        with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
            client.respond(verifier)

        monkeypatch.setenv("SIGN_IN_FLOW", "passwordless")
        challenge = start(cognito, emulator, email)
        assert "AuthenticationResult" in answer(cognito, emulator, challenge, answer_for(sub, 1))


def test_srp_with_a_client_secret_needs_the_secret_hash(password_mfa, make_emulator, email):
    emulator = make_emulator(with_client_secret=True)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    client = SrpClient(cognito, emulator, email)

    verifier = client.start()  # AWSSRP adds SECRET_HASH to both calls
    claim = client.claim(verifier)
    without = {key: value for key, value in claim.items() if key != "SECRET_HASH"}

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="SECRET_HASH was not received"):
        client.respond(verifier, without)
    assert client.respond(verifier, claim)["ChallengeName"] == "CUSTOM_CHALLENGE"
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="SECRET_HASH was not received"):
        cognito.initiate_auth(
            ClientId=emulator.client_id, AuthFlow="CUSTOM_AUTH",
            AuthParameters={k: v for k, v in client.auth_parameters().items() if k != "SECRET_HASH"},
        )


def test_passwordless_mode_refuses_a_sign_in_that_starts_with_srp(triggers, monkeypatch, cognito, cognito_emulator, email):
    import lambdas.define_auth_challenge

    monkeypatch.delenv("SIGN_IN_FLOW", raising=False)
    triggers.replace("DefineAuthChallenge", lambdas.define_auth_challenge.handler)
    sign_up_with_password(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
        SrpClient(cognito, cognito_emulator, email).start()


def test_password_mfa_mode_never_skips_the_password(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
        start(cognito, cognito_emulator, email)  # CUSTOM_AUTH without SRP_A


def test_password_verifier_without_an_srp_start_is_a_bad_lambda_answer(triggers, cognito, cognito_emulator, email):
    def asks_for_the_password(event, context):
        event["response"].update(challengeName="PASSWORD_VERIFIER", issueTokens=False, failAuthentication=False)
        return event

    triggers.replace("DefineAuthChallenge", asks_for_the_password)
    sign_up_with_password(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.InvalidLambdaResponseException, match="only answers the SRP_A"):
        start(cognito, cognito_emulator, email)


@pytest.mark.parametrize(
    "parameters, message",
    [
        pytest.param({"CHALLENGE_NAME": "SRP_A"}, "Missing required parameter SRP_A", id="no-srp-a"),
        pytest.param({"CHALLENGE_NAME": "SRP_A", "SRP_A": "xyz"}, "SRP_A must be a hexadecimal number.", id="not-hex"),
        pytest.param({"CHALLENGE_NAME": "SRP_A", "SRP_A": "0"}, "SRP_A is not a valid SRP value.", id="zero"),
        pytest.param({"SRP_A": ""}, "Missing required parameter SRP_A", id="empty"),
        pytest.param({"CHALLENGE_NAME": "PASSWORD_VERIFIER", "SRP_A": "ab"}, "CHALLENGE_NAME PASSWORD_VERIFIER",
                     id="other-challenge-name"),
    ],
)
def test_a_malformed_srp_start_is_an_invalid_parameter(password_mfa, cognito, cognito_emulator, email, parameters, message):
    with pytest.raises(cognito.exceptions.InvalidParameterException, match=message):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email, **parameters}
        )


@pytest.mark.parametrize("multiple", [1, 2])
def test_an_a_that_is_a_multiple_of_n_is_refused(password_mfa, cognito, cognito_emulator, email, multiple):
    from emulators.cognito.srp import COGNITO

    with pytest.raises(cognito.exceptions.InvalidParameterException, match="SRP_A is not a valid SRP value."):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": email, "CHALLENGE_NAME": "SRP_A", "SRP_A": format(multiple * COGNITO.N, "x")},
        )


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_the_password_works_only_through_custom_auth_for_the_default_client(
    password_mfa, cognito, cognito_emulator, email, flow
):
    sign_up_with_password(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.InvalidParameterException, match=f"{flow} flow not enabled for this client"):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow=flow,
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SRP_A": "ab"},
        )
    admin = cognito_client(cognito_emulator, signed=True)
    described = admin.describe_user_pool_client(
        UserPoolId=cognito_emulator.user_pool_id, ClientId=cognito_emulator.client_id
    )["UserPoolClient"]
    assert described["ExplicitAuthFlows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    # ALLOW_CUSTOM_AUTH is what lets the SRP password step run, and only there.
    assert SrpClient(cognito, cognito_emulator, email).password_step()["ChallengeName"] == "CUSTOM_CHALLENGE"
