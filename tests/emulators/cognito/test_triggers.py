"""The events each trigger receives, and how trigger failures reach the client."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from .helpers import PASSWORD, FakeTriggers, answer, answer_for, cognito_client, sign_up, start

ENVELOPE_KEYS = {"version", "triggerSource", "region", "userPoolId", "userName", "callerContext", "request", "response"}


def assert_envelope(event: dict, emulator, trigger_source: str, username: str) -> None:
    assert set(event) == ENVELOPE_KEYS
    assert event["version"] == "1"
    assert event["triggerSource"] == trigger_source
    assert event["region"] == emulator.region
    assert event["userPoolId"] == emulator.user_pool_id
    assert event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": emulator.client_id}


def test_each_trigger_receives_the_documented_event(cognito, cognito_emulator, triggers, email):
    sub = sign_up(
        cognito, cognito_emulator, email,
        UserAttributes=[{"Name": "name", "Value": "Ada"}],
        ValidationData=[{"Name": "captcha", "Value": "ok"}],
        ClientMetadata={"source": "signup"},
    )
    challenge = start(cognito, cognito_emulator, email)
    retry = answer(cognito, cognito_emulator, challenge, "wrong", ClientMetadata={"step": "1"})
    answer(cognito, cognito_emulator, retry, answer_for(sub, 2))

    [pre_sign_up] = triggers.events_for(sub, "PreSignUp_SignUp")
    assert_envelope(pre_sign_up, cognito_emulator, "PreSignUp_SignUp", sub)
    assert pre_sign_up["request"] == {
        "userAttributes": {"name": "Ada", "email": email},
        "validationData": {"captcha": "ok"},
        "clientMetadata": {"source": "signup"},
    }
    assert pre_sign_up["response"] == {"autoConfirmUser": None, "autoVerifyEmail": None, "autoVerifyPhone": None}

    attributes = {
        "sub": sub, "name": "Ada", "email": email, "email_verified": "true", "cognito:user_status": "CONFIRMED",
    }
    auth_events = [e for e in triggers.events_for(sub) if e["triggerSource"] != "PreSignUp_SignUp"]
    assert [e["triggerSource"].split("_")[0] for e in auth_events] == [
        "DefineAuthChallenge", "CreateAuthChallenge",
        "VerifyAuthChallengeResponse", "DefineAuthChallenge", "CreateAuthChallenge",
        "VerifyAuthChallengeResponse", "DefineAuthChallenge",
    ]
    for event in auth_events:
        assert_envelope(event, cognito_emulator, event["triggerSource"], sub)
        assert event["triggerSource"].endswith("_Authentication")
        assert event["request"]["userAttributes"] == attributes
        assert event["request"]["userNotFound"] is False
        assert all(value is None for value in event["response"].values())
    define_1, create_1, verify_1, define_2, create_2, verify_2, define_3 = auth_events

    # From InitiateAuth: no clientMetadata.
    assert define_1["request"] == {"userAttributes": attributes, "session": [], "userNotFound": False}
    assert define_1["response"] == {"challengeName": None, "issueTokens": None, "failAuthentication": None}
    assert create_1["request"] == {
        "userAttributes": attributes, "challengeName": "CUSTOM_CHALLENGE", "session": [], "userNotFound": False,
    }
    assert create_1["response"] == {
        "publicChallengeParameters": None, "privateChallengeParameters": None, "challengeMetadata": None,
    }
    # From RespondToAuthChallenge: its ClientMetadata, the private parameters, the history.
    assert verify_1["request"] == {
        "userAttributes": attributes,
        "privateChallengeParameters": {"answer": answer_for(sub, 1)},
        "challengeAnswer": "wrong",
        "userNotFound": False,
        "clientMetadata": {"step": "1"},
    }
    assert verify_1["response"] == {"answerCorrect": None}
    first_round = {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "ROUND-1"}
    assert define_2["request"] == {
        "userAttributes": attributes, "session": [first_round], "userNotFound": False, "clientMetadata": {"step": "1"},
    }
    assert create_2["request"]["session"] == [first_round]
    assert create_2["request"]["clientMetadata"] == {"step": "1"}
    assert "clientMetadata" not in verify_2["request"], "only the ClientMetadata of its own call"
    assert verify_2["request"]["privateChallengeParameters"] == {"answer": answer_for(sub, 2)}
    assert define_3["request"]["session"] == [
        first_round,
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "ROUND-2"},
    ]


def test_triggers_get_a_lambda_context(cognito, cognito_emulator, triggers, email):
    seen = []

    def pre_sign_up(event, context):
        seen.append((context.aws_request_id, context.function_name, context.get_remaining_time_in_millis()))
        return triggers.pre_sign_up(event, context)

    triggers.replace("PreSignUp", pre_sign_up)
    sign_up(cognito, cognito_emulator, email)
    sign_up(cognito, cognito_emulator, f"second-{email}")

    (first_id, name, remaining), (second_id, _, _) = seen
    assert name == "local-cognito-PreSignUp"
    assert first_id != second_id
    assert 0 < remaining <= 5000


def test_challenge_metadata_and_private_parameters_never_reach_the_client(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    raw = requests.post(
        cognito_emulator.endpoint_url,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
        data=json.dumps(
            {"ClientId": cognito_emulator.client_id, "AuthFlow": "CUSTOM_AUTH", "AuthParameters": {"USERNAME": email}}
        ),
        timeout=5,
    )

    assert raw.status_code == 200
    assert raw.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert set(raw.json()) == {"ChallengeName", "Session", "ChallengeParameters"}
    assert "ROUND-1" not in raw.text
    assert answer_for(sub, 1) not in raw.text


def test_a_trigger_that_raises_fails_the_call_with_its_message(cognito, cognito_emulator, triggers, email):
    def boom(event, context):
        raise ValueError("boom")

    triggers.replace("PreSignUp", boom)

    with pytest.raises(cognito.exceptions.UserLambdaValidationException) as failure:
        cognito.sign_up(ClientId=cognito_emulator.client_id, Username=email, Password=PASSWORD)

    assert failure.value.response["Error"]["Message"] == "PreSignUp failed with error boom."
    with pytest.raises(cognito_client(cognito_emulator, signed=True).exceptions.UserNotFoundException):
        cognito_client(cognito_emulator, signed=True).admin_get_user(
            UserPoolId=cognito_emulator.user_pool_id, Username=email
        )


@pytest.mark.parametrize("trigger", ["DefineAuthChallenge", "CreateAuthChallenge"])
def test_a_failing_auth_trigger_fails_initiate_auth(cognito, cognito_emulator, triggers, email, trigger):
    sign_up(cognito, cognito_emulator, email)

    def broken(event, context):
        raise RuntimeError("Authsignal is down")

    triggers.replace(trigger, broken)

    with pytest.raises(
        cognito.exceptions.UserLambdaValidationException, match=f"^.*: {trigger} failed with error Authsignal is down.$"
    ):
        start(cognito, cognito_emulator, email)


def test_a_failing_verify_trigger_fails_the_answer(cognito, cognito_emulator, triggers, email):
    sub = sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email)

    def broken(event, context):
        raise TimeoutError("validate timed out")

    triggers.replace("VerifyAuthChallengeResponse", broken)

    with pytest.raises(
        cognito.exceptions.UserLambdaValidationException,
        match="VerifyAuthChallengeResponse failed with error validate timed out.",
    ):
        answer(cognito, cognito_emulator, challenge, answer_for(sub, 1))


def test_a_trigger_that_overruns_its_time_is_a_socket_timeout(make_emulator, fake_triggers, email):
    release = threading.Event()

    def slow(event, context):
        release.wait(5)
        return event

    emulator = make_emulator(
        trigger_timeout_seconds=0.3,
        triggers={**fake_triggers.mapping(), "PreSignUp": slow},
    )
    client = cognito_client(emulator)
    started = time.monotonic()
    try:
        with pytest.raises(client.exceptions.UnexpectedLambdaException) as failure:
            sign_up(client, emulator, email)
    finally:
        release.set()

    assert time.monotonic() - started < 2
    assert failure.value.response["Error"]["Message"] == (
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )


def test_a_trigger_within_its_time_succeeds(make_emulator, fake_triggers, email):
    def a_little_slow(event, context):
        time.sleep(0.05)
        return FakeTriggers.pre_sign_up(event, context)

    emulator = make_emulator(
        trigger_timeout_seconds=1, triggers={**fake_triggers.mapping(), "PreSignUp": a_little_slow}
    )

    assert sign_up(cognito_client(emulator), emulator, email)


def _returning(value):
    return lambda event, context: value(event) if callable(value) else value


def _with_response(**response):
    return _returning(lambda event: {**event, "response": {**event["response"], **response}})


@pytest.mark.parametrize(
    "trigger, handler",
    [
        ("PreSignUp", _returning(None)),
        ("PreSignUp", _returning("yes")),
        ("PreSignUp", _returning({"response": "yes"})),
        ("PreSignUp", _with_response(autoConfirmUser="true")),
        ("PreSignUp", _returning(lambda event: {**event, "response": {"autoConfirmUser": {1, 2}}})),
        ("DefineAuthChallenge", _with_response(challengeName=None, issueTokens=False, failAuthentication=False)),
        ("DefineAuthChallenge", _with_response(challengeName="NOT_A_CHALLENGE")),
        ("DefineAuthChallenge", _with_response(issueTokens=1)),
        ("CreateAuthChallenge", _with_response(publicChallengeParameters={"url": 42})),
        ("CreateAuthChallenge", _with_response(privateChallengeParameters=["answer"])),
        ("CreateAuthChallenge", _with_response(challengeMetadata={"round": 1})),
        ("VerifyAuthChallengeResponse", _with_response(answerCorrect="true")),
    ],
)
def test_a_malformed_trigger_response_is_an_invalid_lambda_response(
    cognito, cognito_emulator, triggers, email, trigger, handler
):
    if trigger != "PreSignUp":
        sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email) if trigger == "VerifyAuthChallengeResponse" else None
    triggers.replace(trigger, handler)

    with pytest.raises(cognito.exceptions.InvalidLambdaResponseException, match="Unrecognizable lambda output"):
        if trigger == "PreSignUp":
            sign_up(cognito, cognito_emulator, email)
        elif challenge is None:
            start(cognito, cognito_emulator, email)
        else:
            answer(cognito, cognito_emulator, challenge, "anything")


def test_a_trigger_named_by_module_path_is_imported_on_first_use(make_emulator, fake_triggers, email):
    emulator = make_emulator(
        triggers={**fake_triggers.mapping(), "PreSignUp": "tests.emulators.cognito.helpers:auto_confirm"}
    )
    client = cognito_client(emulator)

    assert client.sign_up(ClientId=emulator.client_id, Username=email, Password=PASSWORD)["UserConfirmed"] is True


def test_a_trigger_path_naming_no_function_fails_like_a_broken_lambda(make_emulator, fake_triggers, email):
    emulator = make_emulator(
        triggers={**fake_triggers.mapping(), "PreSignUp": "tests.emulators.cognito.helpers:no_such_handler"}
    )
    client = cognito_client(emulator)

    with pytest.raises(
        client.exceptions.UserLambdaValidationException,
        match="PreSignUp failed with error Handler 'no_such_handler' missing on module",
    ):
        sign_up(client, emulator, email)


def test_a_trigger_module_that_cannot_be_imported_fails_like_a_broken_lambda(make_emulator, fake_triggers, email):
    emulator = make_emulator(
        triggers={**fake_triggers.mapping(), "PreSignUp": "tests.emulators.cognito.no_such_module:handler"}
    )
    client = cognito_client(emulator)

    with pytest.raises(
        client.exceptions.UserLambdaValidationException,
        match="PreSignUp failed with error Unable to import module 'tests.emulators.cognito.no_such_module'",
    ):
        sign_up(client, emulator, email)


def test_without_a_pre_sign_up_trigger_users_stay_unconfirmed(make_emulator, fake_triggers, email):
    mapping = fake_triggers.mapping()
    del mapping["PreSignUp"]
    emulator = make_emulator(triggers=mapping)

    response = cognito_client(emulator).sign_up(ClientId=emulator.client_id, Username=email, Password=PASSWORD)

    assert response["UserConfirmed"] is False


def test_custom_auth_needs_the_define_trigger(make_emulator, email):
    emulator = make_emulator(triggers={})
    client = cognito_client(emulator)

    with pytest.raises(
        client.exceptions.InvalidParameterException, match="Custom auth lambda trigger is not configured"
    ):
        start(client, emulator, email)
