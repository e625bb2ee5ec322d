"""The whole CUSTOM_AUTH flow with boto3, the project's four lambdas as the
pool's triggers, and the local Authsignal; the answer is a token won through
the Authsignal server's own email OTP flow."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from pycognito import Cognito

from tests.emulators.authsignal.helpers import ChallengeDriver, complete_challenge, latest_code, wrong_code

from .helpers import cognito_client


@pytest.fixture
def cognito(local_cognito):
    return cognito_client(local_cognito)


def start(cognito, emulator, email):
    cognito.sign_up(
        ClientId=emulator.client_id, Username=email, Password="Dummy-password-1!",
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    return cognito.initiate_auth(ClientId=emulator.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email})


def respond(cognito, emulator, challenge, answer):
    return cognito.respond_to_auth_challenge(
        ClientId=emulator.client_id, ChallengeName="CUSTOM_CHALLENGE", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": challenge["ChallengeParameters"]["USERNAME"], "ANSWER": answer},
    )


def track_of(challenge) -> dict:
    return {"token": parse_qs(urlsplit(challenge["ChallengeParameters"]["url"]).query)["token"][0]}


def test_sign_in_with_a_token_from_the_authsignal_flow(cognito, local_cognito, authsignal_emulator, email):
    challenge = start(cognito, local_cognito, email)

    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert challenge["ChallengeParameters"]["url"].startswith(f"{authsignal_emulator.origin}/challenge?token=")
    token = complete_challenge(authsignal_emulator, track_of(challenge), email)
    result = respond(cognito, local_cognito, challenge, token)["AuthenticationResult"]

    verifier = Cognito(
        local_cognito.user_pool_id, local_cognito.client_id, user_pool_region=local_cognito.region,
        id_token=result["IdToken"], access_token=result["AccessToken"],
        boto3_client_kwargs={"endpoint_url": local_cognito.endpoint_url},
    )
    verifier.verify_tokens()
    assert verifier.id_claims["email"] == email
    assert verifier.id_claims["email_verified"] is True  # the pre sign-up trigger verified it
    assert verifier.access_claims["username"] == challenge["ChallengeParameters"]["USERNAME"]


def test_a_wrong_answer_then_the_right_one(cognito, local_cognito, authsignal_emulator, email):
    first = start(cognito, local_cognito, email)

    second = respond(cognito, local_cognito, first, track_of(first)["token"])  # pending: not yet won
    token = complete_challenge(authsignal_emulator, track_of(second), email)
    result = respond(cognito, local_cognito, second, token)

    assert second["ChallengeName"] == "CUSTOM_CHALLENGE" and second["Session"] != first["Session"]
    assert "AuthenticationResult" in result


def test_a_failed_authsignal_challenge_three_times_fails_the_sign_in(cognito, local_cognito, authsignal_emulator, email):
    challenge = start(cognito, local_cognito, email)
    for round_number in range(3):
        driver = ChallengeDriver(authsignal_emulator, track_of(challenge)["token"])
        driver.send_code()
        bad = wrong_code(latest_code(authsignal_emulator, email))
        for _ in range(5):
            driver.verify(bad)
        if round_number < 2:
            challenge = respond(cognito, local_cognito, challenge, track_of(challenge)["token"])

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        respond(cognito, local_cognito, challenge, track_of(challenge)["token"])


def test_a_token_won_by_another_user_is_refused(cognito, local_cognito, authsignal_emulator, email):
    victim = start(cognito, local_cognito, email)
    attacker_email = "attacker-" + email
    attacker = start(cognito, local_cognito, attacker_email)
    attacker_token = complete_challenge(authsignal_emulator, track_of(attacker), attacker_email)

    retry = respond(cognito, local_cognito, victim, attacker_token)

    assert "AuthenticationResult" not in retry
    assert retry["ChallengeName"] == "CUSTOM_CHALLENGE"


def test_password_then_the_authsignal_challenge(monkeypatch, cognito, local_cognito, authsignal_emulator, email):
    """SIGN_IN_FLOW=password_mfa (read by the triggers at each call): pycognito's
    SRP client proves the password, then the Authsignal challenge as above."""
    from .srp_client import OTHER_PASSWORD, SrpClient, sign_up_with_password

    monkeypatch.setenv("SIGN_IN_FLOW", "password_mfa")
    sub = sign_up_with_password(cognito, local_cognito, email)
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        cognito.initiate_auth(  # no password: no sign-in
            ClientId=local_cognito.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email}
        )
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        SrpClient(cognito, local_cognito, email, password=OTHER_PASSWORD).password_step()

    challenge = SrpClient(cognito, local_cognito, email).password_step(ClientMetadata={"locale": "en"})

    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert challenge["ChallengeParameters"]["USERNAME"] == sub
    assert challenge["ChallengeParameters"]["url"].startswith(f"{authsignal_emulator.origin}/challenge?token=")
    token = complete_challenge(authsignal_emulator, track_of(challenge), email)
    result = respond(cognito, local_cognito, challenge, token)["AuthenticationResult"]
    assert cognito.get_user(AccessToken=result["AccessToken"])["Username"] == sub


def test_passwordless_mode_refuses_the_password_flow(monkeypatch, cognito, local_cognito, email):
    from .srp_client import SrpClient, sign_up_with_password

    monkeypatch.delenv("SIGN_IN_FLOW", raising=False)
    sign_up_with_password(cognito, local_cognito, email)

    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        SrpClient(cognito, local_cognito, email).start()
