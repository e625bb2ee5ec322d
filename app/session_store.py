"""Where sign-ins in progress and signed-in users' tokens live on the server.

Anonymous visitors store nothing here: their CSRF token lives in Flask's
signed cookie, so no number of cookie-less requests can fill this store. A
record exists only from the start of a sign-in (a few minutes' lifetime) and
for a signed-in user (30 days, renewed with the tokens). Neither store ever
evicts a record early: a full disk or an unreachable Redis makes new writes
fail with :class:`SessionStoreUnavailable` (the app answers 503
``session_store_unavailable``), it never drops a signed-in session.

Every call is bounded in time and never retried: a slow store gives a quick,
clear error instead of a hung page.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)


class SessionStoreUnavailable(Exception):
    """The store could not be read or written; the message says why, never the data."""


class SessionStore(Protocol):
    def get(self, sid: str) -> dict | None: ...
    def set(self, sid: str, record: dict, ttl_seconds: int) -> None: ...
    def delete(self, sid: str) -> None: ...
    def ping(self) -> None: ...


class FileSessionStore:
    """One file per record (cachelib's FileSystemCache, files 0600), for one
    host. No threshold, so nothing is ever pruned to make room; expired files
    are swept now and then instead."""

    SWEEP_EVERY = 500

    def __init__(self, directory: str):
        from cachelib.file import FileSystemCache

        self.directory = directory
        self._cache = FileSystemCache(directory, threshold=0, mode=0o600)
        self._writes = 0
        self._lock = threading.Lock()

    def get(self, sid: str) -> dict | None:
        record = self._cache.get(sid)
        return record if isinstance(record, dict) else None

    def set(self, sid: str, record: dict, ttl_seconds: int) -> None:
        if not self._cache.set(sid, record, timeout=ttl_seconds):
            raise SessionStoreUnavailable(f"cannot write in {self.directory} (disk full or not writable?)")
        with self._lock:
            self._writes += 1
            sweep = self._writes % self.SWEEP_EVERY == 0
        if sweep:
            self.sweep()

    def delete(self, sid: str) -> None:
        if not self._cache.delete(sid):
            raise SessionStoreUnavailable(f"cannot delete in {self.directory}")

    def ping(self) -> None:
        if not (os.path.isdir(self.directory) and os.access(self.directory, os.W_OK)):
            raise SessionStoreUnavailable(f"{self.directory} is not a writable folder")

    def sweep(self) -> None:
        """Delete expired records (cachelib only does it when over a threshold)."""
        self._cache._remove_expired(time.time())


class RedisSessionStore:
    """Records as JSON under ``session:<sid>`` with Redis expiry, for several
    processes or hosts. Redis must not evict keys under memory pressure:
    configure ``maxmemory-policy noeviction`` (or ``volatile-ttl``, which
    evicts the shortest-lived keys, the sign-ins in progress, first)."""

    PREFIX = "session:"

    def __init__(self, url: str, timeout_seconds: float = 1.0):
        self.client = redis_client(url, timeout_seconds)

    def get(self, sid: str) -> dict | None:
        raw = self._call("read", self.client.get, self.PREFIX + sid)
        if raw is None:
            return None
        try:
            record = json.loads(raw)
        except ValueError:
            log.warning("Ignoring an unreadable session record")
            return None
        return record if isinstance(record, dict) else None

    def set(self, sid: str, record: dict, ttl_seconds: int) -> None:
        self._call("write", self.client.set, self.PREFIX + sid, json.dumps(record), ex=ttl_seconds)

    def delete(self, sid: str) -> None:
        self._call("delete", self.client.delete, self.PREFIX + sid)

    def ping(self) -> None:
        self._call("reach", self.client.ping)

    @staticmethod
    def _call(what: str, method, *args, **kwargs):
        import redis

        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            raise SessionStoreUnavailable(f"cannot {what} Redis: {type(exc).__name__}") from None


def redis_client(url: str, timeout_seconds: float):
    """A Redis client that waits at most ``timeout_seconds`` per call and never
    retries (redis-py retries three times by default)."""
    import redis

    return redis.Redis.from_url(url, health_check_interval=0, **redis_options(timeout_seconds))


def redis_options(timeout_seconds: float) -> dict:
    """The same bounds for Flask-Limiter's Redis storage (passed to ``from_url``)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
        "retry": Retry(NoBackoff(), 0),
    }
