"""Storage of the local Cognito: the pool (with its signing key), the app
client, users and their password verifiers, auth sessions, refresh tokens,
password-reset codes and the dev inbox.

Sessions, refresh tokens, SRP secret blocks and reset codes are stored by
SHA-256 digest only, and passwords only as SRP verifiers (salt and
``g^x``), so a state file never holds a usable token or a password.
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
    used               INTEGER NOT NULL DEFAULT 0,
    srp                TEXT,
    secret_block_digest TEXT
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
CREATE TABLE IF NOT EXISTS passwords (
    username        TEXT PRIMARY KEY REFERENCES users(username) ON DELETE CASCADE,
    salt            TEXT,
    verifier        TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_failed_at  REAL,
    locked_until    REAL
);
CREATE TABLE IF NOT EXISTS reset_codes (
    username        TEXT PRIMARY KEY REFERENCES users(username) ON DELETE CASCADE,
    code_digest     TEXT NOT NULL,
    expires_at      REAL NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reset_requests (
    username     TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    requested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reset_requests_by_user ON reset_requests (username, requested_at);
CREATE TABLE IF NOT EXISTS inbox (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    code      TEXT,
    sent_at   REAL NOT NULL
);
"""

#: Columns added since the first state files; :meth:`CognitoStore._migrate`
#: adds them to an older file's table.
_ADDED_REFRESH_TOKEN_COLUMNS = {"family": "TEXT", "usable_until": "REAL"}
_ADDED_SESSION_COLUMNS = {"srp": "TEXT", "secret_block_digest": "TEXT"}


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
    #: A PASSWORD_VERIFIER session's SRP state: the key the client must sign
    #: with (hex), the salt it was derived with (a reset in between makes the
    #: claim fail) and whether it is a stand-in for an unknown user.
    srp: dict | None = None
    #: SHA-256 of the SECRET_BLOCK handed out with a PASSWORD_VERIFIER challenge.
    secret_block_digest: str | None = None


@dataclass(frozen=True)
class Credentials:
    """A user's password, as a verifier (None for users from state files
    written before passwords were kept), and their failed attempts."""

    username: str
    salt: str | None
    verifier: str | None
    failed_attempts: int
    last_failed_at: float | None
    locked_until: float | None


@dataclass(frozen=True)
class ResetCode:
    username: str
    code_digest: str
    expires_at: float
    failed_attempts: int


@dataclass(frozen=True)
class Message:
    """An email of the dev inbox."""

    id: int
    recipient: str
    subject: str
    body: str
    code: str | None
    sent_at: float


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
            present = {row["name"] for row in db.execute("PRAGMA table_info(sessions)")}
            for column, kind in _ADDED_SESSION_COLUMNS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE sessions ADD COLUMN {column} {kind}")
            db.execute(
                "CREATE INDEX IF NOT EXISTS sessions_by_secret_block ON sessions (secret_block_digest)"
            )

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
                "INSERT INTO sessions (digest, client_id, username, alias, user_not_found, history,"
                " challenge_name, private_parameters, challenge_metadata, expires_at, used, srp,"
                " secret_block_digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (session.digest, session.client_id, session.username, session.alias,
                 int(session.user_not_found),
                 json.dumps([result.__dict__ for result in session.history]),
                 session.challenge_name, json.dumps(session.private_parameters),
                 session.challenge_metadata, session.expires_at, int(session.used),
                 json.dumps(session.srp) if session.srp is not None else None,
                 session.secret_block_digest),
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
                "srp": json.loads(row["srp"]) if row["srp"] else None,
            }
        )

    def find_session_by_secret_block(self, secret_block_digest: str) -> str | None:
        """The digest of the session that handed out this SECRET_BLOCK."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT digest FROM sessions WHERE secret_block_digest = ?", (secret_block_digest,)
            ).fetchone()
        return row["digest"] if row else None

    def mark_session_used(self, digest: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sessions SET used = 1 WHERE digest = ?", (digest,))

    def delete_sessions_expired_before(self, cutoff: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (cutoff,))

    # passwords (SRP verifiers) and failed attempts
    def get_credentials(self, username: str) -> Credentials | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM passwords WHERE username = ?", (username,)).fetchone()
        return Credentials(**dict(row)) if row else None

    def set_password_verifier(self, username: str, salt: str, verifier: str) -> None:
        """A new password: its verifier, and no failed attempts or lockout."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO passwords (username, salt, verifier) VALUES (?,?,?)"
                " ON CONFLICT(username) DO UPDATE SET salt = excluded.salt, verifier = excluded.verifier,"
                " failed_attempts = 0, last_failed_at = NULL, locked_until = NULL",
                (username, salt, verifier),
            )

    def record_password_failure(self, username: str, failed_attempts: int, now: float,
                                locked_until: float | None) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO passwords (username, failed_attempts, last_failed_at, locked_until)"
                " VALUES (?,?,?,?) ON CONFLICT(username) DO UPDATE SET"
                " failed_attempts = excluded.failed_attempts, last_failed_at = excluded.last_failed_at,"
                " locked_until = excluded.locked_until",
                (username, failed_attempts, now, locked_until),
            )

    def clear_password_failures(self, username: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE passwords SET failed_attempts = 0, last_failed_at = NULL, locked_until = NULL"
                " WHERE username = ?",
                (username,),
            )

    # password reset codes
    def get_reset_code(self, username: str) -> ResetCode | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM reset_codes WHERE username = ?", (username,)).fetchone()
        return ResetCode(**dict(row)) if row else None

    def put_reset_code(self, username: str, code_digest: str, expires_at: float, requested_at: float) -> None:
        """The user's one valid code (a new one replaces any earlier), and the request, for the limit."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO reset_codes (username, code_digest, expires_at, failed_attempts)"
                " VALUES (?,?,?,0)",
                (username, code_digest, expires_at),
            )
            db.execute("INSERT INTO reset_requests VALUES (?,?)", (username, requested_at))

    def count_failed_reset_attempt(self, username: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE reset_codes SET failed_attempts = failed_attempts + 1 WHERE username = ?", (username,)
            )

    def delete_reset_code(self, username: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM reset_codes WHERE username = ?", (username,))

    def count_reset_requests_since(self, username: str, since: float) -> int:
        with self.transaction() as db:
            db.execute("DELETE FROM reset_requests WHERE requested_at <= ?", (since - 86400,))
            return db.execute(
                "SELECT COUNT(*) FROM reset_requests WHERE username = ? AND requested_at > ?", (username, since)
            ).fetchone()[0]

    # dev inbox
    def add_message(self, recipient: str, subject: str, body: str, code: str | None, sent_at: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO inbox (recipient, subject, body, code, sent_at) VALUES (?,?,?,?,?)",
                (recipient, subject, body, code, sent_at),
            )

    def messages(self, recipient: str | None = None, limit: int = 200) -> list[Message]:
        """Newest first; ``recipient`` compared case-insensitively."""
        query, params = "SELECT * FROM inbox", ()
        if recipient is not None:
            query, params = query + " WHERE recipient = ? COLLATE NOCASE", (recipient,)
        with self.transaction() as db:
            rows = db.execute(query + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [Message(**dict(row)) for row in rows]

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
