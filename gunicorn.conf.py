"""Gunicorn's configuration for this app: ``gunicorn wsgi:app`` reads it from
the project folder (or name it: ``gunicorn -c gunicorn.conf.py wsgi:app``).

A sign-in spends most of its time waiting on Cognito and Authsignal, so each
worker is a thread pool (gthread): a few stalled sign-ins never block the
pages of everyone else, as they do with sync workers. One worker unless
Redis is configured (rate limits must be shared between processes); with
Redis, one per core. Settings and their reasons are in the README's
"Production" section.
"""

import os

from app import ConfigurationError, load_settings
from app.serving import serving_problem

try:
    _settings = load_settings()
except ConfigurationError as error:
    raise SystemExit(f"Configuration error: {error}") from None

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or ((os.cpu_count() or 1) if _settings.session_redis_url else 1))
threads = int(os.environ.get("GUNICORN_THREADS") or 16)
# Above the app's upstream deadline (at most 25 s), so a slow upstream ends in
# the app's own 503 with a stable code, never in the server's raw error page.
timeout = 30
graceful_timeout = 30
keepalive = 5
# One line per request, without headers or bodies (no token is ever in a URL of the app).
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# Request lines and headers: far more than the app uses, far less than gunicorn's defaults.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# gunicornc's socket could change the number of workers behind on_starting's back.
control_socket_disable = True


def on_starting(server):
    """Refuse, with one line, a way of serving that would break the app."""
    problem = serving_problem(load_settings(), server.cfg.workers, server.cfg.timeout)
    if problem:
        raise SystemExit(f"Configuration error: {problem}")
