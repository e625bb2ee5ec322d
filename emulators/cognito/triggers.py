"""Calling the pool's Lambda triggers in-process, with Cognito's event contract.

Each trigger gets the common envelope ``{version "1", triggerSource, region,
userPoolId, userName, callerContext {awsSdkVersion, clientId}, request,
response}`` with the ``response`` keys present and null, attribute values as
strings, and a Lambda-like context. The event is a JSON copy and the result is
read back through JSON, as a real invocation would.

How failures surface, as on AWS:

- the trigger raises (or cannot be imported): ``UserLambdaValidationException``
  ``"<Trigger> failed with error <message>."``;
- the trigger overruns its budget (5 s, ``trigger_timeout_seconds``): Cognito's
  own socket timeout, ``UnexpectedLambdaException`` ``"<Trigger> invocation
  failed due to error Socket timeout while invoking Lambda function."``. The
  worker thread cannot be killed; it finishes in the background, ignored.
  (Cognito retries a timed-out call; the local one does not.)
- the result is not the event with a well-typed ``response`` (not a dict, a
  flag that is not a boolean, parameters that are not string to string...):
  ``InvalidLambdaResponseException`` ``"Unrecognizable lambda output"``.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from .config import CognitoEmulatorConfig, Trigger
from .errors import UNRECOGNIZABLE_LAMBDA_OUTPUT, CognitoError

log = logging.getLogger("emulators.cognito")

#: What real pools report when the SDK is not one AWS recognizes (boto3 included).
AWS_SDK_VERSION = "aws-sdk-unknown-unknown"
ACCOUNT_ID = "000000000000"


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


#: The response keys of each trigger and the type each must have when not null.
RESPONSES: dict[str, dict[str, Callable[[object], bool]]] = {
    "PreSignUp": {"autoConfirmUser": _is_bool, "autoVerifyEmail": _is_bool, "autoVerifyPhone": _is_bool},
    "DefineAuthChallenge": {"challengeName": _is_str, "issueTokens": _is_bool, "failAuthentication": _is_bool},
    "CreateAuthChallenge": {
        "publicChallengeParameters": _is_str_map,
        "privateChallengeParameters": _is_str_map,
        "challengeMetadata": _is_str,
    },
    "VerifyAuthChallengeResponse": {"answerCorrect": _is_bool},
}


@dataclass(frozen=True)
class AuthIdentity:
    """Whom a custom authentication is about: a real user, or, for an unknown
    name under ``PreventUserExistenceErrors=ENABLED``, a made-up one."""

    username: str
    #: Attributes as triggers see them, ``cognito:user_status`` included.
    attributes: dict[str, str]
    user_not_found: bool


class LambdaContext:
    """The parts of the Python Lambda context object handlers use."""

    def __init__(self, function_name: str, region: str, timeout_seconds: float):
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = "128"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_name(trigger_name: str) -> str:
    return f"local-cognito-{trigger_name}"


class Triggers:
    def __init__(self, config: CognitoEmulatorConfig, pool_id: str):
        self._config = config
        self._pool_id = pool_id
        self._resolved: dict[str, Callable] = {}
        self._lock = threading.Lock()

    def configured(self, name: str) -> bool:
        return name in self._config.trigger_map

    def pre_sign_up(
        self,
        client_id: str,
        username: str,
        user_attributes: dict[str, str],
        validation_data: dict[str, str] | None,
        client_metadata: dict[str, str] | None,
    ) -> dict:
        request: dict = {"userAttributes": user_attributes, "validationData": validation_data}
        if client_metadata is not None:
            request["clientMetadata"] = client_metadata
        return self._invoke("PreSignUp", "PreSignUp_SignUp", username, client_id, request)

    def define_auth_challenge(
        self, client_id: str, identity: AuthIdentity, session: list[dict], client_metadata: dict[str, str] | None
    ) -> dict:
        request = {"userAttributes": identity.attributes, "session": session, "userNotFound": identity.user_not_found}
        return self._invoke_auth("DefineAuthChallenge", client_id, identity, request, client_metadata)

    def create_auth_challenge(
        self,
        client_id: str,
        identity: AuthIdentity,
        challenge_name: str,
        session: list[dict],
        client_metadata: dict[str, str] | None,
    ) -> dict:
        request = {
            "userAttributes": identity.attributes,
            "challengeName": challenge_name,
            "session": session,
            "userNotFound": identity.user_not_found,
        }
        return self._invoke_auth("CreateAuthChallenge", client_id, identity, request, client_metadata)

    def verify_auth_challenge_response(
        self,
        client_id: str,
        identity: AuthIdentity,
        private_parameters: dict[str, str],
        answer: str,
        client_metadata: dict[str, str] | None,
    ) -> dict:
        request = {
            "userAttributes": identity.attributes,
            "privateChallengeParameters": private_parameters,
            "challengeAnswer": answer,
            "userNotFound": identity.user_not_found,
        }
        return self._invoke_auth("VerifyAuthChallengeResponse", client_id, identity, request, client_metadata)

    def _invoke_auth(
        self, name: str, client_id: str, identity: AuthIdentity, request: dict, client_metadata: dict[str, str] | None
    ) -> dict:
        # Only RespondToAuthChallenge passes ClientMetadata to these triggers.
        if client_metadata is not None:
            request["clientMetadata"] = client_metadata
        return self._invoke(name, f"{name}_Authentication", identity.username, client_id, request)

    def _invoke(self, name: str, trigger_source: str, username: str, client_id: str, request: dict) -> dict:
        """Run trigger ``name``; return its validated ``response``."""
        event = {
            "version": "1",
            "triggerSource": trigger_source,
            "region": self._config.region,
            "userPoolId": self._pool_id,
            "userName": username,
            "callerContext": {"awsSdkVersion": AWS_SDK_VERSION, "clientId": client_id},
            "request": request,
            "response": dict.fromkeys(RESPONSES[name]),
        }
        timeout = self._config.trigger_timeout_seconds
        context = LambdaContext(function_name(name), self._config.region, timeout)
        outcome: dict = {}

        def call() -> None:
            try:
                handler = self._handler(name)
                outcome["result"] = handler(json.loads(json.dumps(event)), context)
            except BaseException as exc:  # a handler's failure, reported to the client
                outcome["error"] = exc

        worker = threading.Thread(target=call, name=f"trigger:{name}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            log.warning("local Cognito: trigger %s overran %.1f s", name, timeout)
            raise CognitoError(
                "UnexpectedLambdaException",
                f"{name} invocation failed due to error Socket timeout while invoking Lambda function.",
            )
        if "error" in outcome:
            log.info("local Cognito: trigger %s failed: %r", name, outcome["error"])
            raise CognitoError("UserLambdaValidationException", f"{name} failed with error {outcome['error']}.")
        return _response(name, outcome.get("result"))

    def _handler(self, name: str) -> Callable:
        with self._lock:
            if name not in self._resolved:
                self._resolved[name] = _resolve(self._config.trigger_map[name])
            return self._resolved[name]


def _resolve(trigger: Trigger) -> Callable:
    if callable(trigger):
        return trigger
    module_name, _, attribute = trigger.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise RuntimeError(f"Unable to import module '{module_name}': {exc}") from None
    handler = getattr(module, attribute or "handler", None)
    if not callable(handler):
        raise RuntimeError(f"Handler '{attribute}' missing on module '{module_name}'")
    return handler


def _response(name: str, result: object) -> dict:
    """The trigger's ``response``, after checking the result is a JSON object
    whose ``response`` has the right types."""
    try:
        result = json.loads(json.dumps(result))
    except (TypeError, ValueError):
        raise CognitoError("InvalidLambdaResponseException", UNRECOGNIZABLE_LAMBDA_OUTPUT) from None
    response = result.get("response") if isinstance(result, dict) else None
    if not isinstance(response, dict):
        raise CognitoError("InvalidLambdaResponseException", UNRECOGNIZABLE_LAMBDA_OUTPUT)
    checks = RESPONSES[name]
    for key, is_valid in checks.items():
        value = response.get(key)
        if value is not None and not is_valid(value):
            raise CognitoError("InvalidLambdaResponseException", UNRECOGNIZABLE_LAMBDA_OUTPUT)
    return {key: response.get(key) for key in checks}
