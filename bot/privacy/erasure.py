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

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.crypto import Keyring
from bot.privacy.common import case_evidence, checkpoint, delete_evidence_rows, secure_delete
from bot.privacy.models import ErasureRecord
from bot.privacy.tracker_events import conversation_events, delete_conversations
from bot.store import sealed
from bot.store.audit import audit
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
from bot.store.uow import Store

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
    store: Store,
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
    keyring = store.keyring
    with store.reading() as session:
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
                select(ContactAttempt)
                .where(ContactAttempt.case_id == case_id)
                .order_by(ContactAttempt.id)
            )
        ]
        case["case_notes"] = [
            {
                "at": n.at.isoformat(),
                "text": sealed.open_json(
                    keyring, CaseNote.data, n.data, reference=normalised, note_key=n.note_key
                ),
            }
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
                "safe_times": sealed.open_json(
                    keyring, CallbackTask.safe_times, t.safe_times, id_key=t.id_key
                )
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
        []
        if tracker is None
        else _transcript(conversation_events(tracker, keyring, case["conversation_key"]))
    )
    with store.unit_of_work() as session:
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
                {
                    "at": event.get("timestamp"),
                    "slot": event.get("name"),
                    "value": event.get("value"),
                }
            )
    return out


def erase_case(
    store: Store,
    reference: str,
    *,
    tracker: Engine | None,
    now: datetime | None = None,
) -> ErasureResult | None:
    """Deletes a case and everything linked to it; keeps an erasure record (audited).

    The case, its record and the audit row go in one unit of work; the transcript (another
    database) is deleted after it commits, and its count is then added to the record and the
    audit row.

    Returns:
        The result, or None when there is no such case.
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    now = now or utcnow()
    keyring, settings = store.keyring, store.settings
    with store.unit_of_work() as session:
        secure_delete(session)
        case = session.scalar(select(Case).where(Case.reference == normalised))
        if case is None:
            return None
        conversation_key = case.conversation_key
        counts = {
            "consents": len(
                list(session.scalars(select(Consent.id).where(Consent.case_id == case.id)))
            ),
            "contact_details": int(case.contact is not None),
            "incident_details": int(case.incident is not None),
            "case_notes": len(
                list(session.scalars(select(CaseNote.id).where(CaseNote.case_id == case.id)))
            ),
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
        record.detail = dict(counts)
        subject = f"erasure:{record_id}"
        audit(session, None, "privacy.case_erased", subject, dict(counts), now=now)
    counts["tracker_events"] = (
        0 if tracker is None else delete_conversations(tracker, [conversation_key])
    )
    with store.unit_of_work() as session:
        session.get(ErasureRecord, record_id).detail = counts
        for entry in session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "privacy.case_erased", AuditEntry.subject == subject
            )
        ):
            entry.detail = counts
    checkpoint(store)
    logger.info("Case erased (erasure record %d)", record_id)
    return ErasureResult(record_id, counts)


def was_erased(store: Store, reference: str) -> bool:
    """Whether a case with this reference was erased at the person's request."""
    normalised = normalise_reference(reference)
    if normalised is None:
        return False
    keyring = store.keyring
    with store.reading() as session:
        return (
            session.scalar(
                select(ErasureRecord.id).where(
                    ErasureRecord.reference_hash == reference_hash(keyring, normalised)
                )
            )
            is not None
        )


# -- A conversation the person erased ("Exit quickly", typed "exit"/"delete"/"stop") -------------
#
# Not a case: what the person typed lives in Rasa's tracker (deleted by the tracker store) and, in
# the case store, only as live-chat requests and evidence not yet part of a sent report. A report
# already SUBMITTED from the conversation stays: it is the case, and has its own erasure above.


def erase_unsent(store: Store, conversation_key: str) -> dict[str, int]:
    """Deletes the case store's traces of a conversation that are not a submitted report.

    Idempotent: a second call finds nothing and deletes nothing. One unit of work.

    Args:
        store: The process's case store (its settings give the evidence folder).
        conversation_key: Rasa's sender id of the conversation.

    Returns:
        How many live-chat requests and evidence files were deleted, and how many "my report"
        grants of the conversation were ended (a chat that is gone opens no case any more).
    """
    import datetime as dt

    from bot.handoff import live
    from bot.privacy.common import delete_evidence_rows
    from bot.store.models import Evidence
    from bot.store.person import revoke_access

    settings = store.settings
    with store.unit_of_work() as session:
        grants = revoke_access(
            session,
            store.keyring,
            conversation_key,
            now=dt.datetime.now(dt.timezone.utc),
        )
        requests = live.forget(session, conversation_key)
        rows = list(
            session.scalars(
                select(Evidence).where(
                    Evidence.conversation_key == conversation_key, Evidence.case_id.is_(None)
                )
            )
        )
        evidence = delete_evidence_rows(session, settings, rows)
    return {"live_requests": requests, "evidence_files": evidence, "access_grants": grants}


class Tombstones:
    """Conversations erased by "Exit quickly" in the last ``ttl`` seconds (memory only, bounded).

    A message already on its way when the person left is handled after the erasure; the tracker
    store consults this so that message cannot write the conversation back. Only a keyed digest
    of each id is held, never the id.
    """

    def __init__(self, ttl: float = 15 * 60, max_size: int = 50_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._until: dict[str, float] = {}
        self._salt = os.urandom(16)

    def _key(self, conversation_key: str) -> str:
        return hashlib.blake2b(
            conversation_key.encode("utf-8"), key=self._salt, digest_size=16
        ).hexdigest()

    def add(self, conversation_key: str, now: float | None = None) -> bool:
        """Marks a conversation erased; False if it already was (nothing new to do)."""
        now = time.monotonic() if now is None else now
        self._expire(now)
        key = self._key(conversation_key)
        fresh = self._until.get(key, 0.0) <= now
        if len(self._until) >= self.max_size and fresh:
            self._until.pop(next(iter(self._until)))  # the oldest mark gives way
        self._until[key] = now + self.ttl
        return fresh

    def __contains__(self, conversation_key: object) -> bool:
        if not isinstance(conversation_key, str):
            return False
        return self._until.get(self._key(conversation_key), 0.0) > time.monotonic()

    def _expire(self, now: float) -> None:
        for key in [k for k, until in self._until.items() if until <= now]:
            del self._until[key]


#: The Rasa process's marks (see :class:`Tombstones`); the quick-exit route adds to it.
ERASED = Tombstones()


def recently_erased(conversation_key: str) -> bool:
    """Whether "Exit quickly" erased this conversation a moment ago (then nothing is stored)."""
    return conversation_key in ERASED
