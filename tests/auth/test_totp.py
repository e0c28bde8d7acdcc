from __future__ import annotations

import base64
import hashlib
import re
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from teslasync.auth.totp import (
    DRIFT_STEPS,
    ISSUER,
    RECOVERY_CODE_COUNT,
    TotpError,
    current_step,
    hash_recovery_code,
    new_enrolment,
    new_recovery_codes,
    qr_svg,
    recovery_code_matches,
    verify,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits
ACCOUNT = "alice@example.com"
# 10 s into a step, so that +-30 s lands in the neighbouring steps, never on a boundary.
NOW = datetime(2026, 5, 1, 12, 0, 10, tzinfo=UTC)
NOW_STEP = int(NOW.timestamp()) // 30
SVG_NS = "{http://www.w3.org/2000/svg}"
UNAMBIGUOUS = set("23456789abcdefghjkmnpqrstuvwxyz")


def _code(offset_seconds: int, secret: str = SECRET) -> str:
    """The code an authenticator app shows `offset_seconds` from NOW (pyotp's own clock arithmetic)."""
    return pyotp.TOTP(secret).at(NOW + timedelta(seconds=offset_seconds))


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(error.__context__)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- enrolment ---------------------------------------------------------------------------------------------


def test_enrolment_uri_carries_issuer_account_and_secret() -> None:
    enrolment = new_enrolment(ACCOUNT)
    secret = enrolment.secret.reveal()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == 20  # 160 bits

    parts = urlsplit(enrolment.uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == f"/{ISSUER}:{ACCOUNT}"
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["secret"] == [secret]
    assert query["issuer"] == [ISSUER]
    # the defaults (SHA1, 6 digits, 30 s) are what apps assume when the parameters are absent
    for name, default in (("algorithm", "SHA1"), ("digits", "6"), ("period", "30")):
        assert query.get(name, [default]) == [default]


def test_pyotp_accepts_the_enrolment_uri_and_its_codes_verify() -> None:
    enrolment = new_enrolment(ACCOUNT, issuer="My Garage")
    parsed = pyotp.parse_uri(enrolment.uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert (parsed.name, parsed.issuer, parsed.digits, parsed.interval) == (ACCOUNT, "My Garage", 6, 30)
    assert parsed.secret == enrolment.secret.reveal()
    # what an app scanning the URI would show is accepted by verify with the stored secret
    assert verify(enrolment.secret.reveal(), parsed.at(NOW), last_step=None, now=NOW) == NOW_STEP


def test_enrolments_get_fresh_secrets_and_hide_them() -> None:
    first, second = new_enrolment(ACCOUNT), new_enrolment(ACCOUNT)
    assert first.secret.reveal() != second.secret.reveal()
    assert first.uri != second.uri
    # the URI (and so the QR code) holds the secret as well: none of it may reach a repr or a log line
    assert first.secret.reveal() not in repr(first)
    assert first.secret.reveal() not in str(first)
    assert first.secret.reveal() not in str(first.secret)


@pytest.mark.parametrize("account", ["", "  ", "evil:account"])
def test_an_account_name_that_would_break_the_label_is_refused(account: str) -> None:
    with pytest.raises(ValueError, match="account name"):
        new_enrolment(account)


def test_qr_svg_is_a_well_formed_svg_document() -> None:
    enrolment = new_enrolment(ACCOUNT)
    svg = enrolment.qr_svg
    assert svg == qr_svg(enrolment.uri)  # deterministic: the enrolment's QR code is the URI's
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg
    root = ET.fromstring(svg)  # noqa: S314  # our own output, not untrusted input
    assert root.tag == f"{SVG_NS}svg"
    drawn = [el for el in root.iter() if el.tag in (f"{SVG_NS}path", f"{SVG_NS}rect")]
    assert drawn and any(el.get("d") or el.get("width") for el in drawn)
    # a QR symbol is 17 + 4v modules wide; at scale 4 with a 2-module border the image is 4 * (size + 4)
    width, height = int(root.get("width", "0")), int(root.get("height", "0"))
    assert width == height and width % 4 == 0
    modules = width // 4 - 4
    assert modules >= 21 and (modules - 17) % 4 == 0


def test_different_uris_give_different_qr_codes() -> None:
    first = qr_svg(f"otpauth://totp/{ISSUER}:a?secret={SECRET}&issuer={ISSUER}")
    second = qr_svg(f"otpauth://totp/{ISSUER}:b?secret={SECRET}&issuer={ISSUER}")
    assert first != second


# --- verification ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_codes_within_the_drift_window_are_accepted(steps: int) -> None:
    assert DRIFT_STEPS == 1
    assert verify(SECRET, _code(30 * steps), last_step=None, now=NOW) == NOW_STEP + steps


@pytest.mark.parametrize("offset", [-60, 60, -90, 90])
def test_codes_outside_the_drift_window_are_invalid(offset: int) -> None:
    code = _code(offset)
    assert code not in {_code(-30), _code(0), _code(30)}  # otherwise this test would prove nothing
    with pytest.raises(TotpError) as caught:
        verify(SECRET, code, last_step=None, now=NOW)
    assert caught.value.reason == "invalid"


def test_a_wider_drift_accepts_older_codes() -> None:
    assert verify(SECRET, _code(-60), last_step=None, now=NOW, drift=2) == NOW_STEP - 2
    with pytest.raises(TotpError, match="not valid"):
        verify(SECRET, _code(-30), last_step=None, now=NOW, drift=0)


def test_a_code_for_another_secret_is_invalid() -> None:
    other = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    with pytest.raises(TotpError) as caught:
        verify(SECRET, _code(0, secret=other), last_step=None, now=NOW)
    assert caught.value.reason == "invalid"


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", "", "   ", "12345a", "١٢٣٤٥٦", "+12345"])
def test_malformed_codes_are_refused(code: str) -> None:
    with pytest.raises(TotpError) as caught:
        verify(SECRET, code, last_step=None, now=NOW)
    assert caught.value.reason == "malformed"


def test_spaces_in_a_code_are_ignored() -> None:
    code = _code(0)
    assert verify(SECRET, f" {code[:3]} {code[3:]} ", last_step=None, now=NOW) == NOW_STEP


def test_a_code_cannot_be_used_twice() -> None:
    step = verify(SECRET, _code(0), last_step=None, now=NOW)
    with pytest.raises(TotpError) as caught:
        verify(SECRET, _code(0), last_step=step, now=NOW + timedelta(seconds=5))
    assert caught.value.reason == "replayed"


def test_an_older_code_after_a_newer_one_is_replayed() -> None:
    step = verify(SECRET, _code(30), last_step=None, now=NOW)
    assert step == NOW_STEP + 1
    for offset in (0, -30):  # still inside the drift window, but older than the code already used
        with pytest.raises(TotpError) as caught:
            verify(SECRET, _code(offset), last_step=step, now=NOW)
        assert caught.value.reason == "replayed"


def test_the_next_code_is_accepted_after_one_was_used() -> None:
    step = verify(SECRET, _code(-30), last_step=None, now=NOW)
    assert verify(SECRET, _code(0), last_step=step, now=NOW) == step + 1
    assert verify(SECRET, _code(30), last_step=step + 1, now=NOW) == step + 2


def test_error_messages_contain_neither_code_nor_secret() -> None:
    cases = [
        ("malformed", "98765x", None),
        ("invalid", _code(120), None),
        ("replayed", _code(0), NOW_STEP),
    ]
    for reason, code, last_step in cases:
        with pytest.raises(TotpError) as caught:
            verify(SECRET, code, last_step=last_step, now=NOW)
        assert caught.value.reason == reason
        text = _error_text(caught.value)
        assert code not in text and code.strip("x") not in text
        assert SECRET not in text and SECRET.lower() not in text
        assert caught.value.__context__ is None


def test_an_unknown_reason_is_refused() -> None:
    assert TotpError("invalid", "no").reason == "invalid"
    with pytest.raises(ValueError, match="reason"):
        TotpError("expired", "no")


def test_a_secret_that_is_not_base32_is_a_value_error_that_does_not_quote_it() -> None:
    bad = "not-base32-at-all-0189!"
    with pytest.raises(ValueError) as caught:
        verify(bad, "123456", last_step=None, now=NOW)
    assert not isinstance(caught.value, TotpError)
    assert bad not in _error_text(caught.value)


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    # RFC 6238 appendix B, SHA1, truncated to the last 6 of its 8 digits
    [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"), (1234567890, "005924")],
)
def test_rfc_6238_vectors(unix_time: int, expected: str) -> None:
    rfc_secret = base64.b32encode(b"12345678901234567890").decode()
    now = datetime.fromtimestamp(unix_time, tz=UTC)
    assert verify(rfc_secret, expected, last_step=None, now=now, drift=0) == unix_time // 30


def test_current_step() -> None:
    assert current_step(datetime(1970, 1, 1, 0, 0, 29, 999999, tzinfo=UTC)) == 0
    assert current_step(datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC)) == 1
    assert current_step(NOW) == NOW_STEP
    # an aware datetime in another zone is the same instant
    assert current_step(NOW.astimezone(timezone(timedelta(hours=-7)))) == NOW_STEP


def test_naive_datetimes_are_refused() -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        current_step(naive)
    with pytest.raises(ValueError, match="naive"):
        verify(SECRET, _code(0), last_step=None, now=naive)


# --- recovery codes ----------------------------------------------------------------------------------------


def test_recovery_codes_count_format_and_uniqueness() -> None:
    codes = new_recovery_codes()
    assert len(codes) == RECOVERY_CODE_COUNT == 10
    assert len(new_recovery_codes(3)) == 3
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code), code
        assert set(code.replace("-", "")) <= UNAMBIGUOUS
    many = codes + new_recovery_codes(200)
    assert len(set(many)) == len(many)
    assert len(UNAMBIGUOUS) ** 12 >= 2**58
    # every symbol of the alphabet turns up, so the alphabet really is that large
    assert set("".join(many).replace("-", "")) == UNAMBIGUOUS


def test_recovery_code_hash_format_and_parameters() -> None:
    code = new_recovery_codes(1)[0]
    prefix, salt, digest = hash_recovery_code(code).split("$")
    assert prefix == "scrypt"
    assert "=" not in salt + digest
    assert len(_b64url_decode(salt)) == 16
    expected = hashlib.scrypt(
        code.replace("-", "").encode(), salt=_b64url_decode(salt), n=2**14, r=8, p=1, dklen=32
    )
    assert _b64url_decode(digest) == expected


def test_recovery_code_round_trip_with_normalisation() -> None:
    hashed = hash_recovery_code("abcd-efgh-jkmn")
    for typed in (
        "abcd-efgh-jkmn",
        "ABCD EFGH-jkmn",
        "abcdefghjkmn",
        " abcd - EFGH - jkmn\n",
        "ABCDEFGHJKMN",
    ):
        assert recovery_code_matches(typed, hashed), typed
    # hashing a differently written form of the code gives a hash the canonical form matches
    assert recovery_code_matches("abcd-efgh-jkmn", hash_recovery_code("ABCD EFGH JKMN"))


def test_a_wrong_recovery_code_does_not_match() -> None:
    hashed = hash_recovery_code("abcd-efgh-jkmn")
    for wrong in ("abcd-efgh-jkmp", "abcd-efgh-jkm", "abcd-efgh-jkmnn", "", "---"):
        assert not recovery_code_matches(wrong, hashed), wrong


def test_hashes_of_one_code_are_salted() -> None:
    first, second = hash_recovery_code("abcd-efgh-jkmn"), hash_recovery_code("abcd-efgh-jkmn")
    assert first != second
    assert first.split("$")[1] != second.split("$")[1]
    assert recovery_code_matches("abcd-efgh-jkmn", first)
    assert recovery_code_matches("abcd-efgh-jkmn", second)


def _valid_parts() -> tuple[str, str]:
    _, salt, digest = hash_recovery_code("abcd-efgh-jkmn").split("$")
    return salt, digest


@pytest.mark.parametrize(
    "mangle",
    [
        lambda salt, digest: "",
        lambda salt, digest: "not a hash",
        lambda salt, digest: "scrypt",
        lambda salt, digest: "scrypt$$",
        lambda salt, digest: f"bcrypt${salt}${digest}",
        lambda salt, digest: f"scrypt${salt}",
        lambda salt, digest: f"scrypt${salt}${digest}$extra",
        lambda salt, digest: f"scrypt${salt}=${digest}",  # padded: not the canonical encoding
        lambda salt, digest: f"scrypt${salt[:-2]}${digest}",  # salt too short
        lambda salt, digest: f"scrypt${salt}${digest[:-4]}",  # hash too short
        lambda salt, digest: f"scrypt${salt}${digest}AAAA",  # hash too long
        lambda salt, digest: f"scrypt${salt}${digest[:-1]}!",  # not base64url
        lambda salt, digest: f"scrypt${salt}${digest[:-1]}é",  # not ASCII
    ],
)
def test_a_malformed_stored_hash_never_matches(mangle: Callable[[str, str], str]) -> None:
    salt, digest = _valid_parts()
    stored = f"scrypt${salt}${digest}"
    assert recovery_code_matches("abcd-efgh-jkmn", stored)  # the unmangled hash does match
    assert recovery_code_matches("abcd-efgh-jkmn", mangle(salt, digest)) is False
