from __future__ import annotations

import base64
import copy
import json
import logging
import os
import pickle
import stat
import traceback
from pathlib import Path

import pytest

from teslasync.auth.secrets import (
    KEY_FILE_NAME,
    Keyring,
    Secret,
    SecretError,
    UnknownKeyError,
    derive_key,
    fingerprint,
)
from teslasync.config import Settings

SECRET = "correct-horse-battery-staple-0123456789"
OTHER_SECRET = "another-long-secret-for-the-other-install"
TOKEN = "eyJhbGciOi.refresh-token-value.sig"
CONTEXT = "tesla_oauth:user:42"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_secret(SECRET)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _error_text(error: BaseException) -> str:
    """Everything a log line with exc_info would show, context and cause included."""
    return "".join(traceback.format_exception(error)) + repr(error) + repr(error.__context__)


def test_round_trip_of_bytes_and_text(keyring: Keyring) -> None:
    envelope = keyring.encrypt(TOKEN, context=CONTEXT)
    assert TOKEN not in envelope
    assert keyring.decrypt(envelope, context=CONTEXT) == TOKEN.encode()
    binary = bytes(range(256))
    assert keyring.decrypt(keyring.encrypt(binary, context=CONTEXT), context=CONTEXT) == binary
    assert keyring.decrypt(keyring.encrypt(b"", context=CONTEXT), context=CONTEXT) == b""
    assert keyring.decrypt_secret(envelope, context=CONTEXT).reveal() == TOKEN


def test_envelope_format(keyring: Keyring) -> None:
    version, key_id, nonce, sealed = keyring.encrypt(TOKEN, context=CONTEXT).split(".")
    assert version == "v1"
    assert key_id == keyring.current
    assert len(_b64url_decode(nonce)) == 12
    assert len(_b64url_decode(sealed)) == len(TOKEN) + 16  # ciphertext and GCM tag
    assert all(part.isascii() and "=" not in part for part in (nonce, sealed))


def test_same_secret_gives_the_same_key_id() -> None:
    first, second = Keyring.from_secret(SECRET), Keyring.from_secret(SECRET)
    assert first.current == second.current == fingerprint(derive_key(SECRET))
    assert len(first.current) == 8 and int(first.current, 16) >= 0
    assert Keyring.from_secret(OTHER_SECRET).current != first.current
    # the same secret also means the same key: another process decrypts what this one wrote
    assert second.decrypt(first.encrypt(TOKEN, context=CONTEXT), context=CONTEXT) == TOKEN.encode()


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(SecretError, match="at least 32 characters"):
        Keyring.from_secret("too-short")


def test_nonces_differ_between_encryptions(keyring: Keyring) -> None:
    envelopes = {keyring.encrypt(TOKEN, context=CONTEXT) for _ in range(50)}
    assert len(envelopes) == 50
    assert len({envelope.split(".")[2] for envelope in envelopes}) == 50


def test_another_context_does_not_decrypt(keyring: Keyring) -> None:
    envelope = keyring.encrypt(TOKEN, context=CONTEXT)
    for context in ("tesla_oauth:user:43", "tesla_oauth:user:4", CONTEXT + " ", "other"):
        with pytest.raises(SecretError, match="another context") as caught:
            keyring.decrypt(envelope, context=context)
        assert TOKEN not in _error_text(caught.value)


def test_a_context_is_required(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="context"):
        keyring.encrypt(TOKEN, context="")
    with pytest.raises(ValueError, match="context"):
        keyring.decrypt(keyring.encrypt(TOKEN, context=CONTEXT), context="")


def test_changing_any_character_of_the_envelope_fails(keyring: Keyring) -> None:
    envelope = keyring.encrypt(TOKEN, context=CONTEXT)
    for index, char in enumerate(envelope):
        for replacement in {"A", "B", "f", "0", ".", "-"} - {char}:
            tampered = envelope[:index] + replacement + envelope[index + 1 :]
            with pytest.raises(SecretError):
                keyring.decrypt(tampered, context=CONTEXT)


def test_flipping_any_bit_of_nonce_or_ciphertext_fails(keyring: Keyring) -> None:
    version, key_id, *fields = keyring.encrypt(TOKEN, context=CONTEXT).split(".")
    for position, text in enumerate(fields):
        data = _b64url_decode(text)
        for bit in range(len(data) * 8):
            flipped = bytearray(data)
            flipped[bit // 8] ^= 1 << (bit % 8)
            parts = list(fields)
            parts[position] = _b64url(bytes(flipped))
            with pytest.raises(SecretError, match="does not decrypt") as caught:
                keyring.decrypt(".".join((version, key_id, *parts)), context=CONTEXT)
            assert TOKEN not in _error_text(caught.value)


def test_truncated_extended_and_malformed_envelopes_fail(keyring: Keyring) -> None:
    envelope = keyring.encrypt(TOKEN, context=CONTEXT)
    bad = [
        envelope[:-1],
        envelope + "A",
        envelope + ".",
        envelope.replace("v1.", "v2.", 1),
        envelope.split(".", 1)[1],
        "",
        "....",
        "v1..AAAA.AAAA",
        f"v1.{keyring.current}.AAAA.AAAA",  # nonce too short
        envelope[: envelope.rindex(".") + 5],  # ciphertext shorter than a tag
    ]
    for token in bad:
        with pytest.raises(SecretError):
            keyring.decrypt(token, context=CONTEXT)


def test_non_canonical_base64_is_refused(keyring: Keyring) -> None:
    """Padding or alphabet variants that decode to the same bytes still count as tampering."""
    version, key_id, nonce, sealed = keyring.encrypt(b"x" * 5, context=CONTEXT).split(".")
    for variant in (sealed + "=", sealed.replace("-", "+").replace("_", "/") + "+/"):
        with pytest.raises(SecretError, match="malformed"):
            keyring.decrypt(".".join((version, key_id, nonce, variant)), context=CONTEXT)


def test_a_relabelled_key_id_fails(keyring: Keyring) -> None:
    """Both keys are known, but the associated data names the key, so a swapped label cannot decrypt."""
    rotated = keyring.rotated()
    version, _, nonce, sealed = keyring.encrypt(TOKEN, context=CONTEXT).split(".")
    with pytest.raises(SecretError, match="does not decrypt"):
        rotated.decrypt(".".join((version, rotated.current, nonce, sealed)), context=CONTEXT)


def test_unknown_key_id_fails_with_a_clear_message(keyring: Keyring) -> None:
    envelope = Keyring.from_secret(OTHER_SECRET).encrypt(TOKEN, context=CONTEXT)
    other_id = envelope.split(".")[1]
    with pytest.raises(UnknownKeyError) as caught:
        keyring.decrypt(envelope, context=CONTEXT)
    message = str(caught.value)
    assert other_id in message and keyring.current in message and "reload" in message
    assert TOKEN not in _error_text(caught.value)
    assert isinstance(caught.value, SecretError)


def test_rotation_keeps_old_envelopes_readable_and_reencrypts_them(keyring: Keyring) -> None:
    old = keyring.encrypt(TOKEN, context=CONTEXT)
    rotated = keyring.rotated()
    assert rotated.current != keyring.current
    assert set(rotated.key_ids) == {keyring.current, rotated.current}
    assert keyring.key_ids == (keyring.current,)  # the original is unchanged

    assert rotated.decrypt(old, context=CONTEXT) == TOKEN.encode()
    assert rotated.needs_rotation(old)
    assert not keyring.needs_rotation(old)

    new = rotated.reencrypt(old, context=CONTEXT)
    assert new.split(".")[1] == rotated.current
    assert not rotated.needs_rotation(new)
    assert rotated.decrypt(new, context=CONTEXT) == TOKEN.encode()
    assert rotated.reencrypt(new, context=CONTEXT) == new  # already current: no write needed

    # a process still on the old keyring sees an unknown key, its cue to reload
    with pytest.raises(UnknownKeyError):
        keyring.decrypt(new, context=CONTEXT)


def test_reencrypt_checks_the_context(keyring: Keyring) -> None:
    old = keyring.encrypt(TOKEN, context=CONTEXT)
    with pytest.raises(SecretError, match="another context"):
        keyring.rotated().reencrypt(old, context="tesla_oauth:user:7")


def test_repeated_rotation_keeps_every_key(keyring: Keyring) -> None:
    envelopes = []
    current = keyring
    for _ in range(3):
        envelopes.append(current.encrypt(TOKEN, context=CONTEXT))
        current = current.rotated()
    assert len(set(current.key_ids)) == 4
    for envelope in envelopes:
        assert current.needs_rotation(envelope)
        assert (
            current.decrypt(current.reencrypt(envelope, context=CONTEXT), context=CONTEXT) == TOKEN.encode()
        )


def test_needs_rotation_refuses_a_malformed_envelope(keyring: Keyring) -> None:
    with pytest.raises(SecretError, match="malformed"):
        keyring.needs_rotation("not an envelope")


def test_key_file_round_trip_with_mode_0600(keyring: Keyring, tmp_path: Path) -> None:
    rotated = keyring.rotated()
    old, new = keyring.encrypt(TOKEN, context=CONTEXT), rotated.encrypt(TOKEN, context=CONTEXT)
    path = tmp_path / "keys" / "keyring.json"
    rotated.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    document = json.loads(path.read_text())
    assert document["current"] == rotated.current
    assert set(document["keys"]) == set(rotated.key_ids)
    assert all(len(base64.b64decode(key)) == 32 for key in document["keys"].values())

    loaded = Keyring.load(path)
    assert loaded.current == rotated.current and set(loaded.key_ids) == set(rotated.key_ids)
    assert loaded.decrypt(old, context=CONTEXT) == loaded.decrypt(new, context=CONTEXT) == TOKEN.encode()
    assert loaded.decrypt(loaded.encrypt(TOKEN, context=CONTEXT), context=CONTEXT) == TOKEN.encode()


def test_save_replaces_a_looser_file_with_mode_0600(keyring: Keyring, tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text("{}")
    path.chmod(0o644)
    keyring.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.load(path).current == keyring.current


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_save_leaves_the_old_file_and_no_temporary(
    keyring: Keyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "keyring.json"
    keyring.save(path)
    before = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="disk full"):
        keyring.rotated().save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["keyring.json"]


def test_bad_key_files_fail_without_showing_keys(keyring: Keyring, tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring.save(path)
    document = json.loads(path.read_text())
    key_text = document["keys"][keyring.current]
    cases = {
        "truncated": path.read_text()[:-10],
        "not an object": json.dumps([key_text]),
        "no current": json.dumps({"keys": document["keys"]}),
        "unknown current": json.dumps({"current": key_text, "keys": document["keys"]}),
        "short key": json.dumps({"current": "k", "keys": {"k": key_text[:20]}}),
        "bad id": json.dumps({"current": "a.b", "keys": {"a.b": key_text}}),
    }
    for name, content in cases.items():
        path.write_text(content)
        with pytest.raises(SecretError) as caught:
            Keyring.load(path)
        assert key_text not in _error_text(caught.value), name
        assert key_text[:20] not in _error_text(caught.value), name
        assert caught.value.__context__ is None and caught.value.__cause__ is None, name

    with pytest.raises(SecretError, match="cannot read"):
        Keyring.load(tmp_path / "missing.json")


def test_keyring_repr_shows_ids_not_keys(tmp_path: Path) -> None:
    keyring = Keyring.from_secret(SECRET).rotated()
    path = tmp_path / "keyring.json"
    keyring.save(path)
    text = repr(keyring)
    assert keyring.current in text
    for key in json.loads(path.read_text())["keys"].values():
        assert key not in text
    with pytest.raises(TypeError):
        pickle.dumps(keyring)


def test_from_settings_prefers_the_key_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SECRET)
    from_secret = Keyring.from_settings(settings)
    assert from_secret.current == Keyring.from_secret(SECRET).current
    assert not (tmp_path / KEY_FILE_NAME).exists()

    rotated = from_secret.rotated()
    rotated.save(tmp_path / KEY_FILE_NAME)
    assert Keyring.from_settings(settings).current == rotated.current


def test_from_settings_uses_the_generated_secret_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=None)
    first = Keyring.from_settings(settings)
    assert (tmp_path / "secret.key").exists()
    assert Keyring.from_settings(Settings(data_dir=tmp_path, secret_key=None)).current == first.current


def test_secret_is_redacted_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(TOKEN)
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "***"
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>20}",
        "%s %r" % (secret, secret),  # noqa: UP031 - the %-style that logging uses
        "{} {!r}".format(secret, secret),  # noqa: UP032
        repr([secret]),
        repr({"token": secret}),
        str(ValueError("refresh failed", secret)),
    ]
    with caplog.at_level(logging.DEBUG):
        logger = logging.getLogger("teslasync.test_secrets")
        logger.info("token %s", secret)
        logger.info("token %r", secret)
        logger.info("token", extra={"token": secret})
        try:
            raise RuntimeError(f"refresh failed for {secret}")
        except RuntimeError:
            logger.exception("refresh failed: %s", secret)
    shown.append(caplog.text)
    shown.extend(record.getMessage() for record in caplog.records)
    for text in shown:
        assert TOKEN not in text
        assert TOKEN[:10] not in text
    assert secret.reveal() == TOKEN


def test_secret_compares_by_value_and_does_not_pickle() -> None:
    assert Secret(TOKEN) == Secret(TOKEN)
    assert Secret(TOKEN) != Secret(TOKEN + "x")
    assert Secret(b"\x00\xff") == Secret(b"\x00\xff")
    assert Secret("abc") != Secret(b"abc")
    assert Secret("käse") == Secret("käse")
    with pytest.raises(TypeError):
        hash(Secret(TOKEN))
    with pytest.raises(TypeError):
        pickle.dumps(Secret(TOKEN))
    secret = Secret(TOKEN)
    assert copy.copy(secret) is secret and copy.deepcopy({"s": secret})["s"] is secret
    with pytest.raises(TypeError):
        json.dumps({"token": secret})


def test_a_secret_can_be_encrypted_directly(keyring: Keyring) -> None:
    envelope = keyring.encrypt(Secret(TOKEN), context=CONTEXT)
    assert keyring.decrypt_secret(envelope, context=CONTEXT) == Secret(TOKEN)
    assert repr(keyring.decrypt_secret(envelope, context=CONTEXT)) == "Secret('***')"


def test_decrypt_secret_refuses_non_text_without_showing_it(keyring: Keyring) -> None:
    envelope = keyring.encrypt(b"\xffsecret-bytes", context=CONTEXT)
    with pytest.raises(SecretError, match="not UTF-8") as caught:
        keyring.decrypt_secret(envelope, context=CONTEXT)
    assert "secret-bytes" not in _error_text(caught.value)
    assert caught.value.__context__ is None
