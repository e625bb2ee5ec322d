"""Storage of the local Cognito: the pool (with its signing key), the app
client, users, auth sessions and refresh tokens.

Sessions and refresh tokens are stored by SHA-256 digest only, so a state
file never holds a usable token.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from ..sqlite_store import TypedStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS pool (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    region          TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    decoy_salt      TEXT NOT NULL,
    created_at      REAL NOT NULL,
    modified_at     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    client_id   TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES pool(id),
    name        TEXT NOT NULL,
    secret      TEXT,
    created_at  REAL NOT NULL,
    modified_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    username    TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL UNIQUE,
    attributes  TEXT NOT NULL,
    status      TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  REAL NOT NULL,
    modified_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    digest             TEXT PRIMARY KEY,
    client_id          TEXT NOT NULL,
    username           TEXT NOT NULL,
    alias              TEXT NOT NULL,
    user_not_found     INTEGER NOT NULL,
    history            TEXT NOT NULL,
    challenge_name     TEXT NOT NULL,
    private_parameters TEXT NOT NULL,
    challenge_metadata TEXT,
    expires_at         REAL NOT NULL,
    used               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    digest       TEXT PRIMARY KEY,
    jti          TEXT NOT NULL UNIQUE,
    username     TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    auth_time    INTEGER NOT NULL,
    expires_at   REAL NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0,
    family       TEXT,
    usable_until REAL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_user ON refresh_tokens (username);
"""

#: Columns added since the first state files; :meth:`CognitoStore._migrate`
#: adds them to an older file's table.
_ADDED_REFRESH_TOKEN_COLUMNS = {"family": "TEXT", "usable_until": "REAL"}


@dataclass(frozen=True)
class Pool:
    id: str
    name: str
    region: str
    private_key_pem: str
    #: Keys the made-up user names of unknown users (see the service).
    decoy_salt: str
    created_at: float
    modified_at: float


@dataclass(frozen=True)
class Client:
    client_id: str
    pool_id: str
    name: str
    secret: str | None
    created_at: float
    modified_at: float


@dataclass(frozen=True)
class User:
    username: str
    email: str
    #: All attributes as Cognito reports them: strings, including ``sub``.
    attributes: dict[str, str]
    status: str
    enabled: bool
    created_at: float
    modified_at: float


@dataclass(frozen=True)
class ChallengeResult:
    challenge_name: str
    challenge_result: bool
    challenge_metadata: str | None

    def event_shape(self) -> dict:
        return {
            "challengeName": self.challenge_name,
            "challengeResult": self.challenge_result,
            "challengeMetadata": self.challenge_metadata,
        }


@dataclass(frozen=True)
class AuthSession:
    digest: str
    client_id: str
    username: str
    #: The name the client signed in with (an email, or the user name).
    alias: str
    user_not_found: bool
    history: tuple[ChallengeResult, ...]
    challenge_name: str
    private_parameters: dict[str, str]
    challenge_metadata: str | None
    expires_at: float
    used: bool


@dataclass(frozen=True)
class RefreshToken:
    digest: str
    jti: str
    username: str
    client_id: str
    auth_time: int
    expires_at: float
    revoked: bool
    #: The ``jti`` of the sign-in's first refresh token, shared by the ones
    #: rotation replaces it with: the ``origin_jti`` of all their access and
    #: ID tokens. Revoking any token of a family revokes them all.
    family: str
    #: None until rotation replaces the token; then when it stops working
    #: (the rotation's time plus the retry grace period).
    usable_until: float | None = None


def email_key(email: str) -> str:
    """Emails as sign-in aliases are case-insensitive."""
    return email.lower()


class CognitoStore(TypedStore):
    SCHEMA = SCHEMA

    def __init__(self, path: str | None = None):
        super().__init__(path)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a state file written by an earlier version up to this schema."""
        with self.transaction() as db:
            present = {row["name"] for row in db.execute("PRAGMA table_info(refresh_tokens)")}
            for column, kind in _ADDED_REFRESH_TOKEN_COLUMNS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE refresh_tokens ADD COLUMN {column} {kind}")
            # Before rotation, each token was a family of its own.
            db.execute("UPDATE refresh_tokens SET family = jti WHERE family IS NULL")
            db.execute("CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family)")

    # pool and client
    def get_pool(self) -> Pool | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM pool").fetchone()
        return Pool(**dict(row)) if row else None

    def insert_pool(self, pool: Pool) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO pool VALUES (?,?,?,?,?,?,?)",
                (pool.id, pool.name, pool.region, pool.private_key_pem, pool.decoy_salt,
                 pool.created_at, pool.modified_at),
            )

    def update_pool(self, name: str, modified_at: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE pool SET name = ?, modified_at = ?", (name, modified_at))

    def list_clients(self) -> list[Client]:
        with self.transaction() as db:
            rows = db.execute("SELECT * FROM clients ORDER BY created_at").fetchall()
        return [Client(**dict(row)) for row in rows]

    def insert_client(self, client: Client) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO clients VALUES (?,?,?,?,?,?)",
                (client.client_id, client.pool_id, client.name, client.secret,
                 client.created_at, client.modified_at),
            )

    def update_client(self, client_id: str, name: str, secret: str | None, modified_at: float) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE clients SET name = ?, secret = ?, modified_at = ? WHERE client_id = ?",
                (name, secret, modified_at, client_id),
            )

    # users
    def insert_user(self, user: User) -> None:
        """Raise :class:`KeyError` when the email is taken."""
        with self.transaction() as db:
            try:
                db.execute(
                    "INSERT INTO users VALUES (?,?,?,?,?,?,?,?)",
                    (user.username, user.email, email_key(user.email), json.dumps(user.attributes),
                     user.status, int(user.enabled), user.created_at, user.modified_at),
                )
            except sqlite3.IntegrityError as exc:
                raise KeyError(user.email) from exc

    def get_user(self, username: str) -> User | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return _user(row)

    def find_user_by_email(self, email: str) -> User | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM users WHERE email_key = ?", (email_key(email),)).fetchone()
        return _user(row)

    def delete_user(self, username: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM users WHERE username = ?", (username,))

    def count_users(self) -> int:
        with self.transaction() as db:
            return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]

    # auth sessions
    def insert_session(self, session: AuthSession) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (session.digest, session.client_id, session.username, session.alias,
                 int(session.user_not_found),
                 json.dumps([result.__dict__ for result in session.history]),
                 session.challenge_name, json.dumps(session.private_parameters),
                 session.challenge_metadata, session.expires_at, int(session.used)),
            )

    def get_session(self, digest: str) -> AuthSession | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM sessions WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            return None
        return AuthSession(
            **{
                **dict(row),
                "user_not_found": bool(row["user_not_found"]),
                "history": tuple(ChallengeResult(**item) for item in json.loads(row["history"])),
                "private_parameters": json.loads(row["private_parameters"]),
                "used": bool(row["used"]),
            }
        )

    def mark_session_used(self, digest: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sessions SET used = 1 WHERE digest = ?", (digest,))

    def delete_sessions_expired_before(self, cutoff: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (cutoff,))

    # refresh tokens
    def insert_refresh_token(self, token: RefreshToken) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO refresh_tokens (digest, jti, username, client_id, auth_time, expires_at, revoked,"
                " family, usable_until) VALUES (?,?,?,?,?,?,?,?,?)",
                (token.digest, token.jti, token.username, token.client_id, token.auth_time,
                 token.expires_at, int(token.revoked), token.family, token.usable_until),
            )

    def get_refresh_token(self, digest: str) -> RefreshToken | None:
        return self._refresh_token("digest", digest)

    def get_refresh_token_by_jti(self, jti: str) -> RefreshToken | None:
        return self._refresh_token("jti", jti)

    def revoke_refresh_token(self, digest: str) -> None:
        """Revoke the token and the rest of its family (see :class:`RefreshToken`)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE refresh_tokens SET revoked = 1"
                " WHERE family = (SELECT family FROM refresh_tokens WHERE digest = ?)",
                (digest,),
            )

    def retire_refresh_token(self, digest: str, usable_until: float) -> None:
        """Rotation replaced the token: it works until ``usable_until``. A token
        already retired keeps its earlier limit (retries do not extend it)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE refresh_tokens SET usable_until = ? WHERE digest = ? AND usable_until IS NULL",
                (usable_until, digest),
            )

    def revoke_user_refresh_tokens(self, username: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE username = ?", (username,))

    def _refresh_token(self, column: str, value: str) -> RefreshToken | None:
        with self.transaction() as db:
            row = db.execute(f"SELECT * FROM refresh_tokens WHERE {column} = ?", (value,)).fetchone()
        return RefreshToken(**{**dict(row), "revoked": bool(row["revoked"])}) if row else None


def _user(row: sqlite3.Row | None) -> User | None:
    if row is None:
        return None
    fields = dict(row)
    fields.pop("email_key")
    return User(
        **{**fields, "attributes": json.loads(row["attributes"]), "enabled": bool(row["enabled"])}
    )
