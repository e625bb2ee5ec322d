"""CUSTOM_AUTH when things go wrong: wrong answers, spent or expired sessions,
unknown users, flows the client does not allow, malformed requests."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.clock import FakeClock

from .helpers import answer, answer_for, cognito_client, sign_in, sign_up, start

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_a_wrong_answer_gives_a_new_challenge_with_a_new_session(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    first = start(cognito, cognito_emulator, email)

    second = answer(cognito, cognito_emulator, first, "wrong")

    assert second["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert second["Session"] != first["Session"]
    assert second["ChallengeParameters"] == {"url": f"https://challenge.example/{sub}/2", "USERNAME": sub}
    tokens = answer(cognito, cognito_emulator, second, answer_for(sub, 2))["AuthenticationResult"]
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == sub


def test_three_wrong_answers_fail_the_sign_in(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email)
    challenge = answer(cognito, cognito_emulator, challenge, "wrong 1")
    challenge = answer(cognito, cognito_emulator, challenge, "wrong 2")

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as failure:
        answer(cognito, cognito_emulator, challenge, "wrong 3")

    assert failure.value.response["Error"]["Message"] == "Incorrect username or password."


def test_a_session_can_be_used_once(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email)
    answer(cognito, cognito_emulator, challenge, "wrong")

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as failure:
        answer(cognito, cognito_emulator, challenge, answer_for(sub, 1))

    assert failure.value.response["Error"]["Message"] == "Invalid session for the user, session can only be used once."


def test_an_unknown_session_is_invalid(cognito, cognito_emulator, email):
    sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email)
    forged = {**challenge, "Session": "x" * len(challenge["Session"])}

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="^.*Invalid session for the user.$"):
        answer(cognito, cognito_emulator, forged, "anything")


def test_a_session_is_bound_to_its_user(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    other = sign_up(cognito, cognito_emulator, f"other-{email}")
    challenge = start(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Invalid session for the user."):
        answer(cognito, cognito_emulator, challenge, answer_for(sub, 1), responses={"USERNAME": other})
    # The refused attempt did not spend the session; the email alias is accepted too.
    result = answer(cognito, cognito_emulator, challenge, answer_for(sub, 1), responses={"USERNAME": email})
    assert "AuthenticationResult" in result


def test_a_session_expires_after_the_default_three_minutes(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    client = cognito_client(emulator)
    sub = sign_up(client, emulator, email)
    kept = start(client, emulator, email)
    late = start(client, emulator, email)

    clock.advance(179)
    assert "AuthenticationResult" in answer(client, emulator, kept, answer_for(sub, 1))
    clock.advance(2)
    with pytest.raises(client.exceptions.NotAuthorizedException) as failure:
        answer(client, emulator, late, answer_for(sub, 1))

    assert failure.value.response["Error"]["Message"] == "Invalid session for the user, session is expired."


def test_a_session_expires_after_the_seconds_override(make_emulator, email):
    emulator = make_emulator(auth_session_validity_seconds=0.5)
    client = cognito_client(emulator)
    sub = sign_up(client, emulator, email)
    challenge = start(client, emulator, email)

    time.sleep(0.6)

    with pytest.raises(client.exceptions.NotAuthorizedException, match="session is expired"):
        answer(client, emulator, challenge, answer_for(sub, 1))


def test_unknown_user_with_prevent_user_existence_errors_looks_like_a_known_one(
    cognito, cognito_emulator, triggers, email
):
    sign_up(cognito, cognito_emulator, email)
    known = start(cognito, cognito_emulator, email)
    unknown_email = f"nobody-{email}"

    unknown = start(cognito, cognito_emulator, unknown_email)
    again = start(cognito, cognito_emulator, unknown_email)

    assert unknown["ChallengeName"] == known["ChallengeName"]
    assert len(unknown["Session"]) == len(known["Session"])
    assert set(unknown["ChallengeParameters"]) == set(known["ChallengeParameters"])
    fake_name = unknown["ChallengeParameters"]["USERNAME"]
    assert UUID.match(fake_name) and fake_name == again["ChallengeParameters"]["USERNAME"]
    [define] = triggers.events_for(fake_name, "DefineAuthChallenge_Authentication")[:1]
    assert define["request"]["userNotFound"] is True
    assert define["request"]["userAttributes"] == {
        "sub": fake_name, "email": unknown_email, "email_verified": "true", "cognito:user_status": "CONFIRMED",
    }
    # No answer passes: like wrong answers of a known user, three end the sign-in.
    retry = answer(cognito, cognito_emulator, unknown, answer_for(fake_name, 1))
    assert set(retry) - {"ResponseMetadata"} == {"ChallengeName", "Session", "ChallengeParameters"}
    retry = answer(cognito, cognito_emulator, retry, answer_for(fake_name, 2))
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        answer(cognito, cognito_emulator, retry, answer_for(fake_name, 3))


def test_unknown_user_failed_by_define_gets_the_wrong_password_error(cognito, cognito_emulator, triggers, email):
    def define_failing_unknown_users(event, context):
        if event["request"]["userNotFound"]:
            event["response"].update(issueTokens=False, failAuthentication=True)
            return event
        return triggers.define(event, context)

    triggers.replace("DefineAuthChallenge", define_failing_unknown_users)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        start(cognito, cognito_emulator, f"nobody-{email}")


def test_unknown_user_with_legacy_errors_is_user_not_found(make_emulator, triggers, email):
    emulator = make_emulator(prevent_user_existence_errors="LEGACY")
    client = cognito_client(emulator)
    before = len(triggers.events)

    with pytest.raises(client.exceptions.UserNotFoundException, match="User does not exist."):
        start(client, emulator, email)

    assert len(triggers.events) == before, "no trigger runs for an unknown user under LEGACY"


def test_a_flow_the_client_does_not_allow_is_refused(make_emulator, email):
    emulator = make_emulator(explicit_auth_flows=("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"))
    client = cognito_client(emulator)

    with pytest.raises(
        client.exceptions.InvalidParameterException, match="CUSTOM_AUTH flow not enabled for this client"
    ):
        start(client, emulator, email)


def test_refresh_is_refused_when_the_client_does_not_allow_it(make_emulator, email):
    emulator = make_emulator(explicit_auth_flows=("ALLOW_CUSTOM_AUTH",))
    client = cognito_client(emulator)
    sign_up(client, emulator, email)
    tokens = sign_in(client, emulator, email)

    with pytest.raises(
        client.exceptions.InvalidParameterException, match="REFRESH_TOKEN_AUTH flow not enabled for this client"
    ):
        client.initiate_auth(
            ClientId=emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )


def test_admin_flows_are_not_initiate_auth_flows(cognito, cognito_emulator, email):
    with pytest.raises(cognito.exceptions.InvalidParameterException, match="Initiate Auth method not supported."):
        cognito.initiate_auth(
            ClientId=cognito_emulator.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": "x"},
        )


def test_an_unknown_client_is_not_found(cognito, email):
    with pytest.raises(
        cognito.exceptions.ResourceNotFoundException, match="User pool client nosuchclient does not exist."
    ):
        cognito.initiate_auth(ClientId="nosuchclient", AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email})


def test_missing_parameters_are_named(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.InvalidParameterException, match="Missing required parameter USERNAME"):
        cognito.initiate_auth(ClientId=cognito_emulator.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={})
    with pytest.raises(cognito.exceptions.InvalidParameterException, match="Missing required parameter ANSWER"):
        cognito.respond_to_auth_challenge(
            ClientId=cognito_emulator.client_id, ChallengeName="CUSTOM_CHALLENGE",
            Session=challenge["Session"], ChallengeResponses={"USERNAME": sub},
        )
    with pytest.raises(cognito.exceptions.InvalidParameterException, match="Missing required parameter REFRESH_TOKEN"):
        cognito.initiate_auth(ClientId=cognito_emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={})
    # None of these spent the session.
    assert "AuthenticationResult" in answer(cognito, cognito_emulator, challenge, answer_for(sub, 1))


def test_challenges_other_than_custom_are_not_supported(cognito, cognito_emulator, email):
    sub = sign_up(cognito, cognito_emulator, email)
    challenge = start(cognito, cognito_emulator, email)

    with pytest.raises(
        cognito.exceptions.UnsupportedOperationException, match="SMS_MFA is not supported by the local Cognito"
    ):
        cognito.respond_to_auth_challenge(
            ClientId=cognito_emulator.client_id, ChallengeName="SMS_MFA", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": sub, "SMS_MFA_CODE": "123456"},
        )


def test_an_expired_access_token_is_refused(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock, token_validity_seconds=300)
    client = cognito_client(emulator)
    sign_up(client, emulator, email)
    tokens = sign_in(client, emulator, email)
    assert tokens["ExpiresIn"] == 300

    clock.advance(301)

    with pytest.raises(client.exceptions.NotAuthorizedException, match="Access Token has expired"):
        client.get_user(AccessToken=tokens["AccessToken"])
    refreshed = client.initiate_auth(
        ClientId=emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert client.get_user(AccessToken=refreshed["AccessToken"])


def test_an_expired_refresh_token_is_refused(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    client = cognito_client(emulator)
    sign_up(client, emulator, email)
    tokens = sign_in(client, emulator, email)

    clock.advance(30 * 24 * 3600 + 1)

    with pytest.raises(client.exceptions.NotAuthorizedException, match="Refresh Token has expired"):
        client.initiate_auth(
            ClientId=emulator.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
