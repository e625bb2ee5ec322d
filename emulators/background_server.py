"""Serve a WSGI app on a background thread, so tests and the local stack can
start an emulator in-process on a free port and stop it cleanly."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Callable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs requests at DEBUG instead of printing each one to stderr."""

    def log_request(self, code="-", size="-"):
        logging.getLogger("emulators.http").debug(
            '%s "%s" %s', self.address_string(), self.requestline, code
        )


class BackgroundServer:
    """A threaded Werkzeug server running ``app`` until :meth:`stop`.

    ``on_bound(origin)`` runs after the socket is bound (so ``port=0`` has
    become a real port) and before the first request is served: emulators use
    it to learn the origin they put into URLs and token issuers.
    """

    def __init__(
        self,
        app,
        host: str = "127.0.0.1",
        port: int = 0,
        on_bound: Callable[[str], None] | None = None,
        quiet: bool = True,
    ):
        # Bind here, so a busy port raises OSError (Werkzeug would exit the process).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family)
        try:
            self._server: BaseWSGIServer = make_server(
                host,
                port,
                app,
                threaded=True,
                request_handler=_QuietRequestHandler if quiet else WSGIRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # Werkzeug works on its own duplicate of the socket
        self.host = host
        self.port = self._server.server_address[1]
        display_host = f"[{host}]" if ":" in host else host
        self.origin = f"http://{display_host}:{self.port}"
        if on_bound is not None:
            on_bound(self.origin)
        self._thread: threading.Thread | None = None

    def start(self) -> "BackgroundServer":
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"emulator:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (for ``python -m emulators.x``)."""
        self._server.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
