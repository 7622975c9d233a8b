"""Every encrypted column of the case store, declared once with its associated-data label.

A sealed value is a :class:`bot.crypto.Keyring` ciphertext whose associated data names the place
it is stored, so a value copied into another row (or column) does not decrypt::

    esea:<label>:<part>:<part>...      e.g. esea:case_note:ABCD-2345:3f9a0c1d2e4b5a69

Read and write sealed columns only through this module::

    row.data = sealed.seal_json(keyring, CaseNote.data, text, reference=ref, note_key=key)
    text = sealed.open_json(keyring, CaseNote.data, row.data, reference=ref, note_key=key)

Key rotation (``python -m bot.cli keys rotate``) walks :data:`REGISTRY`, so a column added here is
re-encrypted with the others. Evidence files are sealed the same way but live on disk, not in a
column: see :data:`EVIDENCE_FILE`. Tracker events (Rasa's own table) are sealed by
:mod:`bot.privacy.tracker_events`.

The labels are part of the stored bytes: changing one makes every existing value unreadable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Keyring
from bot.store.handoff_models import CallbackTask, CaseNote
from bot.store.models import (
    Case,
    CaseAddition,
    ChannelAddress,
    ContactDetails,
    IncidentDetails,
    SavedDraft,
)

#: A stored row and the label parts of its sealed value.
RowParts = tuple[Any, dict[str, str]]


@dataclass(frozen=True)
class SealedLabel:
    """The associated data of one kind of sealed value: ``esea:<label>:<part values...>``."""

    label: str
    parts: tuple[str, ...]

    def aad(self, **parts: str) -> bytes:
        """The associated data for one value.

        Raises:
            TypeError: A part is missing or unknown (the message names parts, never values).
        """
        if set(parts) != set(self.parts):
            raise TypeError(f"{self.label} needs exactly the parts {', '.join(self.parts)}")
        return ":".join(["esea", self.label, *(str(parts[p]) for p in self.parts)]).encode()


@dataclass(frozen=True)
class SealedColumn(SealedLabel):
    """An encrypted model column, its label, and how to find its stored rows for key rotation."""

    table: str
    column: str
    rows: Callable[[Session], Iterable[RowParts]]

    @property
    def key(self) -> str:
        """``table.column``."""
        return f"{self.table}.{self.column}"


def _by_case(model: Any, key_part: str | None = None) -> Callable[[Session], Iterator[RowParts]]:
    """Rows of a per-case model with the case reference (and one key column of the row)."""

    def rows(session: Session) -> Iterator[RowParts]:
        query = select(model, Case.reference).join(Case, Case.id == model.case_id)
        for row, reference in session.execute(query):
            parts = {"reference": reference}
            if key_part is not None:
                parts[key_part] = getattr(row, key_part)
            yield row, parts

    return rows


def _channel_addresses(session: Session) -> Iterator[RowParts]:
    for row in session.scalars(select(ChannelAddress)):
        yield row, {"channel": row.channel, "pseudonym": row.pseudonym}


def _saved_drafts(session: Session) -> Iterator[RowParts]:
    for row in session.scalars(select(SavedDraft)):
        yield row, {"code": row.code}


def _callback_safe_times(session: Session) -> Iterator[RowParts]:
    for row in session.scalars(select(CallbackTask).where(CallbackTask.safe_times.is_not(None))):
        yield row, {"id_key": row.id_key}


def _column(
    attribute: Any,
    label: str,
    parts: tuple[str, ...],
    rows: Callable[[Session], Iterable[RowParts]],
) -> SealedColumn:
    return SealedColumn(
        label=label,
        parts=parts,
        table=attribute.class_.__tablename__,
        column=attribute.key,
        rows=rows,
    )


#: Every encrypted column, keyed ``table.column``.
REGISTRY: dict[str, SealedColumn] = {
    c.key: c
    for c in (
        _column(
            IncidentDetails.data, "incident_details", ("reference",), _by_case(IncidentDetails)
        ),
        _column(ContactDetails.data, "contact_details", ("reference",), _by_case(ContactDetails)),
        _column(
            ChannelAddress.address, "channel_address", ("channel", "pseudonym"), _channel_addresses
        ),
        _column(
            CaseNote.data, "case_note", ("reference", "note_key"), _by_case(CaseNote, "note_key")
        ),
        _column(
            CaseAddition.data,
            "case_addition",
            ("reference", "addition_key"),
            _by_case(CaseAddition, "addition_key"),
        ),
        _column(SavedDraft.data, "saved_draft", ("code",), _saved_drafts),
        _column(CallbackTask.safe_times, "callback_safe_times", ("id_key",), _callback_safe_times),
    )
}

#: Evidence files on disk (``esea:evidence:<stored_name>``).
EVIDENCE_FILE = SealedLabel("evidence", ("stored_name",))


def column_of(attribute: Any) -> SealedColumn:
    """The registry entry of a model attribute such as ``CaseNote.data``.

    Raises:
        KeyError: The column is not an encrypted column.
    """
    return REGISTRY[f"{attribute.class_.__tablename__}.{attribute.key}"]


def aad(attribute: Any, **parts: str) -> bytes:
    """The associated data of one value of an encrypted column."""
    return column_of(attribute).aad(**parts)


def seal(keyring: Keyring, attribute: Any, value: bytes, **parts: str) -> bytes:
    """Encrypts ``value`` for ``attribute`` in the row named by ``parts``."""
    return keyring.encrypt(value, aad(attribute, **parts))


def open_sealed(keyring: Keyring, attribute: Any, blob: bytes, **parts: str) -> bytes:
    """Decrypts a value made by :func:`seal` for the same column and row.

    Raises:
        bot.crypto.DecryptionError: The value is damaged, belongs elsewhere, or its key is unknown.
    """
    return keyring.decrypt(blob, aad(attribute, **parts))


def seal_json(keyring: Keyring, attribute: Any, value: Any, **parts: str) -> bytes:
    """Encrypts a JSON value for ``attribute`` in the row named by ``parts``."""
    return keyring.encrypt_json(value, aad(attribute, **parts))


def open_json(keyring: Keyring, attribute: Any, blob: bytes, **parts: str) -> Any:
    """Decrypts a value made by :func:`seal_json` for the same column and row."""
    return keyring.decrypt_json(blob, aad(attribute, **parts))


def reseal_columns(session: Session, keyring: Keyring) -> dict[str, int]:
    """Re-encrypts every sealed column value not made with the primary key (not committed).

    Returns:
        How many values were rewritten, per ``table.column`` (every registered column present).
    """
    primary = keyring.primary_key_id
    counts = dict.fromkeys(REGISTRY, 0)
    for entry in REGISTRY.values():
        for row, parts in list(entry.rows(session)):
            blob = getattr(row, entry.column)
            if blob is None or keyring.key_id_of(blob) == primary:
                continue
            value_aad = entry.aad(**parts)
            setattr(row, entry.column, keyring.encrypt(keyring.decrypt(blob, value_aad), value_aad))
            counts[entry.key] += 1
    return counts
