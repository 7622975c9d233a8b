"""Authenticated encryption of stored personal data, and keyed pseudonyms for channel addresses.

A :class:`Keyring` holds several AES-256-GCM data keys, each with a short id, one of them primary,
plus one separate HMAC key for pseudonyms. New data is always encrypted with the primary key;
every key in the ring can still decrypt, so :meth:`Keyring.rotate` never makes old data
unreadable (``python -m bot.cli keys rotate`` then re-encrypts everything with the new key).

The pseudonym key is never rotated: a pseudonym is the Rasa sender id and the key of stored
conversation state, so it has to stay the same for the same address for as long as we keep data.

Ciphertext format (bytes)::

    version (1 byte, 0x01) | key-id length (1 byte) | key id (ASCII) | nonce (12 bytes) | GCM output

The header (version and key id) is authenticated together with the caller's ``aad``, which binds a
ciphertext to where it is stored (for example ``esea:incident_details:ABCD-2345``): a value copied
into another row does not decrypt.

Keys come from ``DATA_KEYS`` (keyring JSON in the environment) or else from the key file
(``DATA_KEY_FILE``), which is created with random keys on first use, mode 0600 in a 0700 folder.
There is never a built-in default key. Key file format::

    {"format": 1, "primary": "k1a2b3c4d", "data_keys": {"k1a2b3c4d": "<base64url 32 bytes>"},
     "pseudonym_key": "<base64url 32 bytes>"}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
KEYRING_FORMAT = 1
NONCE_BYTES = 12
KEY_BYTES = 32
PSEUDONYM_HEX_CHARS = 32
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Short, stable prefixes for the channels we know; others use their sanitised name.
_CHANNEL_PREFIXES = {
    "twilio": "tw",
    "telegram": "tg",
    "socketio": "web",
    "web": "web",
    "rest": "rest",
}


class KeyringError(Exception):
    """The keyring cannot be loaded, created or saved."""


class DecryptionError(KeyringError):
    """A ciphertext is malformed, was made with an unknown key, or fails authentication."""


class Keyring:
    """AES-GCM data keys (one primary) and the pseudonym key.

    Thread-safe. When loaded from a file, a ciphertext made with a key id we do not know causes one
    re-read of the file, so a long-running process picks up a rotation made by the CLI.
    """

    def __init__(
        self,
        data_keys: Mapping[str, bytes],
        primary: str,
        pseudonym_key: bytes,
        *,
        source: Path | None = None,
    ) -> None:
        """Creates a keyring from raw keys.

        Args:
            data_keys: Key id to 32-byte AES key.
            primary: Id of the key used for new ciphertexts; must be in ``data_keys``.
            pseudonym_key: HMAC key for :meth:`pseudonymise` (at least 32 bytes).
            source: The key file this keyring was read from, if any (used to reload and save).

        Raises:
            KeyringError: The keys are not valid.
        """
        _check_keys(data_keys, primary, pseudonym_key)
        self._keys = dict(data_keys)
        self._primary = primary
        self._pseudonym_key = bytes(pseudonym_key)
        self._source = source
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Shows key ids only, never key material."""
        return f"Keyring(primary={self._primary!r}, key_ids={sorted(self._keys)!r})"

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def generate(cls) -> Keyring:
        """Returns a new keyring with one random data key and a random pseudonym key."""
        key_id = _new_key_id()
        return cls({key_id: AESGCM.generate_key(bit_length=256)}, key_id, secrets.token_bytes(32))

    @classmethod
    def from_json(cls, text: str, *, source: Path | None = None) -> Keyring:
        """Parses the keyring JSON format described in the module docstring.

        Raises:
            KeyringError: The text is not a valid keyring (the message never contains key material).
        """
        try:
            doc = json.loads(text)
            if doc.get("format") != KEYRING_FORMAT:
                raise KeyringError(f"unsupported keyring format {doc.get('format')!r}")
            keys = {str(kid): _b64decode(value) for kid, value in doc["data_keys"].items()}
            return cls(keys, str(doc["primary"]), _b64decode(doc["pseudonym_key"]), source=source)
        except KeyringError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError(f"keyring is not valid ({type(exc).__name__})") from None

    def to_json(self) -> str:
        """Serialises the keyring (contains secrets: write it only to a private file)."""
        with self._lock:
            doc = {
                "format": KEYRING_FORMAT,
                "primary": self._primary,
                "data_keys": {kid: _b64encode(key) for kid, key in self._keys.items()},
                "pseudonym_key": _b64encode(self._pseudonym_key),
            }
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, settings: Settings) -> Keyring:
        """Loads the keyring from ``DATA_KEYS`` or the key file, creating the file if missing.

        Safe when several processes start at once: the file appears complete or not at all, and a
        process that loses the race reads the winner's file.

        Args:
            settings: Where to look (``data_keys`` takes precedence over ``key_file``).

        Returns:
            The keyring.

        Raises:
            KeyringError: The keys are invalid or the file cannot be read or created.
        """
        if settings.data_keys:
            logger.info("Using the keyring from DATA_KEYS")
            return cls.from_json(settings.data_keys)
        path = settings.key_file
        if not path.exists():
            cls._create_file(path)
        return cls._read_file(path)

    @classmethod
    def _create_file(cls, path: Path) -> None:
        """Writes a new random keyring to ``path`` unless another process just did."""
        ensure_private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        _write_new_private(tmp, cls.generate().to_json().encode())
        try:
            os.link(tmp, path)  # atomic and fails if the file exists: no half-written keyring
            logger.warning(
                "Created a new keyring at %s; back it up, data is unreadable without it", path
            )
        except FileExistsError:
            logger.info("Keyring was created concurrently by another process")
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def _read_file(cls, path: Path) -> Keyring:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                logger.warning(
                    "Key file %s is readable by others (mode %o); use chmod 600", path, mode
                )
            return cls.from_json(path.read_text(encoding="utf-8"), source=path)
        except OSError as exc:
            raise KeyringError(f"cannot read key file {path}: {exc.strerror}") from None

    def save(self, path: Path | None = None) -> Path:
        """Writes the keyring atomically to ``path`` (default: the file it was loaded from).

        Returns:
            The path written.

        Raises:
            KeyringError: There is no path to write to.
        """
        target = path or self._source
        if target is None:
            raise KeyringError("this keyring was not loaded from a file; give a path to save it")
        write_private_file(target, self.to_json().encode())
        self._source = target
        return target

    # -- keys -------------------------------------------------------------------------------

    @property
    def primary_key_id(self) -> str:
        """Id of the key used for new ciphertexts."""
        return self._primary

    @property
    def key_ids(self) -> list[str]:
        """Ids of every data key, sorted."""
        return sorted(self._keys)

    @property
    def source(self) -> Path | None:
        """The key file this keyring was loaded from or saved to, if any."""
        return self._source

    def rotate(self) -> str:
        """Adds a new random data key and makes it primary. Old keys stay for decryption.

        The pseudonym key is unchanged. Call :meth:`save` afterwards to persist the change.

        Returns:
            The new primary key id.
        """
        with self._lock:
            key_id = _new_key_id()
            while key_id in self._keys:
                key_id = _new_key_id()
            self._keys[key_id] = AESGCM.generate_key(bit_length=256)
            self._primary = key_id
        logger.info("Rotated data keys; new primary key id %s", key_id)
        return key_id

    # -- encryption -------------------------------------------------------------------------

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypts and authenticates ``plaintext`` with the primary key.

        Args:
            plaintext: The data.
            aad: Context the ciphertext is bound to; the same bytes are needed to decrypt.

        Returns:
            The self-describing ciphertext (see the module docstring).
        """
        with self._lock:
            key_id, key = self._primary, self._keys[self._primary]
        header = _header(key_id)
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypts a ciphertext made by :meth:`encrypt` with any key of the ring.

        Raises:
            DecryptionError: The ciphertext is malformed, its key is unknown, or it was altered or
                bound to a different ``aad``.
        """
        key_id, header_len = _parse_header(blob)
        key = self._key(key_id)
        nonce = blob[header_len : header_len + NONCE_BYTES]
        try:
            return AESGCM(key).decrypt(
                nonce, blob[header_len + NONCE_BYTES :], blob[:header_len] + aad
            )
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None

    def encrypt_json(self, value: Any, aad: bytes) -> bytes:
        """Encrypts a JSON-serialisable value (see :meth:`encrypt`)."""
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return self.encrypt(text.encode("utf-8"), aad)

    def decrypt_json(self, blob: bytes, aad: bytes) -> Any:
        """Decrypts a value made by :meth:`encrypt_json`."""
        return json.loads(self.decrypt(blob, aad).decode("utf-8"))

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        """Returns the id of the key a ciphertext was made with (without decrypting it)."""
        return _parse_header(blob)[0]

    def _key(self, key_id: str) -> bytes:
        with self._lock:
            key = self._keys.get(key_id)
        if key is None and self._source is not None:
            self._reload()
            with self._lock:
                key = self._keys.get(key_id)
        if key is None:
            raise DecryptionError(f"no key with id {key_id!r} in the keyring")
        return key

    def _reload(self) -> None:
        """Adopts the key file's current keys (after a rotation by another process)."""
        assert self._source is not None
        try:
            fresh = Keyring._read_file(self._source)
        except KeyringError:
            logger.exception("Could not reload the key file")
            return
        with self._lock:
            self._keys.update(fresh._keys)
            self._primary = fresh._primary
        logger.info("Reloaded the keyring; primary key id %s", fresh._primary)

    # -- pseudonyms -------------------------------------------------------------------------

    def pseudonymise(self, channel: str, address: str) -> str:
        """Returns a stable pseudonym for a channel address (phone number, Telegram chat id...).

        Keyed HMAC-SHA256 over the channel and the address, so pseudonyms cannot be reversed or
        recomputed without the key, and the same address on two channels gives two pseudonyms.

        Args:
            channel: Channel name, e.g. ``twilio`` or ``telegram``.
            address: The address on that channel; surrounding whitespace is ignored.

        Returns:
            A URL-safe id such as ``tw-3f9a...`` (channel prefix, dash, 32 hex characters).

        Raises:
            ValueError: The channel or the address is empty.
        """
        channel, address = channel.strip(), address.strip()
        if not channel or not address:
            raise ValueError("channel and address must not be empty")
        message = b"esea:pseudonym:v1\x00" + channel.encode() + b"\x00" + address.encode()
        digest = hmac.new(self._pseudonym_key, message, hashlib.sha256).hexdigest()
        return f"{channel_prefix(channel)}-{digest[:PSEUDONYM_HEX_CHARS]}"


def load_keyring(settings: Settings) -> Keyring:
    """Shorthand for :meth:`Keyring.load`."""
    return Keyring.load(settings)


def pseudonymise(channel: str, address: str, *, keyring: Keyring) -> str:
    """Shorthand for :meth:`Keyring.pseudonymise` (the name used in docs/architecture.md)."""
    return keyring.pseudonymise(channel, address)


def channel_prefix(channel: str) -> str:
    """The short pseudonym prefix of a channel (``twilio`` → ``tw``)."""
    known = _CHANNEL_PREFIXES.get(channel.lower())
    if known:
        return known
    return re.sub(r"[^a-z0-9]", "", channel.lower())[:8] or "x"


# -- private files ----------------------------------------------------------------------------


def ensure_private_dir(path: Path) -> None:
    """Creates ``path`` (and parents) if missing and makes it mode 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replaces ``path`` with ``data``, mode 0600, in a 0700 folder.

    Readers see either the old or the new content, never a partial file.
    """
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        _write_new_private(tmp, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_new_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# -- helpers ----------------------------------------------------------------------------------


def _new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return bytes([FORMAT_VERSION, len(encoded)]) + encoded


def _parse_header(blob: bytes) -> tuple[str, int]:
    """Returns the key id and header length of a ciphertext."""
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("unknown ciphertext format")
    header_len = 2 + blob[1]
    if len(blob) < header_len + NONCE_BYTES + 16:
        raise DecryptionError("ciphertext is truncated")
    try:
        return blob[2:header_len].decode("ascii"), header_len
    except UnicodeDecodeError:
        raise DecryptionError("ciphertext key id is malformed") from None


def _check_keys(data_keys: Mapping[str, bytes], primary: str, pseudonym_key: bytes) -> None:
    if not data_keys:
        raise KeyringError("keyring has no data keys")
    for key_id, key in data_keys.items():
        if not _KEY_ID_RE.match(key_id):
            raise KeyringError(f"invalid key id {key_id!r}")
        if len(key) != KEY_BYTES:
            raise KeyringError(f"data key {key_id!r} must be {KEY_BYTES} bytes")
    if primary not in data_keys:
        raise KeyringError(f"primary key id {primary!r} is not in the keyring")
    if len(pseudonym_key) < 32:
        raise KeyringError("pseudonym key must be at least 32 bytes")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
