"""The SRP arithmetic of the local Cognito: RFC 5054's published test vectors
(Appendix B: the 1024-bit group, SHA-1, padding to the length of N), and
full handshakes with pycognito's AWSSRP as the client over Cognito's group."""

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest
from pycognito.aws_srp import AWSSRP, G_HEX, N_HEX, hex_hash, pad_hex

from emulators.cognito import srp


def h(text: str) -> int:
    return int("".join(text.split()), 16)


# RFC 5054, Appendix A (the 1024-bit group) and Appendix B (the test vectors).
RFC_N = h("""
    EEAF0AB9 ADB38DD6 9C33F80A FA8FC5E8 60726187 75FF3C0B 9EA2314C
    9C256576 D674DF74 96EA81D3 383B4813 D692C6E0 E0D5D8E2 50B98BE4
    8E495C1D 6089DAD1 5DC7D7B4 6154D6B6 CE8EF4AD 69B15D49 82559B29
    7BCF1885 C529F566 660E57EC 68EDBC3C 05726CC0 2FD4CBF4 976EAA9A
    FD5138FE 8376435B 9FC61D2F C0EB06E3""")
RFC_I, RFC_P = b"alice", b"password123"
RFC_SALT = bytes.fromhex("BEB25379D1A8581EB5A727673A2441EE")
RFC_K = h("7556AA04 5AEF2CDD 07ABAF0F 665C3E81 8913186F")
RFC_X = h("94B7555A ABE9127C C58CCF49 93DB6CF8 4D16C124")
RFC_V = h("""
    7E273DE8 696FFC4F 4E337D05 B4B375BE B0DDE156 9E8FA00A 9886D812
    9BADA1F1 822223CA 1A605B53 0E379BA4 729FDC59 F105B478 7E5186F5
    C671085A 1447B52A 48CF1970 B4FB6F84 00BBF4CE BFBB1681 52E08AB5
    EA53D15C 1AFF87B2 B9DA6E04 E058AD51 CC72BFC9 033B564E 26480D78
    E955A5E2 9E7AB245 DB2BE315 E2099AFB""")
RFC_a = h("60975527 035CF2AD 1989806F 0407210B C81EDC04 E2762A56 AFD529DD DA2D4393")
RFC_b = h("E487CB59 D31AC550 471E81F0 0F6928E0 1DDA08E9 74A004F4 9E61F5D1 05284D20")
RFC_A = h("""
    61D5E490 F6F1B795 47B0704C 436F523D D0E560F0 C64115BB 72557EC4
    4352E890 3211C046 92272D8B 2D1A5358 A2CF1B6E 0BFCF99F 921530EC
    8E393561 79EAE45E 42BA92AE ACED8251 71E1E8B9 AF6D9C03 E1327F44
    BE087EF0 6530E69F 66615261 EEF54073 CA11CF58 58F0EDFD FE15EFEA
    B349EF5D 76988A36 72FAC47B 0769447B""")
RFC_B = h("""
    BD0C6151 2C692C0C B6D041FA 01BB152D 4916A1E7 7AF46AE1 05393011
    BAF38964 DC46A067 0DD125B9 5A981652 236F99D9 B681CBF8 7837EC99
    6C6DA044 53728610 D0C6DDB5 8B318885 D7D82C7F 8DEB75CE 7BD4FBAA
    37089E6F 9C6059F3 88838E7A 00030B33 1EB76840 910440B1 B27AAEAE
    EB4012B7 D7665238 A8E3FB00 4B117B58""")
RFC_U = h("CE38B959 3487DA98 554ED47D 70A7AE5F 462EF019")
RFC_S = h("""
    B0DC82BA BCF30674 AE450C02 87745E79 90A3381F 63B387AA F271A10D
    233861E3 59B48220 F7C4693C 9AE12B0A 6F67809F 0876E2D0 13800D6C
    41BB59B6 D5979B5C 00A172B4 A2A5903A 0BDCAF8A 709585EB 2AFAFA8F
    3499B200 210DCC1F 10EB3394 3CD67FC8 8A2F39A4 BE5BEC4E C0A3212D
    C346D7E4 74B29EDE 8A469FFE CA686E5A""")

RFC_GROUP = srp.Group(
    N=RFC_N, g=2, hash=lambda data: hashlib.sha1(data).digest(),
    pad=lambda n: n.to_bytes((RFC_N.bit_length() + 7) // 8, "big"),  # PAD(): to the length of N
)

POOL_ID = "eu-west-1_AbCdEfGh1"
USER_ID = "0c9b3e6a-5b7e-4c4e-9f0a-3d2b1c0e9f8a"
PASSWORD = "Corr3ct-Horse-Battery!"


def test_the_rfc_5054_vectors():
    x = srp.private_key(RFC_GROUP, RFC_SALT, RFC_I, RFC_P)
    v = srp.verifier(RFC_GROUP, x)
    exchange = srp.server_exchange(RFC_GROUP, v, RFC_A, b=RFC_b)

    assert RFC_GROUP.k == RFC_K
    assert x == RFC_X
    assert v == RFC_V
    assert srp.server_public(RFC_GROUP, v, RFC_b) == RFC_B
    assert exchange.B == RFC_B
    assert srp.scrambler(RFC_GROUP, RFC_A, RFC_B) == exchange.u == RFC_U
    assert exchange.S == RFC_S
    # The client's side of the same premaster secret (the RFC's A = g^a).
    assert pow(2, RFC_a, RFC_N) == RFC_A
    assert pow(RFC_B - RFC_K * pow(2, RFC_X, RFC_N), RFC_a + RFC_U * RFC_X, RFC_N) == RFC_S


def test_the_server_refuses_an_a_that_is_zero_mod_n():
    v = srp.verifier(RFC_GROUP, RFC_X)
    for bad in (0, RFC_N, 5 * RFC_N):
        with pytest.raises(srp.SrpError, match="A mod N is 0"):
            srp.server_exchange(RFC_GROUP, v, bad, b=RFC_b)


def test_the_server_refuses_a_zero_scrambler():
    zero_hash = srp.Group(N=RFC_N, g=2, hash=lambda data: b"\0" * 20, pad=RFC_GROUP.pad)

    with pytest.raises(srp.SrpError, match="u is 0"):
        srp.server_exchange(zero_hash, srp.verifier(zero_hash, 7), RFC_A, b=RFC_b)


def test_cognitos_group_is_pycognitos():
    client = AWSSRP("user@example.com", PASSWORD, POOL_ID, "client", client=object())

    assert srp.COGNITO.N == int(N_HEX, 16) and srp.COGNITO.N.bit_length() == 3072
    assert srp.COGNITO.g == int(G_HEX, 16) == 2
    assert srp.COGNITO.k == client.val_k == int(hex_hash("00" + N_HEX + "0" + G_HEX), 16)
    for n in (1, 0x7F, 0x80, 0xFF, 0x100, srp.COGNITO.N, RFC_B):
        assert srp.cognito_pad(n).hex() == pad_hex(n).lower()


def test_a_new_verifier_has_a_random_salt_in_the_form_clients_hash(monkeypatch):
    drawn = []
    real = srp.secrets.token_bytes

    def token_bytes(n):
        drawn.append(n)
        return real(n)

    monkeypatch.setattr(srp.secrets, "token_bytes", token_bytes)
    first = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)
    second = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)

    assert drawn == [16, 16]
    assert first.salt != second.salt and first.verifier != second.verifier
    for made in (first, second):
        # SALT goes out as this hex; every client pads it back to the same bytes.
        assert pad_hex(made.salt_hex) == made.salt_hex
        assert srp.cognito_pad(int(made.salt_hex, 16)) == made.salt
        assert srp.PasswordVerifier.from_hex(made.salt_hex, made.verifier_hex) == made


@pytest.mark.parametrize("high_byte", [0x00, 0x07, 0x80, 0xFF])
def test_salts_with_any_leading_byte_round_trip(monkeypatch, high_byte):
    monkeypatch.setattr(srp.secrets, "token_bytes", lambda n: bytes([high_byte]) + b"\x5a" * (n - 1))

    made = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)

    assert handshake(made, PASSWORD)[0]


def handshake(made: srp.PasswordVerifier, password: str, timestamp: str | None = None) -> tuple[bool, bool]:
    """pycognito's client against the server: (keys equal, signature accepted)."""
    client = AWSSRP("user@example.com", password, POOL_ID, "client", client=object())
    exchange = srp.server_exchange(srp.COGNITO, made.verifier, client.large_a_value)
    server_key = srp.password_key(exchange)
    client_key = bytes(client.get_password_authentication_key(USER_ID, password, exchange.B, made.salt_hex))
    secret_block = b"opaque secret block"
    claim = client.process_challenge(
        {
            "USER_ID_FOR_SRP": USER_ID, "USERNAME": USER_ID, "SALT": made.salt_hex,
            "SRP_B": format(exchange.B, "x"), "SECRET_BLOCK": base64.b64encode(secret_block).decode(),
        },
        {"USERNAME": "user@example.com"},
    )
    stamp = timestamp or claim["TIMESTAMP"]
    expected = srp.claim_signature(server_key, POOL_ID, USER_ID, secret_block, stamp)
    return server_key == client_key, srp.signature_matches(expected, claim["PASSWORD_CLAIM_SIGNATURE"])


@pytest.mark.parametrize("round_number", range(5))
def test_a_handshake_with_pycognito(round_number):
    made = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)

    assert handshake(made, PASSWORD) == (True, True)


def test_a_wrong_password_gives_another_key_and_a_refused_signature():
    made = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)

    assert handshake(made, PASSWORD + "x") == (False, False)
    assert handshake(made, PASSWORD.lower()) == (False, False)


def test_the_signature_covers_the_timestamp():
    made = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)

    assert handshake(made, PASSWORD, timestamp="Mon Jan 1 00:00:00 UTC 2024") == (True, False)


def test_the_verifier_is_for_this_pool_and_user():
    made = srp.make_verifier(POOL_ID, USER_ID, PASSWORD)
    other_pool = srp.make_verifier("eu-west-1_ZzZzZzZz9", USER_ID, PASSWORD, salt=made.salt)
    other_user = srp.make_verifier(POOL_ID, USER_ID[::-1], PASSWORD, salt=made.salt)

    assert len({made.verifier, other_pool.verifier, other_user.verifier}) == 3


@pytest.mark.parametrize(
    "given",
    ["", "not base64!", base64.b64encode(b"\0" * 32).decode(), base64.b64encode(b"\0" * 31).decode()],
)
def test_a_signature_that_is_not_the_expected_one_is_refused(given):
    assert srp.signature_matches(b"\0" * 32, base64.b64encode(b"\0" * 32).decode())
    assert not srp.signature_matches(b"\1" + b"\0" * 31, given)


def test_signatures_are_compared_in_constant_time(monkeypatch):
    compared = []
    real = srp.hmac.compare_digest
    monkeypatch.setattr(srp.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))

    assert srp.signature_matches(b"k" * 32, base64.b64encode(b"k" * 32).decode())
    assert compared == [(b"k" * 32, b"k" * 32)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tue Jan 7 09:05:03 UTC 2025", datetime.datetime(2025, 1, 7, 9, 5, 3, tzinfo=datetime.timezone.utc)),
        ("Sun Dec 31 23:59:59 UTC 2023", datetime.datetime(2023, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)),
        ("Thu Feb 29 00:00:00 UTC 2024", datetime.datetime(2024, 2, 29, tzinfo=datetime.timezone.utc)),
    ],
)
def test_timestamps_in_aws_format_are_read(text, expected):
    assert srp.parse_timestamp(text) == expected
    assert srp.format_timestamp(expected) == text
    assert AWSSRP.get_cognito_formatted_timestamp(expected) == text


@pytest.mark.parametrize(
    "text",
    [
        "Tue Jan 07 09:05:03 UTC 2025",
        "Tue Jan 7 9:05:03 UTC 2025",
        "Tue Jan 7 09:05:03 GMT 2025",
        "Tue Jan 7 09:05:03 UTC 25",
        "tue jan 7 09:05:03 UTC 2025",
        "Tuesday January 7 09:05:03 UTC 2025",
        "Tue Jan 7 24:00:00 UTC 2025",
        "Thu Feb 29 00:00:00 UTC 2023",
        "Tue Jan 7 09:05:03 UTC 2025 ",
        "2025-01-07T09:05:03Z",
        "",
    ],
)
def test_other_timestamps_are_refused(text):
    with pytest.raises(ValueError):
        srp.parse_timestamp(text)


def test_a_timestamp_is_current_within_five_minutes():
    now = datetime.datetime(2025, 1, 7, 9, 5, 3, tzinfo=datetime.timezone.utc).timestamp()
    stamp = srp.parse_timestamp("Tue Jan 7 09:05:03 UTC 2025")

    assert srp.timestamp_is_current(stamp, now)
    assert srp.timestamp_is_current(stamp, now + 300) and srp.timestamp_is_current(stamp, now - 300)
    assert not srp.timestamp_is_current(stamp, now + 301)
    assert not srp.timestamp_is_current(stamp, now - 301)


@pytest.mark.parametrize("text", ["", "xyz", "12 34", "-1", "0x12", "a" * 2049])
def test_public_values_must_be_hexadecimal(text):
    with pytest.raises(ValueError):
        srp.parse_public_value(text)


def test_pool_name_is_the_part_of_the_id_after_the_region():
    assert srp.pool_name("eu-west-1_AbCdEfGh1") == "AbCdEfGh1"
