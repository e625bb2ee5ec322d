"""Extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_session import Session
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
server_session = Session()
#: Per client address (the proxy's X-Forwarded-For with BEHIND_PROXY=true).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_sessions(app: Flask) -> None:
    """Server-side sessions (Flask-Session): files by default, Redis when a URL
    is configured. The cookie only carries the session id."""
    server_session.init_app(app)
    interface = app.session_interface
    static_secure = interface.get_cookie_secure
    # Secure whenever served over https (behind a proxy: with BEHIND_PROXY=true).
    interface.get_cookie_secure = lambda app: static_secure(app) or (has_request_context() and request.is_secure)
