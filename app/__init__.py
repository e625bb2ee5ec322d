"""The Flask app: ``create_app(test_config=None)`` reads the settings, binds
the extensions and services, and registers the pages and the JSON API."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .assets import WEB_SDK_DIR, init_assets
from .authsignal_api import AuthsignalApi, SecretFromParameterStore
from .cognito import CognitoAuth
from .deadline import start_deadline
from .errors import AuthError
from .extensions import csrf, limiter
from .json_bodies import MAX_BODY_BYTES, BoundedJSONProvider
from .rate_limits import NewUserBudget
from .security_headers import init_security_headers
from .session_store import (
    FileSessionStore,
    RedisSessionStore,
    SessionStoreUnavailable,
    redis_options,
)
from .settings import ConfigurationError, Settings
from .token_verifier import TokenVerifier

ROOT = Path(__file__).resolve().parent.parent
#: Redis (sessions, rate limits) answers within this, or the page says it is unavailable.
STORE_TIMEOUT_SECONDS = 1.0
STORE_UNAVAILABLE = "Sign-in is unavailable right now: our session storage is not answering. Try again in a moment."
log = logging.getLogger(__name__)

__all__ = ["create_app", "load_settings", "ConfigurationError"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` may hold Flask settings, ``ENVIRON`` (used
    instead of the process environment and ``.env``), and ``COGNITO_AUTH`` /
    ``TOKEN_VERIFIER`` / ``SESSION_STORE`` to swap the services."""
    test_config = dict(test_config or {})
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )

    settings = load_settings(test_config.pop("ENVIRON", None))
    if settings.is_local:
        from .local_stack import start_local_stack

        settings = start_local_stack(settings)

    if not settings.session_cookie_secure and not settings.is_local:
        log.warning(
            "SESSION_COOKIE_SECURE=false: the session cookie will travel over plain http. "
            "Use this only on a private network; serve the app over https."
        )
    app.json = BoundedJSONProvider(app)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        # Flask's signed cookie: the CSRF token for everyone, and for a sign-in
        # in progress or a signed-in user the id of the server-side record.
        SESSION_COOKIE_NAME="__Host-session" if settings.session_cookie_secure else "session",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 30,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the cookie
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        MAX_FORM_PARTS=16,
        RATELIMIT_STORAGE_URI=settings.session_redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS=(
            {"wrap_exceptions": True, **redis_options(STORE_TIMEOUT_SECONDS)} if settings.session_redis_url else {}
        ),
        # Flask-Limiter would put Retry-After on every answer; ours is on the 429 only.
        RATELIMIT_HEADERS_ENABLED=False,
    )
    services = {
        key: test_config.pop(key) for key in ("COGNITO_AUTH", "AUTHSIGNAL_API", "TOKEN_VERIFIER", "SESSION_STORE") if key in test_config
    }
    app.config.from_mapping(test_config)

    if settings.behind_proxy:
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.extensions["settings"] = settings
    app.extensions["cognito_auth"] = services.get("COGNITO_AUTH") or CognitoAuth(
        region=settings.cognito_region,
        user_pool_id=settings.cognito_user_pool_id,
        client_id=settings.cognito_client_id,
        client_secret=settings.cognito_client_secret,
        endpoint_url=settings.cognito_endpoint_url,
    )
    app.extensions["authsignal_api"] = services.get("AUTHSIGNAL_API") or AuthsignalApi(
        settings.authsignal_url, _authsignal_secret(settings), settings.authsignal_action
    )
    app.extensions["token_verifier"] = services.get("TOKEN_VERIFIER") or TokenVerifier(
        region=settings.cognito_region,
        user_pool_id=settings.cognito_user_pool_id,
        client_id=settings.cognito_client_id,
        endpoint_url=settings.cognito_endpoint_url,
    )
    app.extensions["session_store"] = services.get("SESSION_STORE") or _session_store(settings, app.instance_path)
    app.extensions["new_user_budget"] = NewUserBudget(limiter, settings.new_user_rate_limit)

    @app.before_request
    def upstream_deadline():
        start_deadline(settings.upstream_deadline_seconds)

    csrf.init_app(app)
    limiter.init_app(app)
    init_security_headers(app, settings.prebuilt_ui_origin, settings.authsignal_api_origin)
    _register_error_handlers(app)

    from . import auth, passkeys, password_reset
    from .config_check import check_config_command
    from .device import init_device_cookie

    app.register_blueprint(auth.bp)
    app.register_blueprint(password_reset.bp)
    app.register_blueprint(passkeys.bp)
    init_device_cookie(app)
    init_assets(app)
    app.cli.add_command(check_config_command)

    @app.context_processor
    def page_settings():
        from .passkeys import address_for_passkeys
        from .verification_method import label

        return {"settings": settings, "method_label": label, "address_for_passkeys": address_for_passkeys}

    @app.template_filter("isotime")
    def isotime(timestamp: int, human: bool = False) -> str:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
        return moment.strftime("%H:%M UTC on %d %b %Y") if human else moment.isoformat()

    @app.template_filter("when")
    def when(moment: datetime | None) -> str:
        return moment.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC") if moment else "at an unknown time"

    return app


def load_settings(environ=None) -> Settings:
    """The settings from ``environ``, or from the process environment and ``.env``
    (which never overrides what the environment already says)."""
    if environ is None:
        # Flask's own switch: `flask run` honours it too.
        if os.environ.get("FLASK_SKIP_DOTENV", "").lower() not in ("1", "true", "yes"):
            load_dotenv(ROOT / ".env", override=False)
        environ = os.environ
    return Settings.from_environment(environ)


def _authsignal_secret(settings: Settings):
    """The key, a reader of its SSM parameter, or None (features needing it off)."""
    if settings.authsignal_secret:
        return settings.authsignal_secret
    if settings.authsignal_secret_parameter:
        return SecretFromParameterStore(settings.authsignal_secret_parameter, settings.cognito_region)
    return None


def _session_store(settings: Settings, instance_path: str):
    if settings.session_redis_url:
        return RedisSessionStore(settings.session_redis_url, STORE_TIMEOUT_SECONDS)
    return FileSessionStore(settings.session_file_dir or os.path.join(instance_path, "sessions"))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(error: AuthError):
    """JSON with a stable code for the API, the error page for a person."""
    if _wants_json():
        response = jsonify(error.body())
    else:
        response = render_template("error.html", message=error.message)
    response = (response, error.status)
    if error.retry_after is not None:
        response += ({"Retry-After": str(error.retry_after)},)
    return response


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AuthError, _error_response)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        message = error.description or "Too many sign-in attempts from here. Wait a minute and try again."
        breached = limiter.current_limit
        wait = int(breached.reset_at - time.time()) if breached else 60
        return _error_response(AuthError("rate_limited", message, 429, retry_after=max(1, wait)))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_response(AuthError("csrf_failed", "This page has expired. Reload it and try again.", 400))

    @app.errorhandler(SessionStoreUnavailable)
    @app.errorhandler(StorageError)
    def store_unavailable(error: Exception):
        log.error("Session or rate-limit store unavailable: %s", error)
        return _error_response(AuthError("session_store_unavailable", STORE_UNAVAILABLE, 503, retry_after=5))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.name.lower().replace(" ", "_")
        if error.code == 413:
            message = "That request is too large."
        else:
            message = error.description
        return _error_response(AuthError(code, message, error.code))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unexpected error on %s %s", request.method, request.path)
        return _error_response(AuthError("internal_error", "Something went wrong on our side. Try again.", 500))
