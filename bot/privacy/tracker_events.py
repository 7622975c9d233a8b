"""Encrypted rows of Rasa's SQL tracker store, readable without importing Rasa.

Rasa's ``SQLTrackerStore`` keeps each event in the ``events`` table with the full event JSON
(message text, slot values, entities) in the ``data`` column. :class:`bot.tracker_store.
EncryptedSQLTrackerStore` stores there instead::

    esea1:<base64url of a bot.crypto.Keyring ciphertext of the event JSON>

bound (AES-GCM associated data) to the row: ``esea:tracker_event:<sender_id>:<row id>:<type>``,
so a ciphertext copied to another conversation or another row does not decrypt. Only what Rasa
queries stays readable: ``id`` (order), ``sender_id`` (a channel pseudonym), ``type_name`` and
``timestamp`` (latest session). ``intent_name`` and ``action_name`` are left empty.

This module holds the format and the maintenance operations (key rotation, deletion, export) that
the CLI and the web service run on the tracker database directly.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.crypto import DecryptionError, Keyring
from bot.store.db import WRITE_AHEAD_PRAGMAS

logger = logging.getLogger(__name__)

PREFIX = "esea1:"
TABLE_NAME = "events"
_BATCH = 500

#: The table Rasa 3.6 creates (``SQLTrackerStore.SQLEvent``), declared here for Core queries.
EVENTS = sa.Table(
    TABLE_NAME,
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def event_aad(sender_id: str, event_id: int, type_name: str) -> bytes:
    """Associated data binding an event ciphertext to its row."""
    return f"esea:tracker_event:{sender_id}:{int(event_id)}:{type_name}".encode()


def seal_event(
    keyring: Keyring, sender_id: str, event_id: int, type_name: str, data: dict[str, Any]
) -> str:
    """Encrypts one event's JSON for the ``data`` column.

    Args:
        keyring: Encrypts with its primary key.
        sender_id: The conversation id of the row.
        event_id: The row's primary key (assigned before this is called).
        type_name: The row's ``type_name``.
        data: ``Event.as_dict()``.

    Returns:
        ``esea1:`` followed by the base64url ciphertext (ASCII, fits Rasa's Text column).
    """
    blob = keyring.encrypt_json(data, event_aad(sender_id, event_id, type_name))
    return PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def is_sealed(stored: str | None) -> bool:
    """Whether a ``data`` value is in the encrypted format."""
    return bool(stored) and str(stored).startswith(PREFIX)


def open_event(
    keyring: Keyring, sender_id: str, event_id: int, type_name: str, stored: str
) -> dict[str, Any]:
    """Decrypts a ``data`` value made by :func:`seal_event`.

    A plain JSON value (written by Rasa's own SQL tracker store before the switch) is returned as
    is; ``python -m bot.cli keys rotate`` encrypts such rows.

    Raises:
        DecryptionError: The value is damaged, was moved from another row, or its key is unknown.
    """
    if not is_sealed(stored):
        logger.warning("Tracker event %d is not encrypted; run `bot.cli keys rotate`", event_id)
        return dict(json.loads(stored))
    try:
        blob = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
    except ValueError:
        raise DecryptionError("tracker event is not valid base64") from None
    return dict(keyring.decrypt_json(blob, event_aad(sender_id, event_id, type_name)))


def key_id_of(stored: str) -> str | None:
    """Key id of an encrypted ``data`` value, or None for a plain (legacy) one."""
    if not is_sealed(stored):
        return None
    return Keyring.key_id_of(base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii")))


# -- engines ------------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def install_sqlite_pragmas(engine: Engine, busy_timeout_s: float = 30.0) -> None:
    """Makes every new SQLite connection wait for locks, overwrite deleted content and write
    ahead.

    ``secure_delete`` zero-fills the space of deleted rows, so erased and expired events do not
    linger in free pages of the file. ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit
    appends to the ``-wal`` file without waiting for the disk (Rasa saves a turn on its event
    loop, so an fsync there stalls every conversation). A crash of the process loses nothing
    committed; a power loss may lose the last commits, never corrupts the file. Deleted rows'
    old pages can stay in the ``-wal`` file until a checkpoint, so whatever deletes events runs
    :func:`checkpoint` after its commit. The ``-wal`` and ``-shm`` files get the database file's
    permissions (0600, ``bot.tracker_store._create_private_file``). No-op for other databases.
    """
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(busy_timeout_s * 1000)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA secure_delete=ON")
            for pragma in WRITE_AHEAD_PRAGMAS:  # WAL is kept in the file; a no-op once set
                cursor.execute(pragma)
        finally:
            cursor.close()


def tracker_engine(url: str, busy_timeout_s: float = 30.0) -> Engine | None:
    """Opens the tracker database for maintenance, or None if it does not exist yet.

    A missing SQLite file is not created (Rasa creates it with its table on first start).
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    from bot.store.db import make_engine

    engine = make_engine(url, busy_timeout_s=busy_timeout_s, case_store=False)
    install_sqlite_pragmas(engine, busy_timeout_s)
    if not sa.inspect(engine).has_table(TABLE_NAME):
        engine.dispose()
        return None
    return engine


# -- maintenance --------------------------------------------------------------------------------


def reencrypt_events(engine: Engine, keyring: Keyring) -> int:
    """Re-encrypts every event not made with the primary key, and encrypts plain (legacy) ones.

    Works in batches of committed transactions by increasing id, so the tracker store stays
    usable and an interrupted run can simply be repeated.

    Returns:
        The number of rows rewritten.
    """
    primary = keyring.primary_key_id
    rewritten = 0
    last_id = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data)
                .where(EVENTS.c.id > last_id)
                .order_by(EVENTS.c.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                break
            for event_id, sender_id, type_name, stored in rows:
                last_id = event_id
                if stored is None or key_id_of(stored) == primary:
                    continue
                data = open_event(keyring, sender_id, event_id, type_name, stored)
                conn.execute(
                    sa.update(EVENTS)
                    .where(EVENTS.c.id == event_id)
                    .values(
                        data=seal_event(keyring, sender_id, event_id, type_name, data),
                        intent_name=None,
                        action_name=None,
                    )
                )
                rewritten += 1
    checkpoint(engine)  # the old ciphertexts leave the write-ahead log too
    logger.info("Re-encrypted %d tracker events", rewritten)
    return rewritten


def delete_conversations(engine: Engine, sender_ids: Iterable[str]) -> int:
    """Deletes every event of the given conversations. Returns the number of rows deleted."""
    ids = list(dict.fromkeys(sender_ids))
    deleted = 0
    for start in range(0, len(ids), _BATCH):
        with engine.begin() as conn:
            result = conn.execute(
                sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(ids[start : start + _BATCH]))
            )
            deleted += int(result.rowcount or 0)
    checkpoint(engine)
    return deleted


def conversation_events(engine: Engine, keyring: Keyring, sender_id: str) -> list[dict[str, Any]]:
    """Every stored event of one conversation, decrypted, oldest first (for subject access)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender_id)
            .order_by(EVENTS.c.id)
        ).all()
    return [
        open_event(keyring, sender_id, event_id, type_name, stored)
        for event_id, type_name, stored in rows
        if stored
    ]


def checkpoint(engine: Engine) -> None:
    """SQLite: folds the write-ahead log (if any) into the file and empties it, so deleted data
    leaves the WAL (with ``secure_delete`` their pages in the file are zero-filled). Run it after
    the deleting transaction has committed. No-op for other databases."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:  # a reader held an older snapshot for longer than the busy timeout
        logger.warning("Tracker database checkpoint incomplete (a reader was busy); the next one folds it")
