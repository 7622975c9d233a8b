"""The callback and caseworker queues: building them from cases, due dates, access, the record.

Promises made to the person become timers:

- a callback (the person gave contact details): the helpline calls within
  :data:`FIRST_CONTACT_WORKING_DAYS` working days, at their safe times, leaving a message only if
  they said that is safe;
- casework (the person asked for a caseworker *and* agreed to share their details with a partner):
  matched to a partner organisation; first contact by the same deadline, and the caseworker calls
  within :data:`CASEWORKER_CALLBACK_DAYS` days.

:func:`sync_queue` creates the missing rows for new cases; it is idempotent (unique case ids) and
run by the web service on every queue read and by its background loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.crypto import Keyring
from bot.handoff.accounts import User
from bot.handoff.hours import add_working_days
from bot.handoff.partners import Partner, match_partner, region_of
from bot.hours import OpeningHours
from bot.store import sealed
from bot.store import service as store
from bot.store.handoff_models import (
    CallbackTask,
    CaseNote,
    Casework,
    ConsoleUser,
    ContactAttempt,
    HandoffRequest,
)
from bot.store.models import Case, ContactDetails, IncidentDetails
from bot.store.uow import savepoint

logger = logging.getLogger(__name__)

FIRST_CONTACT_WORKING_DAYS = 3
CASEWORKER_CALLBACK_DAYS = 7
CASEWORK_STATUSES = ("queued", "accepted", "contacted", "in_progress", "closed")
ATTEMPT_OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number", "unsafe_to_talk")
MAX_NOTE_CHARS = 10_000


class QueueError(ValueError):
    """A queue operation was refused (bad value or transition)."""


@dataclass(frozen=True)
class SyncStats:
    """What :func:`sync_queue` added."""

    callbacks: int
    casework: int


def _consented_to_partner(case: Case) -> bool:
    """True when the person asked for a caseworker and agreed to share with a partner."""
    if not case.caseworker_requested:
        return False
    return any(
        c.kind == "partner_sharing" and c.value == "yes" and c.withdrawn_at is None
        for c in case.consents
    )


def _contact_refused(case: Case) -> bool:
    return any(
        c.kind == "contact" and c.value == "no" and c.withdrawn_at is None for c in case.consents
    )


def sync_queue(
    session: Session,
    keyring: Keyring,
    *,
    hours: OpeningHours,
    partners: list[Partner],
    now: dt.datetime | None = None,
) -> SyncStats:
    """Creates callback tasks and casework rows for cases that have none yet (flushed; the
    caller's unit of work commits them). When another process synced the same case first, none
    are added (a savepoint undoes just them; the rest of the caller's unit of work stays).

    Args:
        session: A fresh session.
        keyring: Decrypts contact and incident details (never logged).
        hours: Working days for the deadlines.
        partners: The partner directory.
        now: Unused for deadlines (those count from the case's creation); kept for symmetry.

    Returns:
        How many rows were added.
    """
    have_callback = select(CallbackTask.case_id).where(CallbackTask.case_id.is_not(None))
    have_casework = select(Casework.case_id)
    cases = session.scalars(
        select(Case)
        .where((Case.id.not_in(have_callback)) | (Case.id.not_in(have_casework)))
        .options(
            selectinload(Case.consents), selectinload(Case.contact), selectinload(Case.incident)
        )
    ).all()
    added: list[CallbackTask | Casework] = []
    callbacks = casework = 0
    existing_callbacks = set(session.scalars(have_callback))
    existing_casework = set(session.scalars(have_casework))
    for case in cases:
        first_due = add_working_days(hours, case.created_at, FIRST_CONTACT_WORKING_DAYS)
        if (
            case.id not in existing_callbacks
            and case.contact is not None
            and not _contact_refused(case)
        ):
            contact = sealed.open_json(
                keyring, ContactDetails.data, case.contact.data, reference=case.reference
            )
            if contact and (contact.get("phone") or contact.get("email")):
                id_key = secrets.token_hex(8)
                safe = contact.get("safe_times")
                added.append(
                    CallbackTask(
                        id_key=id_key,
                        case_id=case.id,
                        conversation_id=case.conversation_key,
                        language=case.language,
                        reason="report_contact",
                        may_leave_message=contact.get("safe_to_leave_message"),
                        safe_times=sealed.seal_json(
                            keyring, CallbackTask.safe_times, safe, id_key=id_key
                        )
                        if safe
                        else None,
                        due_at=first_due,
                        created_at=case.created_at,
                    )
                )
                callbacks += 1
        if case.id not in existing_casework and _consented_to_partner(case):
            incident = (
                sealed.open_json(
                    keyring, IncidentDetails.data, case.incident.data, reference=case.reference
                )
                if case.incident is not None
                else {}
            ) or {}
            found = match_partner(
                partners,
                language=case.language,
                region=region_of(incident.get("location")),
                needs=list(incident.get("support_needs") or []),
            )
            added.append(
                Casework(
                    case_id=case.id,
                    partner_id=found.partner.id if found else None,
                    match_reasons=list(found.reasons)
                    if found
                    else ["no partner speaks the language"],
                    status="queued",
                    first_contact_due=first_due,
                    caseworker_due=case.created_at + dt.timedelta(days=CASEWORKER_CALLBACK_DAYS),
                    created_at=case.created_at,
                )
            )
            casework += 1
    if not added:
        return SyncStats(0, 0)
    try:
        with savepoint(session):  # only these rows are undone if another process was first
            session.add_all(added)
    except IntegrityError:  # another process synced the same case first
        return SyncStats(0, 0)
    if callbacks or casework:
        logger.info("Queue sync added %d callbacks and %d casework items", callbacks, casework)
    return SyncStats(callbacks, casework)


def _due(moment: dt.datetime | None, done: bool, now: dt.datetime) -> dict[str, Any]:
    return {
        "due": moment.isoformat() if moment else None,
        "overdue": bool(moment and not done and moment < now),
    }


# -- access -------------------------------------------------------------------------------------


def can_see_case(session: Session, user: User, reference: str) -> bool:
    """Operators and admins see every case; a caseworker only consented cases of their partner."""
    if user.role in ("operator", "admin"):
        return True
    if user.role != "caseworker" or not user.organisation:
        return False
    case = session.scalar(
        select(Case).where(Case.reference == reference).options(selectinload(Case.consents))
    )
    if case is None or not _consented_to_partner(case):
        return False
    work = session.scalar(select(Casework).where(Casework.case_id == case.id))
    return work is not None and work.partner_id == user.organisation


# -- listing ------------------------------------------------------------------------------------


def queue_view(
    session: Session, keyring: Keyring, user: User, *, now: dt.datetime
) -> dict[str, Any]:
    """What the user's queue page shows: live chats, callbacks, casework (each with due dates).

    Caseworkers get only casework of their own organisation; nothing about other cases exists
    for them.
    """
    result: dict[str, Any] = {"live": [], "callbacks": [], "casework": []}
    if user.role in ("operator", "admin"):
        result["live"] = live_queue(session, now=now)
        rows = session.execute(
            select(CallbackTask, Case.reference)
            .join(Case, Case.id == CallbackTask.case_id, isouter=True)
            .where(CallbackTask.status == "open")
            .order_by(CallbackTask.due_at)
        ).all()
        for task, reference in rows:
            safe = (
                sealed.open_json(
                    keyring, CallbackTask.safe_times, task.safe_times, id_key=task.id_key
                )
                if task.safe_times
                else None
            )
            result["callbacks"].append(
                {
                    "id": task.id,
                    "reference": reference,
                    "language": task.language,
                    "reason": task.reason,
                    "may_leave_message": task.may_leave_message,
                    "safe_times": safe,
                    "status": task.status,
                    **_due(task.due_at, task.status != "open", now),
                }
            )
    query = (
        select(Casework, Case.reference, Case.language)
        .join(Case, Case.id == Casework.case_id)
        .where(Casework.status != "closed")
        .order_by(Casework.first_contact_due)
    )
    if user.role == "caseworker":
        query = query.where(Casework.partner_id == user.organisation)
    elif user.role not in ("operator", "admin"):
        return result
    for work, reference, language in session.execute(query).all():
        contacted = work.first_contact_at is not None
        first = _due(work.first_contact_due, contacted, now)
        callback = _due(work.caseworker_due, contacted, now)
        result["casework"].append(
            {
                "reference": reference,
                "language": language,
                "partner_id": work.partner_id,
                "match_reasons": work.match_reasons,
                "status": work.status,
                "first_contact_due": first["due"],
                "caseworker_due": callback["due"],
                "overdue": first["overdue"] or callback["overdue"],
            }
        )
    if user.role == "caseworker":
        result["casework"] = [
            c for c in result["casework"] if _still_consented(session, c["reference"])
        ]
    return result


def _still_consented(session: Session, reference: str) -> bool:
    case = session.scalar(
        select(Case).where(Case.reference == reference).options(selectinload(Case.consents))
    )
    return case is not None and _consented_to_partner(case)


def live_queue(session: Session, *, now: dt.datetime) -> list[dict[str, Any]]:
    """Waiting and active live chats, oldest first (no message text)."""
    from bot.handoff.live import interpreter_needed

    rows = session.execute(
        select(HandoffRequest, ConsoleUser.email, ConsoleUser.languages)
        .join(ConsoleUser, ConsoleUser.id == HandoffRequest.operator_id, isouter=True)
        .where(HandoffRequest.status.in_(("waiting", "active")))
        .order_by(HandoffRequest.created_at, HandoffRequest.id)
    ).all()
    # Worked out now, not when the person asked: who is online (or who took the chat) matters.
    return [
        {
            "id": r.id,
            "status": r.status,
            "channel": r.channel,
            "language": r.language,
            "interpreter_needed": (
                r.language != "en" and r.language not in (languages or [])
                if r.status == "active"
                else interpreter_needed(session, r.language, now=now)
            ),
            "operator": email,
            "interpreter_arranged": r.interpreter_arranged_at is not None,
            "waiting_seconds": int((now - r.created_at).total_seconds()),
        }
        for r, email, languages in rows
    ]


# -- the case record ----------------------------------------------------------------------------


def case_record(
    session: Session, keyring: Keyring, reference: str, *, now: dt.datetime
) -> dict[str, Any] | None:
    """A case with its casework, contact attempts and decrypted notes."""
    case = store.get_case(session, keyring, reference)
    if case is None:
        return None
    # The conversation's key reaches no console user: with it (and Rasa's API) the whole chat
    # could be read. Staff work from the case; live chats carry their own handle.
    case.pop("conversation_key", None)
    row = session.scalar(select(Case).where(Case.reference == case["reference"]))
    work = session.scalar(select(Casework).where(Casework.case_id == row.id))
    if work is not None:
        contacted = work.first_contact_at is not None
        case["casework"] = {
            "partner_id": work.partner_id,
            "match_reasons": work.match_reasons,
            "status": work.status,
            "first_contact_due": _due(work.first_contact_due, contacted, now),
            "caseworker_due": _due(work.caseworker_due, contacted, now),
            "accepted_at": work.accepted_at.isoformat() if work.accepted_at else None,
        }
    else:
        case["casework"] = None
    emails = dict(session.execute(select(ConsoleUser.id, ConsoleUser.email)).all())
    case["attempts"] = [
        {"at": a.at.isoformat(), "outcome": a.outcome, "by": emails.get(a.user_id)}
        for a in session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.case_id == row.id)
            .order_by(ContactAttempt.id)
        )
    ]
    case["notes"] = [
        {
            "at": n.at.isoformat(),
            "by": emails.get(n.user_id),
            "text": sealed.open_json(
                keyring, CaseNote.data, n.data, reference=row.reference, note_key=n.note_key
            ),
        }
        for n in session.scalars(
            select(CaseNote).where(CaseNote.case_id == row.id).order_by(CaseNote.id)
        )
    ]
    return case


def _case_row(session: Session, reference: str) -> Case:
    row = session.scalar(select(Case).where(Case.reference == reference))
    if row is None:
        raise QueueError("no such case")
    return row


def add_note(
    session: Session, keyring: Keyring, user: User, reference: str, text: str, *, now: dt.datetime
) -> None:
    """Adds an encrypted note (the caller's unit of work commits it)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE_CHARS:
        raise QueueError(f"a note must have 1 to {MAX_NOTE_CHARS} characters")
    row = _case_row(session, reference)
    key = secrets.token_hex(8)
    session.add(
        CaseNote(
            note_key=key,
            case_id=row.id,
            user_id=user.id,
            at=now,
            data=sealed.seal_json(
                keyring, CaseNote.data, text, reference=row.reference, note_key=key
            ),
        )
    )


def record_attempt(
    session: Session, user: User, reference: str, outcome: str, *, now: dt.datetime
) -> None:
    """Records a contact attempt; a reached person meets the first-contact promise (the caller's
    unit of work commits it)."""
    if outcome not in ATTEMPT_OUTCOMES:
        raise QueueError(f"outcome must be one of {', '.join(ATTEMPT_OUTCOMES)}")
    row = _case_row(session, reference)
    session.add(ContactAttempt(case_id=row.id, user_id=user.id, outcome=outcome, at=now))
    if outcome == "reached":
        work = session.scalar(select(Casework).where(Casework.case_id == row.id))
        if work is not None and work.first_contact_at is None:
            work.first_contact_at = now
            if work.status in ("queued", "accepted"):
                work.status = "contacted"
        for task in session.scalars(
            select(CallbackTask).where(
                CallbackTask.case_id == row.id, CallbackTask.status == "open"
            )
        ):
            task.status, task.done_at = "done", now


def set_casework_status(
    session: Session, user: User, reference: str, status: str, *, now: dt.datetime
) -> None:
    """Accepts, advances or closes casework; mirrors the case's own status (the caller's unit of
    work commits it)."""
    if status not in CASEWORK_STATUSES:
        raise QueueError(f"status must be one of {', '.join(CASEWORK_STATUSES)}")
    row = _case_row(session, reference)
    work = session.scalar(select(Casework).where(Casework.case_id == row.id))
    if work is None:
        raise QueueError("this case is not in the caseworker queue")
    if work.status == "closed" and user.role != "admin":
        raise QueueError("closed casework can only be reopened by an admin")
    work.status = status
    if status == "accepted" and work.accepted_at is None:
        work.accepted_by, work.accepted_at = user.id, now
        row.status = "with_caseworker"
    if status == "closed":
        work.closed_at = now
        row.status = "closed"


def set_callback_status(session: Session, task_id: int, status: str, *, now: dt.datetime) -> None:
    """Marks a callback done or cancelled (the caller's unit of work commits it)."""
    if status not in ("open", "done", "cancelled"):
        raise QueueError("status must be open, done or cancelled")
    task = session.get(CallbackTask, task_id)
    if task is None:
        raise QueueError("no such callback")
    task.status = status
    task.done_at = None if status == "open" else now
