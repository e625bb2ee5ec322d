"""A local Authsignal: server API, client API, pre-built UI with email OTP,
and a dev inbox. See the README's "Local Authsignal" section."""

from __future__ import annotations

import time

from ..background_server import BackgroundServer
from .app import create_app
from .config import AuthsignalEmulatorConfig
from .service import AuthsignalService
from .store import AuthsignalStore

__all__ = ["AuthsignalEmulator", "AuthsignalEmulatorConfig", "create_app"]


class AuthsignalEmulator:
    """The local Authsignal bound to a port; :meth:`start` serves it on a
    background thread (tests), :meth:`serve_forever` on this one (the CLI)."""

    def __init__(
        self,
        config: AuthsignalEmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock=time.time,
    ):
        self.config = config or AuthsignalEmulatorConfig()
        self.store = AuthsignalStore(self.config.state_path)
        self.service = AuthsignalService(self.config, self.store, clock=clock)
        self.app = create_app(self.service)
        self._server = BackgroundServer(self.app, host, port, on_bound=self.service.set_origin)

    @property
    def origin(self) -> str:
        return self._server.origin

    @property
    def base_url(self) -> str:
        """What the SDKs take as their base URL (it ends in ``/v1``)."""
        return f"{self.origin}/v1"

    @property
    def inbox_url(self) -> str:
        return f"{self.origin}/_dev/inbox"

    def start(self) -> "AuthsignalEmulator":
        self._server.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.stop()
        self.store.close()

    def __enter__(self) -> "AuthsignalEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
