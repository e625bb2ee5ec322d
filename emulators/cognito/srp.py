"""The server side of the Secure Remote Password protocol (SRP-6a) as Amazon
Cognito runs it for ``PASSWORD_VERIFIER``, and the password verifiers the
local Cognito keeps instead of passwords.

The arithmetic is SRP-6a (RFC 2945, RFC 5054) over a :class:`Group`: the
modulus ``N``, the generator ``g``, the hash, and how a number is written
before it is hashed. With RFC 5054's 1024-bit group, SHA-1 and padding to the
length of ``N`` it reproduces the RFC's test vectors (Appendix B); with
Cognito's choices (:data:`COGNITO`: the 3072-bit group of RFC 5054 appendix
A, SHA-256, numbers as even-length hex with a ``00`` byte before a set top
bit, as Amplify's and pycognito's ``padHex`` write them) it speaks to
Cognito's clients:

- ``x = H(salt | H(poolName + userIdForSrp + ":" + password))``, where
  ``poolName`` is the part of the pool id after ``_``; ``v = g^x``;
- ``k = H(pad(N) | pad(g))``, ``B = (k*v + g^b) mod N``, ``u = H(pad(A) | pad(B))``;
- ``S = (A * v^u)^b mod N``; the client's key is the first 16 bytes of HKDF
  over ``pad(S)`` with salt ``pad(u)`` and info ``"Caldera Derived Key"``;
- ``PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key, poolName + userIdForSrp
  + secretBlock + TIMESTAMP))``, with ``TIMESTAMP`` as
  ``EEE MMM d HH:mm:ss UTC yyyy`` (day without a leading zero).

The server refuses ``A mod N == 0`` and ``u == 0`` (RFC 5054 section 2.5.4).
Random values come from :mod:`secrets`. pycognito's constants and its two
primitives that are the same math on both sides (``pad_hex``, ``compute_hkdf``)
are reused; the server's formulas are this module's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from pycognito.aws_srp import G_HEX, N_HEX, compute_hkdf, pad_hex

#: Bytes of a new verifier's random salt (Cognito's clients use 16 too).
SALT_BYTES = 16
#: How far TIMESTAMP may be from the local Cognito's clock, either way. AWS's
#: own tolerance is not published.
TIMESTAMP_TOLERANCE_SECONDS = 300.0

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: ``EEE MMM d HH:mm:ss UTC yyyy``, in English, the day without a leading zero.
_TIMESTAMP = re.compile(
    r"^(?P<weekday>%s) (?P<month>%s) (?P<day>[1-9]|[12]\d|3[01]) "
    r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d):(?P<second>[0-5]\d) UTC (?P<year>\d{4})$"
    % ("|".join(_WEEKDAYS), "|".join(_MONTHS))
)
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class SrpError(ValueError):
    """A value the protocol says to refuse (``A mod N == 0``, ``u == 0``)."""


@dataclass(frozen=True)
class Group:
    """What both sides must agree on: ``N``, ``g``, the hash, and how a
    number is written (``pad``) before it is hashed."""

    N: int
    g: int
    hash: Callable[[bytes], bytes]
    pad: Callable[[int], bytes]

    def H(self, *parts: bytes) -> int:
        """The hash of the concatenated parts, as a number."""
        return int.from_bytes(self.hash(b"".join(parts)), "big")

    @property
    def k(self) -> int:
        """The SRP-6a multiplier ``H(pad(N) | pad(g))``."""
        return self.H(self.pad(self.N), self.pad(self.g))


def private_key(group: Group, salt: bytes, identity: bytes, password: bytes) -> int:
    """``x = H(salt | H(identity | ":" | password))``."""
    return group.H(salt, group.hash(identity + b":" + password))


def verifier(group: Group, x: int) -> int:
    """``v = g^x mod N``: what the server keeps instead of the password."""
    return pow(group.g, x, group.N)


def server_public(group: Group, v: int, b: int) -> int:
    """``B = (k*v + g^b) mod N``."""
    return (group.k * v + pow(group.g, b, group.N)) % group.N


def scrambler(group: Group, A: int, B: int) -> int:
    """``u = H(pad(A) | pad(B))``."""
    return group.H(group.pad(A), group.pad(B))


def new_secret(group: Group) -> int:
    """A server ephemeral ``b``, uniformly in [1, N-1]."""
    return 1 + secrets.randbelow(group.N - 1)


@dataclass(frozen=True)
class Exchange:
    """The server's half of one handshake: ``B`` goes to the client, ``u``
    and the premaster secret ``S`` stay."""

    B: int
    u: int
    S: int


def server_exchange(group: Group, v: int, A: int, b: int | None = None) -> Exchange:
    """Answer the client's ``A`` for verifier ``v``: ``B``, ``u`` and
    ``S = (A * v^u)^b mod N``; ``b`` is fresh unless given (test vectors).
    :class:`SrpError` for ``A mod N == 0`` or ``u == 0``."""
    if A % group.N == 0:
        raise SrpError("A mod N is 0")
    b = new_secret(group) if b is None else b
    B = server_public(group, v, b)
    u = scrambler(group, A, B)
    if u == 0:
        raise SrpError("u is 0")
    S = pow(A * pow(v, u, group.N) % group.N, b, group.N)
    return Exchange(B=B, u=u, S=S)


# ----- Cognito's choices --------------------------------------------------------
def cognito_pad(n: int) -> bytes:
    """A number as Cognito's clients hash it: even-length hex, with ``00``
    before a set top bit (so it reads as positive), as bytes."""
    return bytes.fromhex(pad_hex(n))


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


COGNITO = Group(N=int(N_HEX, 16), g=int(G_HEX, 16), hash=_sha256, pad=cognito_pad)


def pool_name(pool_id: str) -> str:
    """What Cognito's SRP hashes for the pool: its id after the region and ``_``."""
    return pool_id.split("_", 1)[1]


@dataclass(frozen=True)
class PasswordVerifier:
    """A user's password as the server keeps it. ``salt`` is in the form the
    clients hash it (``cognito_pad`` of the random salt), so that ``SALT`` is
    its hex and reads back to the same bytes in every client."""

    salt: bytes
    verifier: int

    @property
    def salt_hex(self) -> str:
        return self.salt.hex()

    @property
    def verifier_hex(self) -> str:
        return format(self.verifier, "x")

    @classmethod
    def from_hex(cls, salt_hex: str, verifier_hex: str) -> "PasswordVerifier":
        return cls(bytes.fromhex(salt_hex), int(verifier_hex, 16))


def make_verifier(pool_id: str, user_id: str, password: str, salt: bytes | None = None) -> PasswordVerifier:
    """The verifier of ``password`` for ``user_id`` (the USER_ID_FOR_SRP: the
    internal user name) in ``pool_id``, with a new random salt unless given."""
    if salt is None:
        salt = cognito_pad(int.from_bytes(secrets.token_bytes(SALT_BYTES), "big"))
    identity = (pool_name(pool_id) + user_id).encode()
    x = private_key(COGNITO, salt, identity, password.encode("utf-8"))
    return PasswordVerifier(salt=salt, verifier=verifier(COGNITO, x))


def parse_public_value(text: str, max_hex_digits: int = 2048) -> int:
    """``SRP_A`` as sent: hexadecimal. ValueError when it is not."""
    if not text or len(text) > max_hex_digits or not _HEX.match(text):
        raise ValueError("not a hexadecimal number")
    return int(text, 16)


def password_key(exchange: Exchange) -> bytes:
    """The 16-byte key both sides derive (HKDF, info "Caldera Derived Key")."""
    return compute_hkdf(cognito_pad(exchange.S), cognito_pad(exchange.u))


def claim_signature(key: bytes, pool_id: str, user_id: str, secret_block: bytes, timestamp: str) -> bytes:
    """The expected ``PASSWORD_CLAIM_SIGNATURE``, before base64."""
    message = pool_name(pool_id).encode() + user_id.encode() + secret_block + timestamp.encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def signature_matches(expected: bytes, given: str) -> bool:
    """Whether the base64 ``given`` is ``expected``, compared in constant time."""
    try:
        decoded = base64.b64decode(given.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(decoded, expected)


def parse_timestamp(text: str) -> datetime:
    """``TIMESTAMP`` in AWS's format, e.g. ``Tue Jan 7 09:05:03 UTC 2025``, as
    an aware datetime. ValueError for anything else (a day with a leading zero
    included). The weekday name is read, not checked against the date."""
    match = _TIMESTAMP.match(text)
    if not match:
        raise ValueError("TIMESTAMP is not in the format EEE MMM d HH:mm:ss UTC yyyy")
    return datetime(
        int(match["year"]), _MONTHS.index(match["month"]) + 1, int(match["day"]),
        int(match["hour"]), int(match["minute"]), int(match["second"]), tzinfo=timezone.utc,
    )


def format_timestamp(moment: datetime) -> str:
    """A UTC moment as Cognito's clients write TIMESTAMP."""
    moment = moment.astimezone(timezone.utc)
    return (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day} "
        f"{moment:%H:%M:%S} UTC {moment.year}"
    )


def timestamp_is_current(moment: datetime, now: float, tolerance: float = TIMESTAMP_TOLERANCE_SECONDS) -> bool:
    return abs(moment.timestamp() - now) <= tolerance
