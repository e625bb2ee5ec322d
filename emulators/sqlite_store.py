"""One SQLite connection shared by all request threads behind a lock.

Both emulators keep their state here: ``":memory:"`` by default, or a file so
that a restart loses nothing. A single connection plus a re-entrant lock keeps
every read-modify-write atomic without SQLite's own busy handling.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class SQLiteStore:
    def __init__(self, path: str | Path | None = None, schema: str = ""):
        self.path = str(path) if path else ":memory:"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._lock = threading.RLock()
        self._depth = 0
        if schema:
            with self._lock:
                self._conn.executescript(schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and a transaction; nested calls join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class TypedStore:
    """Base of the emulators' stores: typed reads and writes over one
    :class:`SQLiteStore`, grouped into atomic units with :meth:`transaction`."""

    SCHEMA = ""

    def __init__(self, path: str | Path | None = None):
        self._db = SQLiteStore(path, self.SCHEMA)
        self.transaction = self._db.transaction

    def close(self) -> None:
        self._db.close()
