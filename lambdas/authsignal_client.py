"""The Authsignal client the triggers share: made on first use and kept for
warm invocations, with a timeout that really applies.

The ``authsignal`` 4.1.0 SDK accepts ``timeout`` but never passes it to
``requests`` (a slow server blocks the caller), so the client's session gets a
transport adapter that applies the timeout to every request.
"""

from __future__ import annotations

import threading

from authsignal import AuthsignalClient
from requests.adapters import HTTPAdapter

from .settings import AuthsignalSettings


class TimeoutHTTPAdapter(HTTPAdapter):
    def __init__(self, timeout: float, **kwargs):
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


_lock = threading.Lock()
_cache: dict[AuthsignalSettings, AuthsignalClient] = {}


def authsignal_client(settings: AuthsignalSettings) -> AuthsignalClient:
    with _lock:
        client = _cache.get(settings)
        if client is None:
            client = AuthsignalClient(settings.secret, api_url=settings.api_url, timeout=settings.timeout_seconds)
            adapter = TimeoutHTTPAdapter(settings.timeout_seconds)
            client.session.mount("http://", adapter)
            client.session.mount("https://", adapter)
            _cache[settings] = client
        return client
