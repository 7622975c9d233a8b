"""Tests of bot.crypto: AES-GCM keyring, key file handling, pseudonyms."""

from __future__ import annotations

import json
import re
import stat
import threading
from pathlib import Path

import pytest

from bot.crypto import DecryptionError, Keyring, KeyringError, pseudonymise
from bot.settings import Settings

AAD = b"esea:test:ABCD-2345"


def test_encrypt_decrypt_round_trip(keyring: Keyring) -> None:
    blob = keyring.encrypt("事件 description".encode(), AAD)
    assert keyring.decrypt(blob, AAD) == "事件 description".encode()


def test_encrypt_is_randomised_and_hides_plaintext(keyring: Keyring) -> None:
    first, second = keyring.encrypt(b"same secret", AAD), keyring.encrypt(b"same secret", AAD)
    assert first != second
    assert b"same secret" not in first


def test_ciphertext_header_carries_version_and_key_id(keyring: Keyring) -> None:
    blob = keyring.encrypt(b"x", AAD)
    assert blob[0] == 1
    assert Keyring.key_id_of(blob) == keyring.primary_key_id


def test_decrypt_with_other_aad_fails(keyring: Keyring) -> None:
    blob = keyring.encrypt(b"x", AAD)
    with pytest.raises(DecryptionError):
        keyring.decrypt(blob, b"esea:test:WXYZ-2345")


def test_decrypt_tampered_ciphertext_fails(keyring: Keyring) -> None:
    blob = bytearray(keyring.encrypt(b"hello", AAD))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        keyring.decrypt(bytes(blob), AAD)


@pytest.mark.parametrize("blob", [b"", b"\x02abc", b"\x01\x05kabc"])
def test_decrypt_malformed_ciphertext_fails(keyring: Keyring, blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        keyring.decrypt(blob, AAD)


def test_decrypt_with_unknown_key_fails(keyring: Keyring) -> None:
    blob = Keyring.generate().encrypt(b"x", AAD)
    with pytest.raises(DecryptionError, match="no key"):
        keyring.decrypt(blob, AAD)


def test_json_helpers_round_trip(keyring: Keyring) -> None:
    value = {"description": "黑色外套", "types": ["verbal_abuse"], "caseworker": True}
    assert keyring.decrypt_json(keyring.encrypt_json(value, AAD), AAD) == value


def test_rotate_adds_primary_and_old_ciphertexts_still_decrypt(keyring: Keyring) -> None:
    old_id = keyring.primary_key_id
    old_blob = keyring.encrypt(b"old", AAD)
    new_id = keyring.rotate()
    assert new_id != old_id
    assert keyring.primary_key_id == new_id
    assert set(keyring.key_ids) == {old_id, new_id}
    assert keyring.decrypt(old_blob, AAD) == b"old"
    assert Keyring.key_id_of(keyring.encrypt(b"new", AAD)) == new_id


def test_json_serialisation_round_trip_keeps_every_key(keyring: Keyring) -> None:
    blob = keyring.encrypt(b"x", AAD)
    keyring.rotate()
    copy = Keyring.from_json(keyring.to_json())
    assert copy.primary_key_id == keyring.primary_key_id
    assert copy.decrypt(blob, AAD) == b"x"
    assert copy.pseudonymise("twilio", "+447700900123") == keyring.pseudonymise(
        "twilio", "+447700900123"
    )


def test_repr_shows_no_key_material(keyring: Keyring) -> None:
    doc = json.loads(keyring.to_json())
    key_text = next(iter(doc["data_keys"].values()))
    assert key_text not in repr(keyring)
    assert doc["pseudonym_key"] not in repr(keyring)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"format": 2}',
        '{"format": 1, "primary": "k1", "data_keys": {"k1": "c2hvcnQ="}, "pseudonym_key": "x"}',
    ],
)
def test_from_json_invalid_raises_keyring_error(text: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.from_json(text)


def test_load_creates_private_key_file_once(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path / "var")})
    first = Keyring.load(settings)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.key_file.parent.stat().st_mode) == 0o700
    second = Keyring.load(settings)
    assert second.primary_key_id == first.primary_key_id
    assert second.decrypt(first.encrypt(b"x", AAD), AAD) == b"x"


def test_load_concurrent_first_use_agrees_on_one_keyring(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path / "var")})
    barrier = threading.Barrier(6)
    results: list[str] = []

    def load() -> None:
        barrier.wait()
        results.append(Keyring.load(settings).primary_key_id)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len(set(results)) == 1
    assert not [p for p in settings.key_file.parent.iterdir() if p.name.endswith(".tmp")]


def test_load_prefers_data_keys_over_file(tmp_path: Path) -> None:
    env_ring = Keyring.generate()
    settings = Settings.from_env(
        {"VAR_DIR": str(tmp_path / "var"), "DATA_KEYS": env_ring.to_json()}
    )
    loaded = Keyring.load(settings)
    assert loaded.primary_key_id == env_ring.primary_key_id
    assert not settings.key_file.exists()


def test_save_then_load_keeps_rotation(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path / "var")})
    ring = Keyring.load(settings)
    new_id = ring.rotate()
    ring.save()
    assert Keyring.load(settings).primary_key_id == new_id
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600


def test_file_keyring_reloads_after_rotation_by_another_process(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path / "var")})
    running = Keyring.load(settings)
    cli = Keyring.load(settings)
    cli.rotate()
    cli.save()
    blob = cli.encrypt(b"written after rotation", AAD)
    assert running.decrypt(blob, AAD) == b"written after rotation"
    assert running.primary_key_id == cli.primary_key_id


def test_pseudonymise_is_stable_prefixed_and_hex(keyring: Keyring) -> None:
    first = keyring.pseudonymise("twilio", "+447700900123")
    assert first == keyring.pseudonymise("twilio", " +447700900123 ")
    assert re.fullmatch(r"tw-[0-9a-f]{32}", first)
    assert "447700900123" not in first


def test_pseudonymise_differs_by_channel_address_and_key(keyring: Keyring) -> None:
    base = keyring.pseudonymise("telegram", "123456789")
    assert base.startswith("tg-")
    assert keyring.pseudonymise("telegram", "123456780") != base
    assert keyring.pseudonymise("twilio", "123456789")[3:] != base[3:]
    assert Keyring.generate().pseudonymise("telegram", "123456789") != base


def test_pseudonym_survives_data_key_rotation(keyring: Keyring) -> None:
    before = keyring.pseudonymise("twilio", "+447700900123")
    keyring.rotate()
    assert keyring.pseudonymise("twilio", "+447700900123") == before
    assert pseudonymise("twilio", "+447700900123", keyring=keyring) == before


def test_pseudonymise_unknown_channel_uses_sanitised_name(keyring: Keyring) -> None:
    assert keyring.pseudonymise("My Chan!", "a").startswith("mychan-")


@pytest.mark.parametrize("channel,address", [("", "x"), ("twilio", "  ")])
def test_pseudonymise_empty_input_raises(keyring: Keyring, channel: str, address: str) -> None:
    with pytest.raises(ValueError):
        keyring.pseudonymise(channel, address)
