"""A local Authsignal: server API with rules, client API (passkeys included),
pre-built UI with email and phone codes, magic links, the authenticator app
and passkeys, and a dev inbox. See the README's "Local Authsignal" section."""

from __future__ import annotations

import time

from ..background_server import BackgroundServer
from ..emulator import Emulator
from .app import create_app
from .config import AuthsignalEmulatorConfig
from .service import AuthsignalService
from .store import AuthsignalStore

__all__ = ["AuthsignalEmulator", "AuthsignalEmulatorConfig", "create_app"]


class AuthsignalEmulator(Emulator):
    """The local Authsignal bound to a port; :meth:`start` serves it on a
    background thread (tests), :meth:`serve_until_interrupted` on this one (the CLI)."""

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
        self.app = create_app(self.service, bound_host=host)
        self._server = BackgroundServer(self.app, host, port, on_bound=self.service.set_origin)

    @property
    def base_url(self) -> str:
        """What the SDKs take as their base URL (it ends in ``/v1``)."""
        return f"{self.origin}/v1"

    @property
    def inbox_url(self) -> str:
        return f"{self.origin}/_dev/inbox"
