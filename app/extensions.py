"""Extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

from .rate_limits import client_key

csrf = CSRFProtect()
#: Per client (an IPv4 address or an IPv6 /64; the proxy's X-Forwarded-For with BEHIND_PROXY=true).
limiter = Limiter(key_func=client_key, default_limits=[])
