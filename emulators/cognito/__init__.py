"""A local Amazon Cognito user pool that runs CUSTOM_AUTH with Python triggers,
with or without Cognito's SRP password check first (``SRP_A`` then
``PASSWORD_VERIFIER``), and ForgotPassword with a dev inbox.

It speaks the ``cognito-idp`` JSON 1.1 protocol, so boto3, pycognito and
aws-amplify work against it unchanged with ``endpoint_url`` set to
:attr:`CognitoEmulator.endpoint_url`. One pool (email as the sign-in alias)
and one app client exist from the start.
"""

from __future__ import annotations

import time
from typing import Callable

from ..background_server import BackgroundServer
from ..emulator import Emulator
from .config import CognitoEmulatorConfig
from .protocol import create_app
from .service import CognitoService
from .store import CognitoStore

__all__ = ["CognitoEmulator", "CognitoEmulatorConfig", "create_app"]


class CognitoEmulator(Emulator):
    """The local Cognito bound to a port; :meth:`start` serves it on a
    background thread (tests), :meth:`serve_until_interrupted` on this one (the CLI)."""

    def __init__(
        self,
        config: CognitoEmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ):
        self.config = config or CognitoEmulatorConfig()
        self.store = CognitoStore(self.config.state_path)
        try:
            self.service = CognitoService(self.config, self.store, clock=clock)
            self.app = create_app(self.service, bound_host=host)
            self._server = BackgroundServer(self.app, host, port, on_bound=self.service.set_origin)
        except BaseException:
            self.store.close()
            raise

    @property
    def endpoint_url(self) -> str:
        """What boto3 and pycognito take as ``endpoint_url`` (the origin, or the
        configured ``public_url``); the token issuer is this plus ``/<pool id>``."""
        return self.service.endpoint_url

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def user_pool_id(self) -> str:
        return self.service.pool.id

    @property
    def client_id(self) -> str:
        return self.service.client.client_id

    @property
    def client_secret(self) -> str | None:
        return self.service.client.secret

    @property
    def issuer(self) -> str:
        return self.service.issuer

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    @property
    def inbox_url(self) -> str:
        """The dev inbox page: the codes ForgotPassword "emails"."""
        return f"{self.endpoint_url}/_dev/inbox"
