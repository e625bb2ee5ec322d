"""Storage of the local Authsignal: users, actions (challenges) and the inbox."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..sqlite_store import TypedStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id        TEXT PRIMARY KEY,
    email          TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0,
    created_at     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
    idempotency_key     TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users(user_id),
    action              TEXT NOT NULL,
    state               TEXT NOT NULL,
    email               TEXT,
    redirect_url        TEXT,
    created_at          REAL NOT NULL,
    state_updated_at    REAL NOT NULL,
    verification_method TEXT,
    validated_at        REAL,
    wrong_codes         INTEGER NOT NULL DEFAULT 0,
    code                TEXT,
    code_expires_at     REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    code            TEXT NOT NULL,
    sent_at         REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_user ON messages (user_id, sent_at);
CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages (recipient COLLATE NOCASE, id);
"""


@dataclass(frozen=True)
class Action:
    idempotency_key: str
    user_id: str
    action: str
    state: str
    email: str | None
    redirect_url: str | None
    created_at: float
    state_updated_at: float
    verification_method: str | None
    validated_at: float | None
    wrong_codes: int
    code: str | None
    code_expires_at: float | None


@dataclass(frozen=True)
class User:
    user_id: str
    email: str | None
    email_verified: bool
    created_at: float


@dataclass(frozen=True)
class Message:
    id: int
    user_id: str
    recipient: str
    subject: str
    body: str
    code: str
    sent_at: float


class AuthsignalStore(TypedStore):
    SCHEMA = SCHEMA

    # users
    def get_user(self, user_id: str) -> User | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
        return User(**{**dict(row), "email_verified": bool(row["email_verified"])}) if row else None

    def ensure_user(self, user_id: str, now: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO users (user_id, created_at) VALUES (?, ?)",
                (user_id, now),
            )

    def set_verified_email(self, user_id: str, email: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE users SET email = ?, email_verified = 1 WHERE user_id = ?",
                (email, user_id),
            )

    # actions
    def insert_action(self, action: Action) -> None:
        with self.transaction() as db:
            try:
                db.execute(
                    "INSERT INTO actions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        action.idempotency_key, action.user_id, action.action,
                        action.state, action.email, action.redirect_url,
                        action.created_at, action.state_updated_at,
                        action.verification_method, action.validated_at,
                        action.wrong_codes, action.code, action.code_expires_at,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise KeyError(action.idempotency_key) from exc

    def get_action(self, idempotency_key: str) -> Action | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM actions WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return Action(**dict(row)) if row else None

    def update_action(self, idempotency_key: str, **changes) -> None:
        allowed = set(Action.__dataclass_fields__) - {"idempotency_key", "user_id", "action"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self.transaction() as db:
            db.execute(
                f"UPDATE actions SET {assignments} WHERE idempotency_key = ?",
                (*changes.values(), idempotency_key),
            )

    # inbox
    def add_message(self, user_id: str, idempotency_key: str, recipient: str,
                    subject: str, body: str, code: str, sent_at: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO messages (user_id, idempotency_key, recipient, subject, body, code, sent_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (user_id, idempotency_key, recipient, subject, body, code, sent_at),
            )

    def sends_since(self, user_id: str, since: float) -> list[float]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT sent_at FROM messages WHERE user_id = ? AND sent_at > ? ORDER BY sent_at",
                (user_id, since),
            ).fetchall()
        return [row["sent_at"] for row in rows]

    def messages(self, recipient: str | None = None, limit: int = 200) -> list[Message]:
        query = "SELECT id, user_id, recipient, subject, body, code, sent_at FROM messages"
        params: tuple = ()
        if recipient is not None:
            query += " WHERE recipient = ? COLLATE NOCASE"
            params = (recipient,)
        query += " ORDER BY id DESC LIMIT ?"
        with self.transaction() as db:
            rows = db.execute(query, (*params, limit)).fetchall()
        return [Message(**dict(row)) for row in rows]
