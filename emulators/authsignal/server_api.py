"""The server API the lambdas call through the ``authsignal`` Python SDK:
HTTP Basic auth with the secret key as user name."""

from __future__ import annotations

import hmac

from flask import Blueprint, request

from .errors import ApiError
from .http_common import json_body, json_response, service

bp = Blueprint("authsignal_server_api", __name__)


@bp.before_request
def require_secret_key():
    auth = request.authorization
    secret = service().config.secret
    if (
        auth is None
        or auth.type != "basic"
        or not hmac.compare_digest((auth.username or "").encode(), secret.encode())
    ):
        raise ApiError(
            401,
            "unauthorized",
            "The request's secret key is missing or invalid "
            "(HTTP Basic auth, the secret key as user name).",
        )


@bp.post("/users/<user_id>/actions/<action>")
def track(user_id: str, action: str):
    return json_response(service().track(user_id, action, json_body(default={})))


@bp.post("/validate")
def validate():
    return json_response(service().validate(json_body()))


@bp.get("/users/<user_id>")
def get_user(user_id: str):
    return json_response(service().get_user(user_id))


@bp.get("/users/<user_id>/actions/<action>/<idempotency_key>")
def get_action(user_id: str, action: str, idempotency_key: str):
    return json_response(service().get_action(user_id, action, idempotency_key))
