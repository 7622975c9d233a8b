"""Tests of bot.store.sealed: every encrypted column is registered, and stored bytes stay readable."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import LargeBinary

import bot.privacy.models  # noqa: F401  (registers its tables on the shared metadata)
import bot.store.handoff_models  # noqa: F401
from bot.crypto import DecryptionError, Keyring
from bot.store import sealed
from bot.store.handoff_models import CallbackTask, CaseNote, ConsoleUser
from bot.store.models import (
    Base,
    Case,
    CaseAddition,
    ChannelAddress,
    ContactDetails,
    IncidentDetails,
    SavedDraft,
)

NOW = datetime(2026, 2, 3, 10, 0, tzinfo=timezone.utc)
REFERENCE = "ABCD-2345"

#: Each encrypted column, its label parts, and the associated data written before the registry,
#: spelled out by hand exactly as the old per-module helpers built it.
OLD_LABELS: list[tuple[Any, dict[str, str], bytes]] = [
    (IncidentDetails.data, {"reference": REFERENCE}, b"esea:incident_details:ABCD-2345"),
    (ContactDetails.data, {"reference": REFERENCE}, b"esea:contact_details:ABCD-2345"),
    (
        ChannelAddress.address,
        {"channel": "telegram", "pseudonym": "tg-0f1e2d3c"},
        b"esea:channel_address:telegram:tg-0f1e2d3c",
    ),
    (
        CaseNote.data,
        {"reference": REFERENCE, "note_key": "a1b2c3d4e5f60718"},
        b"esea:case_note:ABCD-2345:a1b2c3d4e5f60718",
    ),
    (
        CaseAddition.data,
        {"reference": REFERENCE, "addition_key": "0011223344556677"},
        b"esea:case_addition:ABCD-2345:0011223344556677",
    ),
    (SavedDraft.data, {"code": "KQ7M-3RTX"}, b"esea:saved_draft:KQ7M-3RTX"),
    (
        CallbackTask.safe_times,
        {"id_key": "99aa88bb77cc66dd"},
        b"esea:callback_safe_times:99aa88bb77cc66dd",
    ),
]


def test_every_encrypted_column_is_registered() -> None:
    binary = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    assert binary, "the models declare no binary columns: the introspection is broken"
    assert set(sealed.REGISTRY) == binary


def test_every_registered_column_has_a_hand_written_old_label() -> None:
    assert {sealed.column_of(attribute).key for attribute, _, _ in OLD_LABELS} == set(
        sealed.REGISTRY
    )


@pytest.mark.parametrize(("attribute", "parts", "old_aad"), OLD_LABELS)
def test_value_sealed_the_old_way_opens_the_new_way(
    keyring: Keyring, attribute: Any, parts: dict[str, str], old_aad: bytes
) -> None:
    old_blob = keyring.encrypt_json({"text": "Invented value"}, old_aad)
    assert sealed.open_json(keyring, attribute, old_blob, **parts) == {"text": "Invented value"}
    new_blob = sealed.seal(keyring, attribute, b"invented bytes", **parts)
    assert keyring.decrypt(new_blob, old_aad) == b"invented bytes"


def test_evidence_label_is_unchanged(keyring: Keyring) -> None:
    blob = keyring.encrypt(b"img", b"esea:evidence:0a1b2c3d.bin")
    assert keyring.decrypt(blob, sealed.EVIDENCE_FILE.aad(stored_name="0a1b2c3d.bin")) == b"img"


def test_value_from_another_row_or_column_does_not_open(keyring: Keyring) -> None:
    blob = sealed.seal_json(keyring, IncidentDetails.data, {"a": 1}, reference=REFERENCE)
    with pytest.raises(DecryptionError):
        sealed.open_json(keyring, IncidentDetails.data, blob, reference="WXYZ-6789")
    with pytest.raises(DecryptionError):
        sealed.open_json(keyring, ContactDetails.data, blob, reference=REFERENCE)


def test_missing_or_unknown_label_part_is_refused(keyring: Keyring) -> None:
    with pytest.raises(TypeError, match="reference, note_key"):
        sealed.seal_json(keyring, CaseNote.data, "x", reference=REFERENCE)
    with pytest.raises(TypeError):
        sealed.seal_json(keyring, SavedDraft.data, "x", code="KQ7M-3RTX", reference=REFERENCE)
    with pytest.raises(KeyError):
        sealed.column_of(Case.reference)


def test_reseal_walks_every_registered_column(session_factory: Any, keyring: Keyring) -> None:
    old = {attribute: old_aad for attribute, _, old_aad in OLD_LABELS}

    def old_seal(attribute: Any, value: Any) -> bytes:
        return keyring.encrypt_json(value, old[attribute])

    with session_factory() as session:
        user = ConsoleUser(email="op@example.invalid", password_hash="x", role="operator")
        case = Case(
            reference=REFERENCE,
            submission_key="invented-1",
            channel="rest",
            language="en",
            conversation_key="web-invented",
            police_referral="none",
            caseworker_requested=False,
        )
        session.add_all([user, case])
        session.flush()
        session.add_all(
            [
                IncidentDetails(case_id=case.id, data=old_seal(IncidentDetails.data, {"d": 1})),
                ContactDetails(case_id=case.id, data=old_seal(ContactDetails.data, {"c": 2})),
                ChannelAddress(
                    channel="telegram",
                    pseudonym="tg-0f1e2d3c",
                    address=old_seal(ChannelAddress.address, "123"),
                ),
                CaseNote(
                    note_key="a1b2c3d4e5f60718",
                    case_id=case.id,
                    user_id=user.id,
                    data=old_seal(CaseNote.data, "note"),
                ),
                CaseAddition(
                    addition_key="0011223344556677",
                    case_id=case.id,
                    language="en",
                    channel="rest",
                    data=old_seal(CaseAddition.data, {"text": "more"}),
                ),
                SavedDraft(
                    code="KQ7M-3RTX",
                    secret_hash="x",
                    language="en",
                    expires_at=NOW,
                    data=old_seal(SavedDraft.data, {"description": "draft"}),
                ),
                CallbackTask(
                    id_key="99aa88bb77cc66dd",
                    case_id=case.id,
                    language="en",
                    reason="report_contact",
                    due_at=NOW,
                    safe_times=old_seal(CallbackTask.safe_times, "mornings"),
                ),
            ]
        )
        session.commit()

    new_key = keyring.rotate()
    with session_factory() as session:
        counts = sealed.reseal_columns(session, keyring)
        session.commit()
    assert counts == dict.fromkeys(sealed.REGISTRY, 1)

    with session_factory() as session:
        for attribute, parts, old_aad in OLD_LABELS:
            entry = sealed.column_of(attribute)
            (row, row_parts), *rest = list(entry.rows(session))
            assert not rest and row_parts == parts
            blob = getattr(row, entry.column)
            assert Keyring.key_id_of(blob) == new_key
            keyring.decrypt(blob, old_aad)  # still the same associated data
        assert sealed.reseal_columns(session, keyring) == dict.fromkeys(sealed.REGISTRY, 0)
