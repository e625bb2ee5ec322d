"""Trigger events shaped as Cognito sends them (AWS developer guide, and
events logged from real pools): ``response`` keys present and null, attribute
values strings, the user name a UUID when users sign in by email alias."""

from __future__ import annotations

import uuid

POOL_ID = "us-east-1_Ab12Cd34E"
CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"


def _envelope(trigger_source: str, user_name: str, request: dict, response_keys: list[str]) -> dict:
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": "us-east-1",
        "userPoolId": POOL_ID,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT_ID},
        "request": request,
        "response": {key: None for key in response_keys},
    }


def user_attributes(sub: str, email: str | None = "user@example.com") -> dict:
    attributes = {"sub": sub, "cognito:user_status": "CONFIRMED"}
    if email is not None:
        attributes.update({"email_verified": "true", "email": email})
    return attributes


def pre_sign_up(email: str = "user@example.com") -> dict:
    return _envelope(
        "PreSignUp_SignUp",
        str(uuid.uuid4()),
        {"userAttributes": {"email": email}, "validationData": None, "clientMetadata": None},
        ["autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone"],
    )


def step(result: bool | None, name: str = "CUSTOM_CHALLENGE", metadata: str | None = "AUTHSIGNAL_CHALLENGE") -> dict:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": metadata}


def define_auth_challenge(session: list[dict], sub: str | None = None, user_not_found: bool = False) -> dict:
    sub = sub or str(uuid.uuid4())
    return _envelope(
        "DefineAuthChallenge_Authentication",
        sub,
        {"userAttributes": user_attributes(sub), "session": session, "userNotFound": user_not_found},
        ["challengeName", "issueTokens", "failAuthentication"],
    )


def create_auth_challenge(sub: str, email: str | None, session: list[dict] | None = None) -> dict:
    return _envelope(
        "CreateAuthChallenge_Authentication",
        sub,
        {
            "userAttributes": user_attributes(sub, email),
            "challengeName": "CUSTOM_CHALLENGE",
            "session": session or [],
            "userNotFound": False,
        },
        ["publicChallengeParameters", "privateChallengeParameters", "challengeMetadata"],
    )


def verify_auth_challenge_response(sub: str, answer: str, private: dict | None = None) -> dict:
    return _envelope(
        "VerifyAuthChallengeResponse_Authentication",
        sub,
        {
            "userAttributes": user_attributes(sub),
            "privateChallengeParameters": private or {},
            "challengeAnswer": answer,
            "userNotFound": False,
        },
        ["answerCorrect"],
    )
