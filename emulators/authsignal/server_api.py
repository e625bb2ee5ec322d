"""The server API the lambdas call through the ``authsignal`` Python SDK (and
servers through the Node one): HTTP Basic auth with the secret key as user name."""

from __future__ import annotations

import hmac

from flask import Blueprint, request

from .errors import ApiError
from .http_common import json_body, json_response, service

bp = Blueprint("authsignal_server_api", __name__)

UNAUTHORIZED = (
    "The request is unauthorized. Check that your API key and region base URL are correctly configured."
)


@bp.before_request
def require_secret_key():
    auth = request.authorization
    secret = service().config.secret
    if (
        auth is None
        or auth.type != "basic"
        or not hmac.compare_digest((auth.username or "").encode(), secret.encode())
    ):
        # Word for word the real API's: the SDKs' own suites check this text.
        raise ApiError(401, "unauthorized", UNAUTHORIZED)


@bp.post("/users/<user_id>/actions/<action>")
def track(user_id: str, action: str):
    return json_response(service().track(user_id, action, json_body(default={})))


@bp.post("/validate")
def validate():
    return json_response(service().validate(json_body()))


@bp.get("/users/<user_id>/actions/<action>/<idempotency_key>")
def get_action(user_id: str, action: str, idempotency_key: str):
    return json_response(service().get_action(user_id, action, idempotency_key))


@bp.patch("/users/<user_id>/actions/<action>/<idempotency_key>")
def update_action(user_id: str, action: str, idempotency_key: str):
    return json_response(service().update_action(user_id, action, idempotency_key, json_body(default={})))


@bp.get("/users")
def query_users():
    return json_response(service().users.query_users(request.args.to_dict()))


@bp.get("/users/<user_id>")
def get_user(user_id: str):
    return json_response(service().users.get_user(user_id))


@bp.patch("/users/<user_id>")
def update_user(user_id: str):
    return json_response(service().users.update_user(user_id, json_body(default={})))


@bp.delete("/users/<user_id>")
def delete_user(user_id: str):
    with_actions = request.args.get("actions", "").lower() == "true"
    return json_response(service().users.delete_user(user_id, with_actions))


@bp.get("/users/<user_id>/authenticators")
def get_authenticators(user_id: str):
    return json_response(service().users.authenticators(user_id))


@bp.post("/users/<user_id>/authenticators")
def enroll_verified_authenticator(user_id: str):
    return json_response(service().users.enroll_verified(user_id, json_body(default={})))


@bp.delete("/users/<user_id>/authenticators/<user_authenticator_id>")
def delete_authenticator(user_id: str, user_authenticator_id: str):
    return json_response(service().users.delete_authenticator(user_id, user_authenticator_id))


@bp.get("/challenges")
def get_challenge():
    """Get challenge: the passkey challenge started for a user and action."""
    return json_response(service().passkeys.get_challenge(request.args.to_dict()))
