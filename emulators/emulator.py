"""What both emulators share: a store and a server, started on a background
thread (tests, the local stack) or served on the calling one (the CLIs)."""

from __future__ import annotations

from .background_server import BackgroundServer


class Emulator:
    """Subclasses set ``self.store`` (with ``close()``) and ``self._server``."""

    store: object
    _server: BackgroundServer

    @property
    def origin(self) -> str:
        return self._server.origin

    def start(self):
        self._server.start()
        return self

    def serve_until_interrupted(self) -> None:
        """Serve on this thread until Ctrl-C, then close the store."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.store.close()

    def stop(self) -> None:
        self._server.stop()
        self.store.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
