"""Test doubles of the four triggers, and small helpers for driving the local
Cognito through boto3 as an app would."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import threading
from typing import Callable

import boto3
from botocore import UNSIGNED
from botocore.config import Config

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
PASSWORD = "Local-Passw0rd!"
MAX_WRONG_ANSWERS = 3
#: An ``Authorization`` header in the SigV4 form botocore writes, for requests
#: made without boto3: the local Cognito requires one on admin operations and
#: never checks the signature.
SIGV4_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/cognito-idp/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)


class FakeTriggers:
    """Behave like the project's lambdas, minus Authsignal: auto-confirm;
    ask for ``CUSTOM_CHALLENGE``, issue tokens after a right answer, fail
    after three wrong ones; put a ``url`` in the public parameters and the
    answer in the private ones; compare the answer. An unknown user
    (``userNotFound``) gets a plausible challenge that no answer passes.

    Every event is recorded as received; a test may :meth:`replace` a
    trigger for its own duration (see the ``triggers`` fixture)."""

    def __init__(self):
        self.events: list[dict] = []
        self._replacements: dict[str, Callable] = {}
        self._lock = threading.Lock()

    def mapping(self) -> dict[str, Callable]:
        return {
            "PreSignUp": self._entry("PreSignUp", self.pre_sign_up),
            "DefineAuthChallenge": self._entry("DefineAuthChallenge", self.define),
            "CreateAuthChallenge": self._entry("CreateAuthChallenge", self.create),
            "VerifyAuthChallengeResponse": self._entry("VerifyAuthChallengeResponse", self.verify),
        }

    def replace(self, name: str, handler: Callable) -> None:
        self._replacements[name] = handler

    def reset(self) -> None:
        self._replacements.clear()

    def events_for(self, username: str, trigger_source: str | None = None) -> list[dict]:
        with self._lock:
            return [
                event for event in self.events
                if event["userName"] == username
                and (trigger_source is None or event["triggerSource"] == trigger_source)
            ]

    def _entry(self, name: str, default: Callable) -> Callable:
        def handler(event, context):
            with self._lock:
                self.events.append(copy.deepcopy(event))
            return self._replacements.get(name, default)(event, context)

        return handler

    @staticmethod
    def pre_sign_up(event, context):
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True
        return event

    @staticmethod
    def define(event, context):
        session = event["request"]["session"]
        wrong = sum(1 for item in session if not item["challengeResult"])
        response = event["response"]
        if any(item["challengeName"] != CUSTOM_CHALLENGE for item in session):
            response.update(issueTokens=False, failAuthentication=True)
        elif session and session[-1]["challengeResult"] and not event["request"]["userNotFound"]:
            response.update(issueTokens=True, failAuthentication=False)
        elif wrong >= MAX_WRONG_ANSWERS:
            response.update(issueTokens=False, failAuthentication=True)
        else:
            response.update(issueTokens=False, failAuthentication=False, challengeName=CUSTOM_CHALLENGE)
        return event

    @staticmethod
    def create(event, context):
        round_number = len(event["request"]["session"]) + 1
        sub = event["request"]["userAttributes"]["sub"]
        event["response"]["publicChallengeParameters"] = {"url": f"https://challenge.example/{sub}/{round_number}"}
        event["response"]["privateChallengeParameters"] = {"answer": answer_for(sub, round_number)}
        event["response"]["challengeMetadata"] = f"ROUND-{round_number}"
        return event

    @staticmethod
    def verify(event, context):
        request = event["request"]
        expected = request["privateChallengeParameters"].get("answer")
        event["response"]["answerCorrect"] = (
            not request["userNotFound"] and request["challengeAnswer"] == expected
        )
        return event


def auto_confirm(event, context):
    """A trigger found by its path, ``tests.emulators.cognito.helpers:auto_confirm``."""
    return FakeTriggers.pre_sign_up(event, context)


def answer_for(sub: str, round_number: int) -> str:
    """The answer the fake Create expects: what the real flow gets from Authsignal."""
    return f"answer-{sub}-{round_number}"


def secret_hash(secret: str, username: str, client_id: str) -> str:
    """Computed here, independently of the emulator, as the AWS docs give it."""
    mac = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def cognito_client(emulator, signed: bool = False, endpoint_url: str | None = None):
    """boto3 as an app uses it: unsigned for the public operations; signed
    with made-up credentials for the admin ones, which need a signature (any
    will do: it is not verified)."""
    settings = {"region_name": emulator.region, "endpoint_url": endpoint_url or emulator.endpoint_url}
    if signed:
        return boto3.client("cognito-idp", aws_access_key_id="local", aws_secret_access_key="local", **settings)
    return boto3.client("cognito-idp", config=Config(signature_version=UNSIGNED), **settings)


def sign_up(client, emulator, email: str, **extra) -> str:
    response = client.sign_up(ClientId=emulator.client_id, Username=email, Password=PASSWORD, **extra)
    return response["UserSub"]


def start(client, emulator, username: str) -> dict:
    return client.initiate_auth(
        ClientId=emulator.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username}
    )


def answer(client, emulator, challenge: dict, text: str, **extra) -> dict:
    responses = {"USERNAME": challenge["ChallengeParameters"]["USERNAME"], "ANSWER": text}
    responses.update(extra.pop("responses", {}))
    return client.respond_to_auth_challenge(
        ClientId=emulator.client_id, ChallengeName=CUSTOM_CHALLENGE, Session=challenge["Session"],
        ChallengeResponses=responses, **extra,
    )


def sign_in(client, emulator, email: str) -> dict:
    """A full CUSTOM_AUTH sign-in with the right answer; the AuthenticationResult."""
    challenge = start(client, emulator, email)
    sub = challenge["ChallengeParameters"]["USERNAME"]
    return answer(client, emulator, challenge, answer_for(sub, 1))["AuthenticationResult"]
