"""One deadline per request for every upstream call it makes.

botocore's timeouts apply per socket operation (and not at all to a DNS
lookup), so a request making two slow calls could outlast the web server's
own timeout. Here each call runs on a small thread pool and the request waits
for it no longer than what is left of its deadline; a call abandoned that way
ends on its own within botocore's read timeout.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import current_app, g, has_app_context

#: More calls than this in flight at once wait their turn (within their deadline).
POOL_SIZE = 64
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


class DeadlineExceeded(Exception):
    """The request's time for upstream calls ran out."""


def start_deadline(seconds: float) -> None:
    g.upstream_deadline = time.monotonic() + seconds


def remaining_seconds() -> float | None:
    """Time left for this request's upstream calls; ``None`` outside a request."""
    if not has_app_context() or "upstream_deadline" not in g:
        return None
    return g.upstream_deadline - time.monotonic()


def run_within_deadline(function, *args, **kwargs):
    remaining = remaining_seconds()
    if remaining is None:
        return function(*args, **kwargs)
    if remaining <= 0:
        raise DeadlineExceeded()
    return call_result(start_call(function, *args, **kwargs))


def start_call(function, *args, **kwargs) -> Future:
    """Start an upstream call now, to take its result later with
    :func:`call_result`: for calls whose answers are needed only after
    another one ends. The function runs outside the app context."""
    return _executor().submit(function, *args, **kwargs)


def call_result(future: Future):
    """The started call's result (or its exception), waited for no longer
    than the request's deadline allows."""
    remaining = remaining_seconds()
    try:
        return future.result(timeout=None if remaining is None else max(remaining, 0.0))
    except FutureTimeout:  # (only with a deadline, so inside a request)
        future.cancel()
        current_app.logger.warning("An upstream call overran the request's deadline")
        raise DeadlineExceeded() from None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="upstream")
        return _pool


def _forget_pool_after_fork() -> None:
    """A forked worker (gunicorn) has none of its parent's threads: start a new pool."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)
