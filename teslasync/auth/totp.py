"""TOTP two-factor authentication (RFC 6238: SHA1, 6 digits, 30 s steps) and recovery codes; no database.

Drift window: phone and server clocks disagree by a few seconds, and a code typed at the end of its 30 s step
arrives in the next one, so `verify` also accepts the codes of `DRIFT_STEPS` steps either side of now. A
wider window would only give a guesser more codes to hit.

Replay protection: a code stays valid for up to 90 s, long enough to be read over a shoulder or lifted from a
phished form and used again. `verify` returns the step the code matched; the caller stores it as the user's
`last_step` and passes it back next time, and any code of that step or an earlier one is refused. So each
code, and every older one, works at most once.

Recovery codes are the fallback when the device is lost. They are much shorter than API tokens (about 59
bits rather than 256), which a fast hash would let an attacker holding the database brute-force, so they are
stored under scrypt, a deliberately slow and memory-hard KDF, with a random salt per code.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import pyotp
import segno

from teslasync.auth.secrets import Secret, b64url, b64url_decode

ISSUER = "TeslaSync"
DRIFT_STEPS = 1  # accept codes one 30 s step before/after now
RECOVERY_CODE_COUNT = 10

DIGITS = 6
PERIOD_SECONDS = 30
SECRET_CHARS = 32  # base32 characters: 160 bits, the HMAC-SHA1 key size RFC 4226 recommends

REASONS = frozenset({"malformed", "invalid", "replayed"})

# No 0/o, 1/l/i: the codes are read off paper and typed by hand. 31 symbols x 12 = 59.4 bits.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_CHARS = 4

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_SALT_BYTES = 16
SCRYPT_HASH_BYTES = 32
_SCRYPT_PREFIX = "scrypt"

_CODE = re.compile(r"[0-9]{6}")  # not \d, which also matches non-ASCII digits
_WHITESPACE = re.compile(r"\s+")


class TotpError(Exception):
    """reason is one of "malformed", "invalid", "replayed"; the message never contains the code or secret."""

    reason: str

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown TOTP error reason {reason!r}")
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Enrolment:
    """A fresh secret and the two ways to hand it to an authenticator app (link or QR code).

    `uri` and `qr_svg` contain the secret too: show them to the user once, never log them.
    """

    secret: Secret[str]
    uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


def new_enrolment(account_name: str, issuer: str = ISSUER) -> Enrolment:
    """A new random secret with its `otpauth://` URI and that URI as an SVG QR code.

    Neither name may contain ':', which the Key URI Format uses to separate issuer from account.
    """
    for what, name in (("account name", account_name), ("issuer", issuer)):
        if not name or not name.strip() or ":" in name:
            raise ValueError(f"the {what} must be non-empty and must not contain ':'")
    secret = pyotp.random_base32(SECRET_CHARS)
    uri = _totp(secret).provisioning_uri(name=account_name, issuer_name=issuer)
    return Enrolment(secret=Secret(secret), uri=uri, qr_svg=qr_svg(uri))


def qr_svg(uri: str) -> str:
    """`uri` as a complete `<svg>` QR code (error level M), without an XML declaration."""
    # boost_error=False: exactly level M, rather than whatever higher level fits the same symbol size.
    code = segno.make(uri, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    # The namespace stays, so the SVG also works as a standalone file or data: URI, not only inline in HTML.
    code.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, nl=False, encoding="utf-8")
    return out.getvalue().decode("utf-8")


def current_step(now: datetime) -> int:
    """The RFC 6238 time step of `now`: whole Unix seconds // 30."""
    _require_aware(now)
    return int(now.timestamp()) // PERIOD_SECONDS


def verify(secret: str, code: str, *, last_step: int | None, now: datetime, drift: int = DRIFT_STEPS) -> int:
    """The step `code` belongs to, within `drift` steps of `now` and later than `last_step`.

    Store the returned step as the new `last_step`. Raises `TotpError` with reason "malformed" (not six
    digits once spaces are removed), "invalid" (no match in the window) or "replayed" (it matched, but only a
    step at or before `last_step`). A secret that is not base32 is a stored-data fault: `ValueError`.
    """
    _require_aware(now)
    if isinstance(drift, bool) or not isinstance(drift, int) or drift < 0:
        raise ValueError("drift must be a non-negative number of steps")
    normalised = _WHITESPACE.sub("", code) if isinstance(code, str) else ""
    if not _CODE.fullmatch(normalised):
        raise TotpError("malformed", f"a TOTP code is {DIGITS} digits")
    totp = _totp(secret)
    _check_secret(totp)
    now_step = current_step(now)
    candidate = normalised.encode("ascii")
    matched = [
        step
        for step in range(max(now_step - drift, 0), now_step + drift + 1)
        # Every step is compared, match or not, so the timing says nothing about which one matched.
        if hmac.compare_digest(totp.generate_otp(step).encode("ascii"), candidate)
    ]
    if not matched:
        raise TotpError("invalid", "the code is not valid now; check the authenticator's clock")
    # Two steps' codes coincide once in a million: take the earliest fresh one, which blocks the fewest
    # later codes.
    fresh = [step for step in matched if last_step is None or step > last_step]
    if not fresh:
        raise TotpError("replayed", "this code has already been used; wait for the next one")
    return fresh[0]


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """`count` distinct random codes shown as "xxxx-xxxx-xxxx"; store only `hash_recovery_code` of each."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError("count must be a non-negative integer")
    codes: list[str] = []
    while len(codes) < count:
        code = "-".join(
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_CHARS))
            for _ in range(RECOVERY_GROUPS)
        )
        if code not in codes:  # a repeat is astronomically unlikely, but would silently give one code fewer
            codes.append(code)
    return codes


def hash_recovery_code(code: str) -> str:
    """`scrypt$<salt>$<hash>` (unpadded base64url) of the normalised code, under a fresh 16-byte salt."""
    normalised = _normalise_recovery_code(code)
    if not normalised:
        raise ValueError("an empty recovery code cannot be hashed")
    salt = secrets.token_bytes(SCRYPT_SALT_BYTES)
    return "$".join((_SCRYPT_PREFIX, b64url(salt), b64url(_scrypt(normalised, salt))))


def recovery_code_matches(code: str, hashed: str) -> bool:
    """Whether `code` (in any case, with or without '-' and spaces) is the one `hashed` was made from.

    A stored hash that is not in the `hash_recovery_code` format never matches; it raises nothing.
    """
    parts = hashed.split("$") if isinstance(hashed, str) else []
    if len(parts) != 3 or parts[0] != _SCRYPT_PREFIX:
        return False
    salt, expected = b64url_decode(parts[1]), b64url_decode(parts[2])
    if (
        salt is None
        or len(salt) != SCRYPT_SALT_BYTES
        or expected is None
        or len(expected) != SCRYPT_HASH_BYTES
    ):
        return False
    normalised = _normalise_recovery_code(code) if isinstance(code, str) else ""
    if not normalised:
        return False
    return hmac.compare_digest(_scrypt(normalised, salt), expected)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD_SECONDS)


def _check_secret(totp: pyotp.TOTP) -> None:
    """Decode the secret once up front, so a bad one fails with a message that does not quote it."""
    ok = True
    try:
        totp.byte_secret()
    except (binascii.Error, ValueError):
        ok = False
    if not ok:  # raised outside the handler, so the decoder's exception is not attached as context
        raise ValueError("the stored TOTP secret is not valid base32 of at least 112 bits")


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime is ambiguous: pass a timezone-aware UTC datetime")


def _normalise_recovery_code(code: str) -> str:
    return _WHITESPACE.sub("", code).replace("-", "").lower()


def _scrypt(normalised: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        normalised.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_HASH_BYTES
    )
