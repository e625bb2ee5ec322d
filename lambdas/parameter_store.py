"""The Authsignal secret key from SSM Parameter Store (a SecureString), so it
is never a plain CloudFormation parameter or Lambda environment value.

Read on first use, not at import time, and kept for a few minutes so warm
invocations skip the call while a rotated key is still picked up.
"""

from __future__ import annotations

import threading
import time

CACHE_SECONDS = 300
_lock = threading.Lock()
_cache: dict[str, tuple[str, float]] = {}
_client = None


def ssm_client():
    """boto3 is in the Lambda runtime; imported here so the handlers import without it."""
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        _client = boto3.client(
            "ssm", config=Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "max_attempts": 2})
        )
    return _client


def read_secure_parameter(name: str, clock=time.monotonic) -> str:
    with _lock:
        cached = _cache.get(name)
        if cached and clock() - cached[1] < CACHE_SECONDS:
            return cached[0]
        value = ssm_client().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        _cache[name] = (value, clock())
        return value


def forget_cached_parameters() -> None:
    with _lock:
        _cache.clear()
