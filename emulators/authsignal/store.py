"""Storage of the local Authsignal: users, their authenticators, actions
(challenges) and the inbox."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..sqlite_store import TypedStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id                     TEXT PRIMARY KEY,
    email                       TEXT,
    email_verified              INTEGER NOT NULL DEFAULT 0,
    created_at                  REAL NOT NULL,
    phone_number                TEXT,
    phone_number_verified       INTEGER NOT NULL DEFAULT 0,
    username                    TEXT,
    display_name                TEXT,
    custom                      TEXT,
    locale                      TEXT,
    default_verification_method TEXT
);
CREATE TABLE IF NOT EXISTS authenticators (
    user_authenticator_id TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL REFERENCES users(user_id),
    verification_method   TEXT NOT NULL,
    email                 TEXT,
    phone_number          TEXT,
    created_at            REAL NOT NULL,
    verified_at           REAL NOT NULL,
    last_verified_at      REAL,
    secret                TEXT,
    last_used_step        INTEGER,
    UNIQUE (user_id, verification_method)
);
CREATE TABLE IF NOT EXISTS pending_totp (
    user_id               TEXT PRIMARY KEY REFERENCES users(user_id),
    user_authenticator_id TEXT NOT NULL,
    secret                TEXT NOT NULL,
    created_at            REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS known_devices (
    user_id       TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    first_seen_at REAL NOT NULL,
    last_seen_at  REAL NOT NULL,
    PRIMARY KEY (user_id, device_id)
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
    code_expires_at     REAL,
    device_id           TEXT,
    ip_address          TEXT,
    user_agent          TEXT,
    custom              TEXT,
    scope               TEXT,
    phone_number        TEXT,
    code_channel        TEXT,
    link_hash           TEXT,
    link_expires_at     REAL,
    link_used_at        REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    code            TEXT NOT NULL,
    sent_at         REAL NOT NULL,
    channel         TEXT NOT NULL DEFAULT 'EMAIL',
    link            TEXT
);
CREATE TABLE IF NOT EXISTS passkeys (
    credential_id         TEXT PRIMARY KEY,
    user_authenticator_id TEXT NOT NULL UNIQUE,
    user_id               TEXT NOT NULL REFERENCES users(user_id),
    public_key            BLOB NOT NULL,
    sign_count            INTEGER NOT NULL,
    aaguid                TEXT,
    device_type           TEXT,
    backed_up             INTEGER NOT NULL DEFAULT 0,
    transports            TEXT,
    created_at            REAL NOT NULL,
    last_verified_at      REAL
);
CREATE TABLE IF NOT EXISTS passkey_challenges (
    challenge_id    TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    challenge       BLOB NOT NULL,
    user_id         TEXT,
    action          TEXT,
    idempotency_key TEXT,
    created_at      REAL NOT NULL,
    expires_at      REAL NOT NULL,
    used_at         REAL,
    verified_at     REAL,
    claimed_at      REAL
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
    device_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    custom: object = None  # the tracked custom attribute, as sent (JSON)
    scope: str | None = None
    #: The tracked (or entered, or enrolled) phone number, E.164.
    phone_number: str | None = None
    #: The method the outstanding code was sent for: EMAIL_OTP, SMS or WHATSAPP.
    code_channel: str | None = None
    #: The SHA-256 of the outstanding magic link's secret, its expiry and use.
    link_hash: str | None = None
    link_expires_at: float | None = None
    link_used_at: float | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Action":
        values = dict(row)
        values["custom"] = json.loads(values["custom"]) if values["custom"] is not None else None
        return cls(**values)


#: Columns a state file written before the user profile and authenticators
#: existed lacks; they are added on open (see ``_upgrade``).
_ADDED_USER_COLUMNS = {
    "phone_number": "TEXT",
    "phone_number_verified": "INTEGER NOT NULL DEFAULT 0",
    "username": "TEXT",
    "display_name": "TEXT",
    "custom": "TEXT",
    "locale": "TEXT",
    "default_verification_method": "TEXT",
}
#: Columns of other tables added since (the authenticator app, rules' attributes).
_ADDED_COLUMNS = {
    "authenticators": {"secret": "TEXT", "last_used_step": "INTEGER"},
    "actions": {"device_id": "TEXT", "ip_address": "TEXT", "user_agent": "TEXT", "custom": "TEXT", "scope": "TEXT",
                "phone_number": "TEXT", "code_channel": "TEXT", "link_hash": "TEXT",
                "link_expires_at": "REAL", "link_used_at": "REAL"},
    "messages": {"channel": "TEXT NOT NULL DEFAULT 'EMAIL'", "link": "TEXT"},
}


@dataclass(frozen=True)
class User:
    user_id: str
    email: str | None
    email_verified: bool
    created_at: float
    phone_number: str | None = None
    phone_number_verified: bool = False
    username: str | None = None
    display_name: str | None = None
    custom: dict | None = None
    locale: str | None = None
    default_verification_method: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "User":
        values = dict(row)
        values["email_verified"] = bool(values["email_verified"])
        values["phone_number_verified"] = bool(values["phone_number_verified"])
        values["custom"] = json.loads(values["custom"]) if values["custom"] is not None else None
        return cls(**values)


@dataclass(frozen=True)
class Authenticator:
    user_authenticator_id: str
    user_id: str
    verification_method: str
    email: str | None
    phone_number: str | None
    created_at: float
    verified_at: float
    last_verified_at: float | None
    #: The authenticator app's TOTP secret, and the last time step it was
    #: accepted for; never shown by the API.
    secret: str | None = field(default=None, repr=False)
    last_used_step: int | None = None
    #: A passkey's credential (id, AAGUID...), as the API shows it; None for other methods.
    webauthn_credential: dict | None = None


@dataclass(frozen=True)
class Passkey:
    credential_id: str  # base64url, as the browser's PublicKeyCredential.id
    user_authenticator_id: str
    user_id: str
    public_key: bytes = field(repr=False)
    sign_count: int
    aaguid: str | None
    device_type: str | None
    backed_up: bool
    transports: str | None  # comma-separated
    created_at: float
    last_verified_at: float | None

    def as_authenticator(self) -> "Authenticator":
        return Authenticator(
            user_authenticator_id=self.user_authenticator_id, user_id=self.user_id,
            verification_method="PASSKEY", email=None, phone_number=None,
            created_at=self.created_at, verified_at=self.created_at,
            last_verified_at=self.last_verified_at,
            webauthn_credential={
                "credentialId": self.credential_id,
                "deviceType": self.device_type,
                "credentialBackedUp": bool(self.backed_up),
                "aaguid": self.aaguid,
                "transports": self.transports.split(",") if self.transports else [],
            },
        )


@dataclass(frozen=True)
class PasskeyChallenge:
    challenge_id: str
    kind: str  # REGISTRATION or AUTHENTICATION
    challenge: bytes = field(repr=False)
    user_id: str | None
    action: str | None
    #: The action (challenge) this passkey challenge completes: the track
    #: token's, or, for a discoverable sign-in, the one verify creates.
    idempotency_key: str | None
    created_at: float
    expires_at: float
    used_at: float | None
    verified_at: float | None
    #: When a track with this challengeId took its result (once).
    claimed_at: float | None


@dataclass(frozen=True)
class PendingTotp:
    """An authenticator app enrolled but not yet verified with a code."""

    user_id: str
    user_authenticator_id: str
    secret: str = field(repr=False)
    created_at: float = 0.0


@dataclass(frozen=True)
class Message:
    id: int
    user_id: str
    recipient: str
    subject: str
    body: str
    code: str
    sent_at: float
    #: EMAIL, SMS or WHATSAPP.
    channel: str = "EMAIL"
    #: A magic link's URL (its code is then empty).
    link: str | None = None


class AuthsignalStore(TypedStore):
    SCHEMA = SCHEMA

    def __init__(self, path: str | Path | None = None):
        super().__init__(path)
        self._upgrade()

    def _upgrade(self) -> None:
        """Bring a state file from an earlier version up to date: add the
        columns, and give each user with a verified email (enrolled, before
        authenticators existed) the email OTP authenticator that now stands for it."""
        with self.transaction() as db:
            for table, columns in _ADDED_COLUMNS.items():
                present = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns.items():
                    if name not in present:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            present = {row["name"] for row in db.execute("PRAGMA table_info(users)")}
            missing = {name: kind for name, kind in _ADDED_USER_COLUMNS.items() if name not in present}
            for name, kind in missing.items():
                db.execute(f"ALTER TABLE users ADD COLUMN {name} {kind}")
            if missing:
                for row in db.execute(
                    "SELECT user_id, email, created_at FROM users WHERE email_verified = 1 AND email IS NOT NULL"
                ).fetchall():
                    db.execute(
                        "INSERT OR IGNORE INTO authenticators (user_authenticator_id, user_id, "
                        "verification_method, email, created_at, verified_at) VALUES (?,?,?,?,?,?)",
                        (str(uuid.uuid4()), row["user_id"], "EMAIL_OTP", row["email"],
                         row["created_at"], row["created_at"]),
                    )

    # users
    def get_user(self, user_id: str) -> User | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
        return User.from_row(row) if row else None

    def ensure_user(self, user_id: str, now: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO users (user_id, created_at) VALUES (?, ?)",
                (user_id, now),
            )

    def update_user(self, user_id: str, **changes) -> None:
        allowed = set(User.__dataclass_fields__) - {"user_id", "created_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if not changes:
            return
        if "custom" in changes and changes["custom"] is not None:
            changes["custom"] = json.dumps(changes["custom"])
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self.transaction() as db:
            db.execute(
                f"UPDATE users SET {assignments} WHERE user_id = ?",
                (*changes.values(), user_id),
            )

    def delete_user(self, user_id: str, with_actions: bool) -> None:
        """Remove the user's attributes and authenticators; its actions too
        if asked. A user whose actions stay keeps a bare row for them."""
        with self.transaction() as db:
            db.execute("DELETE FROM authenticators WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM pending_totp WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM passkeys WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM known_devices WHERE user_id = ?", (user_id,))
            if with_actions:
                db.execute("DELETE FROM actions WHERE user_id = ?", (user_id,))
            db.execute(
                "DELETE FROM users WHERE user_id = ? "
                "AND NOT EXISTS (SELECT 1 FROM actions WHERE actions.user_id = users.user_id)",
                (user_id,),
            )
            db.execute(
                "UPDATE users SET email = NULL, email_verified = 0, phone_number = NULL, "
                "phone_number_verified = 0, username = NULL, display_name = NULL, custom = NULL, "
                "locale = NULL, default_verification_method = NULL WHERE user_id = ?",
                (user_id,),
            )

    def query_users(self, email: str | None, phone_number: str | None, username: str | None,
                    after: str | None, limit: int) -> list[User]:
        """Users matching every filter given (email case-insensitively), by user id."""
        clauses, params = [], []
        if email is not None:
            clauses.append("email = ? COLLATE NOCASE")
            params.append(email)
        if phone_number is not None:
            clauses.append("phone_number = ?")
            params.append(phone_number)
        if username is not None:
            clauses.append("username = ?")
            params.append(username)
        if after is not None:
            clauses.append("user_id > ?")
            params.append(after)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.transaction() as db:
            rows = db.execute(
                f"SELECT * FROM users{where} ORDER BY user_id LIMIT ?", (*params, limit)
            ).fetchall()
        return [User.from_row(row) for row in rows]

    # authenticators
    def authenticators(self, user_id: str) -> list[Authenticator]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT * FROM authenticators WHERE user_id = ? ORDER BY created_at, rowid", (user_id,)
            ).fetchall()
        return [Authenticator(**dict(row)) for row in rows] + [
            p.as_authenticator() for p in self.passkeys(user_id)
        ]

    # passkeys (any number per user) and their challenges
    def passkeys(self, user_id: str) -> list[Passkey]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, rowid", (user_id,)
            ).fetchall()
        return [Passkey(**dict(row)) for row in rows]

    def passkey(self, credential_id: str) -> Passkey | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM passkeys WHERE credential_id = ?", (credential_id,)).fetchone()
        return Passkey(**dict(row)) if row else None

    def save_passkey(self, passkey: Passkey) -> None:
        values = dict(passkey.__dict__)
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO passkeys ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )

    def passkey_used(self, credential_id: str, sign_count: int, now: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE passkeys SET sign_count = ?, last_verified_at = ? WHERE credential_id = ?",
                       (sign_count, now, credential_id))

    def insert_passkey_challenge(self, challenge: PasskeyChallenge) -> None:
        values = dict(challenge.__dict__)
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO passkey_challenges ({', '.join(values)}) "
                f"VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )

    def passkey_challenge(self, challenge_id: str) -> PasskeyChallenge | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM passkey_challenges WHERE challenge_id = ?", (challenge_id,)).fetchone()
        return PasskeyChallenge(**dict(row)) if row else None

    def update_passkey_challenge(self, challenge_id: str, **changes) -> None:
        columns = ", ".join(f"{name} = ?" for name in changes)
        with self.transaction() as db:
            db.execute(f"UPDATE passkey_challenges SET {columns} WHERE challenge_id = ?",
                       (*changes.values(), challenge_id))

    def latest_passkey_challenge(self, user_id: str, action: str, now: float) -> PasskeyChallenge | None:
        """The newest unexpired passkey sign-in of this user and action that
        is verified and not yet taken by a track: the one a track may link."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM passkey_challenges WHERE kind = 'AUTHENTICATION' AND user_id = ? "
                "AND action = ? AND expires_at > ? AND verified_at IS NOT NULL AND claimed_at IS NULL "
                "ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (user_id, action, now),
            ).fetchone()
        return PasskeyChallenge(**dict(row)) if row else None

    def save_authenticator(self, user_id: str, method: str, email: str | None,
                           phone_number: str | None, now: float) -> Authenticator:
        """Enroll ``method`` for the user; one per method, so enrolling it
        again replaces its email or phone number and keeps its id."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO authenticators (user_authenticator_id, user_id, verification_method, "
                "email, phone_number, created_at, verified_at) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT (user_id, verification_method) DO UPDATE SET "
                "email = excluded.email, phone_number = excluded.phone_number, "
                "verified_at = excluded.verified_at",
                (str(uuid.uuid4()), user_id, method, email, phone_number, now, now),
            )
            row = db.execute(
                "SELECT * FROM authenticators WHERE user_id = ? AND verification_method = ?",
                (user_id, method),
            ).fetchone()
        return Authenticator(**dict(row))

    def save_totp_authenticator(self, pending: PendingTotp, method: str, step: int, now: float) -> Authenticator:
        """Turn a verified pending authenticator app into the user's one (replacing any)."""
        with self.transaction() as db:
            db.execute("DELETE FROM authenticators WHERE user_id = ? AND verification_method = ?",
                       (pending.user_id, method))
            db.execute(
                "INSERT INTO authenticators (user_authenticator_id, user_id, verification_method, "
                "created_at, verified_at, last_verified_at, secret, last_used_step) VALUES (?,?,?,?,?,?,?,?)",
                (pending.user_authenticator_id, pending.user_id, method, now, now, now, pending.secret, step),
            )
            db.execute("DELETE FROM pending_totp WHERE user_id = ?", (pending.user_id,))
            row = db.execute(
                "SELECT * FROM authenticators WHERE user_id = ? AND verification_method = ?",
                (pending.user_id, method),
            ).fetchone()
        return Authenticator(**dict(row))

    def authenticator(self, user_id: str, method: str) -> Authenticator | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM authenticators WHERE user_id = ? AND verification_method = ?",
                (user_id, method),
            ).fetchone()
        return Authenticator(**dict(row)) if row else None

    def set_last_used_step(self, user_id: str, method: str, step: int, now: float) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE authenticators SET last_used_step = ?, last_verified_at = ? "
                "WHERE user_id = ? AND verification_method = ?",
                (step, now, user_id, method),
            )

    # pending authenticator apps
    def save_pending_totp(self, pending: PendingTotp) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO pending_totp (user_id, user_authenticator_id, secret, created_at) "
                "VALUES (?,?,?,?)",
                (pending.user_id, pending.user_authenticator_id, pending.secret, pending.created_at),
            )

    def pending_totp(self, user_id: str) -> PendingTotp | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM pending_totp WHERE user_id = ?", (user_id,)).fetchone()
        return PendingTotp(**dict(row)) if row else None

    # devices seen in successful sign-ins (the rules' knownDevice)
    def remember_device(self, user_id: str, device_id: str, now: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO known_devices (user_id, device_id, first_seen_at, last_seen_at) VALUES (?,?,?,?) "
                "ON CONFLICT (user_id, device_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
                (user_id, device_id, now, now),
            )

    def is_known_device(self, user_id: str, device_id: str) -> bool:
        with self.transaction() as db:
            row = db.execute(
                "SELECT 1 FROM known_devices WHERE user_id = ? AND device_id = ?", (user_id, device_id)
            ).fetchone()
        return row is not None

    def set_authenticator_contact(self, user_id: str, methods: tuple[str, ...], column: str,
                                  value: str) -> None:
        """Point the user's authenticators of ``methods`` at a new email or phone number."""
        if column not in ("email", "phone_number"):
            raise ValueError(column)
        marks = ",".join("?" for _ in methods)
        with self.transaction() as db:
            db.execute(
                f"UPDATE authenticators SET {column} = ? WHERE user_id = ? AND verification_method IN ({marks})",
                (value, user_id, *methods),
            )

    def mark_authenticator_used(self, user_id: str, method: str, now: float) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE authenticators SET last_verified_at = ? WHERE user_id = ? AND verification_method = ?",
                (now, user_id, method),
            )

    def delete_authenticator(self, user_id: str, user_authenticator_id: str) -> bool:
        with self.transaction() as db:
            cursor = db.execute(
                "DELETE FROM authenticators WHERE user_id = ? AND user_authenticator_id = ?",
                (user_id, user_authenticator_id),
            )
            deleted = cursor.rowcount
            cursor = db.execute(
                "DELETE FROM passkeys WHERE user_id = ? AND user_authenticator_id = ?",
                (user_id, user_authenticator_id),
            )
        return deleted + cursor.rowcount > 0

    # actions
    def insert_action(self, action: Action) -> None:
        values = dict(action.__dict__)
        values["custom"] = json.dumps(values["custom"]) if values["custom"] is not None else None
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.transaction() as db:
            try:
                db.execute(f"INSERT INTO actions ({columns}) VALUES ({marks})", tuple(values.values()))
            except sqlite3.IntegrityError as exc:
                raise KeyError(action.idempotency_key) from exc

    def get_action(self, idempotency_key: str) -> Action | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM actions WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return Action.from_row(row) if row else None

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

    def action_by_link(self, link_hash: str) -> Action | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM actions WHERE link_hash = ?", (link_hash,)).fetchone()
        return Action.from_row(row) if row else None

    # inbox
    def add_message(self, user_id: str, idempotency_key: str, recipient: str,
                    subject: str, body: str, code: str, sent_at: float,
                    channel: str = "EMAIL", link: str | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO messages (user_id, idempotency_key, recipient, subject, body, code, sent_at,"
                " channel, link) VALUES (?,?,?,?,?,?,?,?,?)",
                (user_id, idempotency_key, recipient, subject, body, code, sent_at, channel, link),
            )

    def sends_since(self, user_id: str, since: float, channel: str = "EMAIL") -> list[float]:
        """When the user was sent messages on ``channel`` after ``since`` (the limits are per channel)."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT sent_at FROM messages WHERE user_id = ? AND channel = ? AND sent_at > ? ORDER BY sent_at",
                (user_id, channel, since),
            ).fetchall()
        return [row["sent_at"] for row in rows]

    def messages(self, recipient: str | None = None, limit: int = 200) -> list[Message]:
        query = "SELECT id, user_id, recipient, subject, body, code, sent_at, channel, link FROM messages"
        params: tuple = ()
        if recipient is not None:
            query += " WHERE recipient = ? COLLATE NOCASE"
            params = (recipient,)
        query += " ORDER BY id DESC LIMIT ?"
        with self.transaction() as db:
            rows = db.execute(query, (*params, limit)).fetchall()
        return [Message(**dict(row)) for row in rows]
