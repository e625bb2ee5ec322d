"""The local Authsignal as one Flask app: server API, client API, pre-built
UI and dev inbox, with Authsignal-shaped JSON errors under ``/v1``. It answers
only its own hosts, so a DNS-rebinding page cannot read the inbox or the API."""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from ..host_check import refuse_other_hosts
from . import client_api, dev_inbox, prebuilt_ui, server_api
from .errors import ApiError
from .http_common import error_response
from .service import AuthsignalService

log = logging.getLogger("emulators.authsignal")

_HTTP_ERROR_CODES = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def create_app(service: AuthsignalService, bound_host: str | None = None) -> Flask:
    """``bound_host``, the interface it listens on, is answered to like the
    configured hosts, so the URLs it hands out work when bound to, e.g., 0.0.0.0."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    refuse_other_hosts(app, service.config.allowed_hosts, "The local Authsignal", "--allowed-hosts", bound_host)
    app.json.sort_keys = False
    app.extensions["authsignal_emulator"] = service

    app.register_blueprint(client_api.bp, url_prefix="/v1/client")
    app.register_blueprint(server_api.bp, url_prefix="/v1")
    app.register_blueprint(prebuilt_ui.bp)
    app.register_blueprint(dev_inbox.bp, url_prefix="/_dev")

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not request.path.startswith("/v1/"):
            return error
        code = _HTTP_ERROR_CODES.get(error.code, "invalid_request")
        return error_response(ApiError(error.code, code, error.description))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("local Authsignal: unexpected error on %s", request.path)
        return error_response(ApiError(500, "internal_error", "Unexpected error in the local Authsignal."))

    return app
