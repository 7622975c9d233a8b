"""Subject access (everything held about a case, as JSON) and erasure, by case reference.

``python -m bot.cli cases export REF`` and ``cases erase REF --yes``. Both are audited in
``audit_log`` (actions ``privacy.case_export`` and ``privacy.case_erased``). A person proves who
they are to staff, outside this code; the reference alone is not proof of identity.

Erasure deletes the case and everything linked to it: incident details, contact details,
consents, evidence files and rows, casework, notes, contact attempts, callback tasks, and the
conversation transcript in Rasa's tracker store. What remains is an
:class:`~bot.privacy.models.ErasureRecord`: when, why, how many rows, and a keyed hash of the
reference (so a repeated request is recognised), never the reference or any content. An erased
case is not counted in statistics from then on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.crypto import Keyring
from bot.privacy.common import case_evidence, checkpoint, delete_evidence_rows, secure_delete
from bot.privacy.models import ErasureRecord
from bot.privacy.tracker_events import conversation_events, delete_conversations
from bot.settings import Settings
from bot.store.handoff_models import (
    AuditEntry,
    CallbackTask,
    CaseNote,
    Casework,
    ContactAttempt,
)
from bot.store.models import Case, Consent, utcnow
from bot.store.references import normalise_reference
from bot.store.service import get_case

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureResult:
    """Outcome of :func:`erase_case`: the erasure record's id and what was deleted."""

    record_id: int
    counts: dict[str, int]


def reference_hash(keyring: Keyring, reference: str) -> str:
    """Keyed hash of a normalised reference, kept in erasure records instead of the reference."""
    return keyring.pseudonymise("erasure", reference)


def export_case(
    sessions: sessionmaker,
    keyring: Keyring,
    reference: str,
    *,
    tracker: Engine | None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """Everything held about one case, decrypted, for a subject access request (audited).

    Returns:
        A JSON-serialisable dict, or None when there is no such case (then an erasure record with
        the same reference hash, if any, is reported under ``"erased"`` by the CLI).
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    from bot.handoff.accounts import audit
    from bot.handoff.queue import _note_aad, _safe_times_aad

    with sessions() as session:
        case = get_case(session, keyring, normalised)
        if case is None:
            return None
        case_id = session.scalar(select(Case.id).where(Case.reference == normalised))
        work = session.scalar(select(Casework).where(Casework.case_id == case_id))
        case["casework"] = (
            None
            if work is None
            else {
                "status": work.status,
                "partner_id": work.partner_id,
                "created_at": work.created_at.isoformat(),
                "first_contact_due": work.first_contact_due.isoformat(),
                "caseworker_due": work.caseworker_due.isoformat(),
                "closed_at": work.closed_at.isoformat() if work.closed_at else None,
            }
        )
        case["contact_attempts"] = [
            {"at": a.at.isoformat(), "outcome": a.outcome}
            for a in session.scalars(
                select(ContactAttempt).where(ContactAttempt.case_id == case_id).order_by(ContactAttempt.id)
            )
        ]
        case["case_notes"] = [
            {"at": n.at.isoformat(), "text": keyring.decrypt_json(n.data, _note_aad(normalised, n.note_key))}
            for n in session.scalars(
                select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)
            )
        ]
        case["callbacks"] = [
            {
                "status": t.status,
                "reason": t.reason,
                "due_at": t.due_at.isoformat(),
                "may_leave_message": t.may_leave_message,
                "safe_times": keyring.decrypt_json(t.safe_times, _safe_times_aad(t.id_key))
                if t.safe_times
                else None,
            }
            for t in session.scalars(select(CallbackTask).where(CallbackTask.case_id == case_id))
        ]
        from bot.store.person import additions

        case["additions"] = additions(session, keyring, normalised)
        case["access_log"] = [
            {"at": e.at.isoformat(), "action": e.action}
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.subject == normalised).order_by(AuditEntry.id)
            )
        ]
    case["conversation"] = (
        [] if tracker is None else _transcript(conversation_events(tracker, keyring, case["conversation_key"]))
    )
    with sessions() as session:
        audit(session, None, "privacy.case_export", normalised, None, now=now)
    logger.info("Case exported for a subject access request")
    return case


def _transcript(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The person's and the bot's messages and the answers recorded, from tracker events."""
    out: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind in ("user", "bot"):
            out.append({"at": event.get("timestamp"), "from": kind, "text": event.get("text")})
        elif kind == "slot" and event.get("value") is not None:
            out.append(
                {"at": event.get("timestamp"), "slot": event.get("name"), "value": event.get("value")}
            )
    return out


def erase_case(
    sessions: sessionmaker,
    keyring: Keyring,
    settings: Settings,
    reference: str,
    *,
    tracker: Engine | None,
    now: datetime | None = None,
) -> ErasureResult | None:
    """Deletes a case and everything linked to it; keeps an erasure record (audited).

    Returns:
        The result, or None when there is no such case.
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    now = now or utcnow()
    from bot.handoff.accounts import audit

    with sessions() as session:
        secure_delete(session)
        case = session.scalar(select(Case).where(Case.reference == normalised))
        if case is None:
            return None
        conversation_key = case.conversation_key
        counts = {
            "consents": len(list(session.scalars(select(Consent.id).where(Consent.case_id == case.id)))),
            "contact_details": int(case.contact is not None),
            "incident_details": int(case.incident is not None),
            "case_notes": len(list(session.scalars(select(CaseNote.id).where(CaseNote.case_id == case.id)))),
        }
        counts["evidence_files"] = delete_evidence_rows(
            session, settings, case_evidence(session, case.id)
        )
        session.delete(case)
        record = ErasureRecord(
            erased_at=now,
            reference_hash=reference_hash(keyring, normalised),
            reason="subject_request",
            detail=None,
        )
        session.add(record)
        session.flush()
        record_id = int(record.id)
        session.commit()
    counts["tracker_events"] = (
        0 if tracker is None else delete_conversations(tracker, [conversation_key])
    )
    with sessions() as session:
        row = session.get(ErasureRecord, record_id)
        row.detail = counts
        session.commit()
        audit(session, None, "privacy.case_erased", f"erasure:{record_id}", counts, now=now)
        checkpoint(session)
    logger.info("Case erased (erasure record %d)", record_id)
    return ErasureResult(record_id, counts)


def was_erased(sessions: sessionmaker, keyring: Keyring, reference: str) -> bool:
    """Whether a case with this reference was erased at the person's request."""
    normalised = normalise_reference(reference)
    if normalised is None:
        return False
    with sessions() as session:
        return (
            session.scalar(
                select(ErasureRecord.id).where(
                    ErasureRecord.reference_hash == reference_hash(keyring, normalised)
                )
            )
            is not None
        )
