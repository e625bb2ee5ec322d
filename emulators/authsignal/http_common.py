"""Request and response helpers shared by the local Authsignal's blueprints."""

from __future__ import annotations

from flask import current_app, jsonify, request

from .. import json_depth
from .errors import ApiError, invalid_request
from .service import AuthsignalService


def service() -> AuthsignalService:
    return current_app.extensions["authsignal_emulator"]


def json_body(default: object = None) -> object:
    """The request's JSON body; ``default`` when empty; a 400 when malformed
    or nested too deeply."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return default
    try:
        return json_depth.loads(raw)
    except json_depth.TooDeeplyNested as exc:
        raise invalid_request(str(exc)) from None
    except ValueError:
        raise invalid_request("The request body is not valid JSON.") from None


def json_response(payload: object, status: int = 200):
    """JSON with ``Content-Type`` exactly ``application/json``: the Python SDK
    only decamelizes responses carrying exactly that."""
    response = jsonify(payload)
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(error: ApiError):
    return json_response(error.body(), error.status)
