"""The client side of Cognito's SRP, from pycognito (``AWSSRP``), driving a
``CUSTOM_AUTH`` that starts with ``SRP_A`` as Amplify's ``CUSTOM_WITH_SRP``
does: InitiateAuth with ``CHALLENGE_NAME: SRP_A``, then the
``PASSWORD_VERIFIER`` claim. The claim can be built with any TIMESTAMP, so
tests can send a stale or malformed one."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac

from pycognito.aws_srp import AWSSRP, hex_to_long

PASSWORD = "Corr3ct-Horse-Battery!"
OTHER_PASSWORD = "Wr0ng-Horse-Battery!"


def utc_timestamp(moment: datetime.datetime | None = None) -> str:
    """TIMESTAMP as pycognito writes it (``EEE MMM d HH:mm:ss UTC yyyy``)."""
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return AWSSRP.get_cognito_formatted_timestamp(moment)


class SrpClient:
    """One sign-in attempt: its own random ``a``, as each AWSSRP has."""

    def __init__(self, cognito, emulator, username: str, password: str = PASSWORD):
        self.cognito = cognito
        self.emulator = emulator
        self.username = username
        self.password = password
        self.aws = AWSSRP(
            username=username, password=password, pool_id=emulator.user_pool_id,
            client_id=emulator.client_id, client=cognito, client_secret=emulator.client_secret,
        )

    def auth_parameters(self) -> dict:
        return {**self.aws.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}

    def start(self) -> dict:
        return self.cognito.initiate_auth(
            ClientId=self.emulator.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=self.auth_parameters()
        )

    def claim(self, challenge: dict, timestamp: str | None = None, password: str | None = None) -> dict:
        """The PASSWORD_VERIFIER ChallengeResponses, as AWSSRP.process_challenge
        builds them, with the given TIMESTAMP (default: now)."""
        parameters = challenge["ChallengeParameters"]
        if timestamp is None and password is None:
            return self.aws.process_challenge(parameters, {"USERNAME": self.username})
        timestamp = timestamp or utc_timestamp()
        user_id = parameters["USER_ID_FOR_SRP"]
        key = self.aws.get_password_authentication_key(
            user_id, password or self.password, hex_to_long(parameters["SRP_B"]), parameters["SALT"]
        )
        message = (
            self.emulator.user_pool_id.split("_")[1].encode() + user_id.encode()
            + base64.b64decode(parameters["SECRET_BLOCK"]) + timestamp.encode()
        )
        responses = {
            "TIMESTAMP": timestamp,
            "USERNAME": parameters["USERNAME"],
            "PASSWORD_CLAIM_SECRET_BLOCK": parameters["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode(),
        }
        if self.emulator.client_secret:
            responses["SECRET_HASH"] = self.aws.get_secret_hash(
                parameters["USERNAME"], self.emulator.client_id, self.emulator.client_secret
            )
        return responses

    def respond(self, challenge: dict, responses: dict | None = None, with_session: bool = True, **extra) -> dict:
        if with_session:
            extra["Session"] = challenge["Session"]
        return self.cognito.respond_to_auth_challenge(
            ClientId=self.emulator.client_id, ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=responses if responses is not None else self.claim(challenge), **extra,
        )

    def password_step(self, **extra) -> dict:
        """InitiateAuth and the right claim: what follows the password."""
        return self.respond(self.start(), **extra)


def sign_up_with_password(cognito, emulator, email: str, password: str = PASSWORD) -> str:
    extra = {}
    if emulator.client_secret:
        extra["SecretHash"] = AWSSRP.get_secret_hash(email, emulator.client_id, emulator.client_secret)
    return cognito.sign_up(
        ClientId=emulator.client_id, Username=email, Password=password,
        UserAttributes=[{"Name": "email", "Value": email}], **extra,
    )["UserSub"]
