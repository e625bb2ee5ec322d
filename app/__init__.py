"""The Flask app: ``create_app(test_config=None)`` reads the settings, binds
the extensions and services, and registers the pages and the JSON API."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask, abort, jsonify, render_template, request, send_from_directory
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .cognito import CognitoAuth
from .errors import AuthError
from .extensions import csrf, init_sessions, limiter
from .security_headers import init_security_headers
from .settings import ConfigurationError, Settings
from .token_verifier import TokenVerifier

ROOT = Path(__file__).resolve().parent.parent
WEB_SDK_DIR = ROOT / "node_modules" / "@authsignal" / "browser" / "dist"
log = logging.getLogger(__name__)

__all__ = ["create_app", "ConfigurationError"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` may hold Flask settings, ``ENVIRON`` (used
    instead of the process environment and ``.env``), and ``COGNITO_AUTH`` /
    ``TOKEN_VERIFIER`` to swap the services."""
    test_config = dict(test_config or {})
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )

    if "ENVIRON" in test_config:
        environ = test_config.pop("ENVIRON")
    else:
        # Flask's own switch: `flask run` honours it too.
        if os.environ.get("FLASK_SKIP_DOTENV", "").lower() not in ("1", "true", "yes"):
            load_dotenv(ROOT / ".env", override=False)
        environ = os.environ
    settings = Settings.from_environment(environ)
    if settings.is_local:
        from .local_stack import start_local_stack

        settings = start_local_stack(settings)

    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="session_id",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 30,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the server-side session
        RATELIMIT_STORAGE_URI=settings.session_redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        **_session_store_config(settings, app.instance_path),
    )
    services = {key: test_config.pop(key) for key in ("COGNITO_AUTH", "TOKEN_VERIFIER") if key in test_config}
    app.config.from_mapping(test_config)

    if settings.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.extensions["settings"] = settings
    app.extensions["cognito_auth"] = services.get("COGNITO_AUTH") or CognitoAuth(
        region=settings.cognito_region,
        user_pool_id=settings.cognito_user_pool_id,
        client_id=settings.cognito_client_id,
        client_secret=settings.cognito_client_secret,
        endpoint_url=settings.cognito_endpoint_url,
    )
    app.extensions["token_verifier"] = services.get("TOKEN_VERIFIER") or TokenVerifier(
        region=settings.cognito_region,
        user_pool_id=settings.cognito_user_pool_id,
        client_id=settings.cognito_client_id,
        endpoint_url=settings.cognito_endpoint_url,
    )

    init_sessions(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_security_headers(app, settings.prebuilt_ui_origin)
    _register_error_handlers(app)

    from . import auth
    from .config_check import check_config_command

    app.register_blueprint(auth.bp)
    app.cli.add_command(check_config_command)

    @app.get("/vendor/authsignal-browser.js")
    def web_sdk():
        """The Web SDK from node_modules (installed by `npm ci`, never committed)."""
        if not (WEB_SDK_DIR / "index.min.js").is_file():
            log.error("node_modules/@authsignal/browser is missing: run `npm ci` (or `make run`)")
            abort(404)
        return send_from_directory(WEB_SDK_DIR, "index.min.js", mimetype="text/javascript", max_age=3600)

    @app.context_processor
    def page_settings():
        return {"settings": settings}

    @app.template_filter("isotime")
    def isotime(timestamp: int, human: bool = False) -> str:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
        return moment.strftime("%H:%M UTC on %d %b %Y") if human else moment.isoformat()

    return app


def _session_store_config(settings: Settings, instance_path: str) -> dict:
    if settings.session_redis_url:
        import redis

        return {"SESSION_TYPE": "redis", "SESSION_REDIS": redis.Redis.from_url(settings.session_redis_url)}
    from cachelib.file import FileSystemCache

    directory = settings.session_file_dir or os.path.join(instance_path, "sessions")
    return {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": FileSystemCache(directory, threshold=10_000, mode=0o600)}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(error: AuthError):
    """JSON with a stable code for the API, the error page for a person."""
    if _wants_json():
        return jsonify(error.body()), error.status
    return render_template("error.html", message=error.message), error.status


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AuthError, _error_response)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        message = "Too many sign-in attempts from here. Wait a minute and try again."
        return _error_response(AuthError("rate_limited", message, 429))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_response(AuthError("csrf_failed", "This page has expired. Reload it and try again.", 400))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": error.description}), error.code
        return error

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unexpected error on %s %s", request.method, request.path)
        return _error_response(AuthError("internal_error", "Something went wrong on our side. Try again.", 500))
