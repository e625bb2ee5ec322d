"""What a production server must respect to run this app, checked before the
first worker starts (``gunicorn.conf.py`` calls it from ``on_starting``).

The rate limits are counted in memory unless Redis is configured, so several
worker processes without Redis would each allow the full limit; in local mode
the emulators start inside the app, so a second worker would try to start
them again; and the server's timeout must leave room for the app's own
upstream deadline, so a slow Cognito ends in the app's answer, not the
server's.
"""

from __future__ import annotations

from .settings import Settings

#: Time a request may need beyond its upstream deadline (session store, rendering).
HEADROOM_SECONDS = 5


def serving_problem(settings: Settings, workers: int, timeout: float) -> str | None:
    """One line saying what is wrong with serving ``settings`` this way, or None."""
    if settings.is_local and workers > 1:
        return (
            f"local mode runs its emulators inside the app, so it serves one worker, not {workers}: "
            "use -w 1, or start the emulators on their own (make emulators) and point the app at them"
        )
    if workers > 1 and not settings.session_redis_url:
        return (
            f"{workers} workers need SESSION_REDIS_URL: without Redis each worker counts the rate limits "
            "on its own (and keeps sign-ins in this host's files); set it, or use -w 1"
        )
    if timeout and timeout < settings.upstream_deadline_seconds + HEADROOM_SECONDS:
        return (
            f"the server's timeout ({timeout:g} s) must exceed UPSTREAM_DEADLINE_SECONDS "
            f"({settings.upstream_deadline_seconds:g} s) by at least {HEADROOM_SECONDS} s"
        )
    return None
