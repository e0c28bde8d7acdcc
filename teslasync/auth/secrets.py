"""Secrets at rest (Tesla OAuth tokens): AES-256-GCM under a named key, in a self-describing text envelope.

Envelope: `v1.<key id>.<nonce>.<ciphertext+tag>`, the last two unpadded base64url. The nonce is 96 random
bits per encryption. The associated data binds the version, the key id and the caller's `context` (for
example "tesla_oauth:user:42"), so an envelope copied to another row, or relabelled with another key id,
fails to decrypt.

A `Keyring` holds named 32-byte keys and one *current* key: encryption always uses the current key,
decryption uses whichever key the envelope names. `keys rotate` therefore works without downtime: save
`keyring.rotated()`, reload it in the running services, then walk the rows with `needs_rotation` and
`reencrypt` while every process still decrypts both old and new envelopes. A process holding an older
keyring raises `UnknownKeyError` for envelopes under a newer key; that is its cue to reload the key file.

Where the keys come from (`Keyring.from_settings`): the key file, if it exists, is the source of truth;
otherwise one key is derived from the configured secret (`TESLASYNC_SECRET_KEY`, else the data dir's
`secret.key`). The first rotation writes the key file, keeping that derived key for old envelopes.

Nothing secret reaches a message: a `SecretError` never contains plaintext or key material and is raised
outside `except` blocks, so no underlying exception (a `JSONDecodeError` holds the whole document) rides
along as `__context__`. Decrypted values should travel as `Secret`, whose `repr`/`str` are redacted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from teslasync.config import Settings

ENVELOPE_VERSION = "v1"
# Changing this changes every key derived from a secret: only ever add a new version beside it.
HKDF_INFO = b"teslasync/secrets/v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MIN_SECRET_CHARS = 32  # the same floor as `Settings.secret_key`
KEY_FILE_NAME = "keyring.json"
# Key ids travel inside envelopes (dot-separated) and in error messages, so they are short and plain.
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_REDACTED = "***"

T = TypeVar("T", str, bytes)


class SecretError(Exception):
    """An envelope or key file is unusable. The message never contains plaintext or key material."""


class UnknownKeyError(SecretError):
    """The envelope names a key this keyring lacks: reload the key file (it may have been rotated)."""


class Secret(Generic[T]):
    """A decrypted value that will not show itself by accident: `repr`, `str` and formatting are redacted.

    `reveal()` is the only way to the value. Pickling is refused, since a pickle is an export.
    """

    __slots__ = ("_value",)
    _value: T

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_REDACTED}')"

    def __str__(self) -> str:
        return _REDACTED

    def __format__(self, spec: str) -> str:
        return format(_REDACTED, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        if type(self._value) is not type(other._value):
            return False
        return hmac.compare_digest(_as_bytes(self._value), _as_bytes(other._value))

    __hash__ = None  # type: ignore[assignment]  # a hash of the value would be a lasting fingerprint of it

    def __copy__(self) -> Secret[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[T]:
        return self

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a Secret cannot be pickled; reveal() it deliberately if it must be stored")


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Strict: only the canonical unpadded encoding is accepted, so no two texts decode alike."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if b64url(data) == text else None


def _b64_key(text: object) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if len(data) == KEY_BYTES else None


def fingerprint(key: bytes) -> str:
    """A key's id: the first 8 hex characters of its SHA-256, stable and safe to show."""
    return hashlib.sha256(key).hexdigest()[:8]


def derive_key(secret: str) -> bytes:
    """The 32-byte AES key for a configured secret (HKDF-SHA256, no salt: the secret is already random)."""
    if len(secret) < MIN_SECRET_CHARS:
        raise SecretError(f"the secret key must be at least {MIN_SECRET_CHARS} characters")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=HKDF_INFO)
    return hkdf.derive(secret.encode())


def _associated_data(key_id: str, context: str) -> bytes:
    # Version and key id contain no NUL, so the context is unambiguously the remainder.
    return f"{ENVELOPE_VERSION}\0{key_id}\0{context}".encode()


def _check_context(context: str) -> None:
    if not isinstance(context, str) or not context:
        raise ValueError("a secret needs a non-empty context, such as 'tesla_oauth:user:42'")


def _split(token: str) -> tuple[str, bytes, bytes]:
    """The key id, nonce and ciphertext of an envelope; a `SecretError` naming only the defect otherwise."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 4:
        raise SecretError("malformed secret envelope: expected v1.<key id>.<nonce>.<ciphertext>")
    version, key_id, nonce_text, sealed_text = parts
    if version != ENVELOPE_VERSION:
        raise SecretError(f"unsupported secret envelope version (this build reads {ENVELOPE_VERSION})")
    if not _KEY_ID.fullmatch(key_id):
        raise SecretError("malformed secret envelope: bad key id")
    nonce = b64url_decode(nonce_text)
    sealed = b64url_decode(sealed_text)
    if nonce is None or len(nonce) != NONCE_BYTES or sealed is None or len(sealed) < TAG_BYTES:
        raise SecretError("malformed secret envelope: bad nonce or ciphertext")
    return key_id, nonce, sealed


class Keyring:
    """Named 32-byte AES keys, one of them current. Immutable: `rotated()` returns a new keyring.

    Key ids match `[A-Za-z0-9_-]{1,64}`; ids made here are `fingerprint(key)`.
    """

    __slots__ = ("_aead", "_current", "_keys")

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
                raise SecretError("a key id must be 1-64 letters, digits, '-' or '_'")
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise SecretError(f"key {key_id!r} is not {KEY_BYTES} bytes")
        if current not in keys:
            raise SecretError("the current key id is not among the keys")  # it may be a pasted key: not shown
        self._keys = dict(keys)
        self._current = current
        self._aead = {key_id: AESGCM(key) for key_id, key in self._keys.items()}

    @classmethod
    def from_secret(cls, secret: str) -> Keyring:
        """One key, derived from the configured secret: the same secret always gives the same key id."""
        key = derive_key(secret)
        return cls({fingerprint(key): key}, fingerprint(key))

    @classmethod
    def from_settings(cls, settings: Settings, key_file: Path | None = None) -> Keyring:
        """The key file (default: `<data dir>/keyring.json`) if it exists, else the configured secret."""
        path = key_file if key_file is not None else default_key_file(settings)
        if path.exists():
            return cls.load(path)
        return cls.from_secret(settings.resolved_secret_key())

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """Read `{"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>", ...}}`."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SecretError(f"cannot read key file {path}: {exc.strerror}") from None
        document: object = None
        with contextlib.suppress(ValueError):  # the error holds the document, keys and all: leave it behind
            document = json.loads(raw)
        if not isinstance(document, dict):
            raise SecretError(f"key file {path} is not a JSON object")
        current, entries = document.get("current"), document.get("keys")
        if not isinstance(current, str) or not isinstance(entries, dict) or not entries:
            raise SecretError(f'key file {path} needs "current" (a key id) and "keys" (id -> base64 key)')
        keys: dict[str, bytes] = {}
        for key_id, text in entries.items():
            key = _b64_key(text)
            if key is None or not _KEY_ID.fullmatch(key_id):
                raise SecretError(f"key file {path}: entry {len(keys) + 1} is not a valid id and base64 key")
            keys[key_id] = key
        return cls(keys, current)

    def save(self, path: Path) -> None:
        """Write the key file atomically, mode 0600: a temporary file beside it, fsync, then rename.

        A failure at any step leaves the previous file (if any) untouched and no temporary file behind.
        """
        document = {
            "current": self._current,
            "keys": {key_id: base64.b64encode(key).decode("ascii") for key_id, key in self._keys.items()},
        }
        data = (json.dumps(document, indent=2) + "\n").encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def rotated(self) -> Keyring:
        """A new keyring whose current key is fresh and random; every existing key is kept for decryption."""
        while True:
            key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
            key_id = fingerprint(key)
            if key_id not in self._keys:  # a 32-bit id can collide, if only in theory
                return Keyring({**self._keys, key_id: key}, key_id)

    @property
    def current(self) -> str:
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def signing_key(self, key_id: str, purpose: str) -> bytes | None:
        """A MAC key for `purpose` derived from key `key_id` (None if this keyring lacks it), so signed
        links and signatures need no key of their own and survive a rotation while the old key is kept."""
        _check_context(purpose)
        key = self._keys.get(key_id)
        if key is None:
            return None
        return hmac.new(key, b"teslasync-mac:" + purpose.encode(), hashlib.sha256).digest()

    def encrypt(self, plaintext: bytes | str | Secret[str] | Secret[bytes], *, context: str) -> str:
        """An envelope of `plaintext` (text is UTF-8) under the current key, bound to `context`."""
        _check_context(context)
        value = plaintext.reveal() if isinstance(plaintext, Secret) else plaintext
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead[self._current].encrypt(
            nonce, _as_bytes(value), _associated_data(self._current, context)
        )
        return ".".join((ENVELOPE_VERSION, self._current, b64url(nonce), b64url(sealed)))

    def decrypt(self, token: str, *, context: str) -> bytes:
        """The plaintext of an envelope made under any key of this keyring with the same `context`.

        Raises `UnknownKeyError` for a key this keyring lacks, `SecretError` for anything malformed,
        tampered with, or stored under another context.
        """
        _check_context(context)
        key_id, nonce, sealed = _split(token)
        aead = self._aead.get(key_id)
        if aead is None:
            known = ", ".join(self._keys)
            raise UnknownKeyError(
                f"secret is encrypted under key id {key_id!r}, which this keyring lacks (it has {known});"
                " reload the key file if the keys were rotated"
            )
        plaintext: bytes | None = None
        with contextlib.suppress(InvalidTag):
            plaintext = aead.decrypt(nonce, sealed, _associated_data(key_id, context))
        if plaintext is None:
            raise SecretError(
                f"secret under key id {key_id!r} does not decrypt: tampered with, or stored for another context"
            )
        return plaintext

    def decrypt_secret(self, token: str, *, context: str) -> Secret[str]:
        """`decrypt`, as UTF-8 text wrapped in a `Secret` (the form OAuth tokens should travel in)."""
        raw = self.decrypt(token, context=context)
        text: str | None = None
        with contextlib.suppress(UnicodeDecodeError):  # the error holds the raw bytes: leave it behind
            text = raw.decode()
        if text is None:
            raise SecretError("decrypted secret is not UTF-8 text")
        return Secret(text)

    def needs_rotation(self, token: str) -> bool:
        """Whether the envelope is under a key other than the current one (it is not decrypted)."""
        key_id, _, _ = _split(token)
        return key_id != self._current

    def reencrypt(self, token: str, *, context: str) -> str:
        """The envelope under the current key; `token` itself if it already is (so callers can skip writes)."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def __repr__(self) -> str:
        return f"Keyring(current={self._current!r}, key_ids={self.key_ids!r})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a Keyring cannot be pickled; save() it to a key file")


def default_key_file(settings: Settings) -> Path:
    """`TESLASYNC_KEY_FILE`, else `<data dir>/keyring.json`."""
    if settings.key_file is not None:
        return settings.key_file.expanduser().resolve()
    return settings.resolved_data_dir / KEY_FILE_NAME


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; some platforms and filesystems cannot open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
