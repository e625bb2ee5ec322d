"""Requests arrive on many threads at once; state changes stay atomic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from .helpers import PASSWORD, answer, answer_for, cognito_client, sign_up, start

WORKERS = 8


def outcomes(calls) -> list[str]:
    """Run the calls at once; each one's result: "ok" or its error code."""

    def run(call):
        try:
            call()
            return "ok"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(WORKERS) as pool:
        return sorted(pool.map(run, calls))


def test_simultaneous_sign_ups_of_one_email_create_one_user(cognito_emulator, email):
    clients = [cognito_client(cognito_emulator) for _ in range(WORKERS)]

    results = outcomes(
        lambda c=c: c.sign_up(ClientId=cognito_emulator.client_id, Username=email, Password=PASSWORD)
        for c in clients
    )

    assert results == ["UsernameExistsException"] * (WORKERS - 1) + ["ok"]


def test_a_session_answered_simultaneously_is_used_once(cognito_emulator, email):
    clients = [cognito_client(cognito_emulator) for _ in range(WORKERS)]
    sub = sign_up(clients[0], cognito_emulator, email)
    challenge = start(clients[0], cognito_emulator, email)

    results = outcomes(
        lambda c=c: answer(c, cognito_emulator, challenge, answer_for(sub, 1)) for c in clients
    )

    assert results == ["NotAuthorizedException"] * (WORKERS - 1) + ["ok"]
