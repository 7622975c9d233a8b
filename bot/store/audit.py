"""The audit log: who did what to which case, identifiers only (never message text or personal data).

Part of the store layer so every layer above (the store's own person functions, handoff, privacy,
the console) writes audit rows the same way, in the same transaction as the change they record:
:func:`audit` only adds the row to the session, and the caller's unit of work
(:meth:`bot.store.uow.Store.unit_of_work`) commits it with the change, or neither.

A change made for a staff member pairs its work with its :class:`Audit` through :func:`audited`,
so the row cannot be forgotten or committed apart (the console's ``ConsoleState.audited``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.handoff_models import AuditEntry, ConsoleUser

T = TypeVar("T")


def audit(
    session: Session,
    user_id: int | None,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Adds one audit row to the session (never commits: the caller's unit of work does, with the
    change it records). ``detail`` must hold identifiers only, never text."""
    session.add(
        AuditEntry(
            user_id=user_id,
            action=action,
            subject=subject,
            detail=detail,
            at=now or dt.datetime.now(dt.timezone.utc),
        )
    )


@dataclass(frozen=True)
class Audit:
    """One audit row to write: who (a console user id; None for the person or the service), what,
    about which subject, with details that are identifiers only (codes, ids, dates), never text."""

    user_id: int | None
    action: str
    subject: str | None = None
    detail: dict[str, Any] | None = None

    def write(self, session: Session, *, now: dt.datetime | None = None) -> None:
        """Adds the row to the session (see :func:`audit`)."""
        audit(session, self.user_id, self.action, self.subject, self.detail, now=now)


#: What to record for a change: one fixed row, or a row made from the work's result (None: the
#: work changed nothing worth recording, such as clearing an override that was not there).
Recorded: TypeAlias = Audit | Callable[[Any], Audit | None]


@overload
def audited(
    record: Recorded, work: Callable[[Session], T], *, now: dt.datetime
) -> Callable[[Session], T]: ...


@overload
def audited(
    record: Recorded, work: None = None, *, now: dt.datetime
) -> Callable[[Session], None]: ...


def audited(
    record: Recorded, work: Callable[[Session], Any] | None = None, *, now: dt.datetime
) -> Callable[[Session], Any]:
    """``work`` followed by its audit row, as one function of a session.

    Run it inside one unit of work: the change and its row are then committed together, and a
    failure of either (the work raises, the row cannot be written, the commit fails) leaves
    neither. Without ``work`` only the row is written (a read or a refusal worth recording).

    Args:
        record: The row, or a function of the work's result giving it (or None for no row).
        work: The change, ``work(session) -> result``; it adds and flushes, never commits.
        now: The time of the row (the handler's clock, the same the change used).

    Returns:
        ``unit(session) -> result`` (None without ``work``).
    """

    def unit(session: Session) -> Any:
        result = work(session) if work is not None else None
        row = record(result) if callable(record) else record
        if row is not None:
            row.write(session, now=now)
        return result

    return unit


def audit_entries(
    session: Session, *, subject: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Newest audit rows, optionally for one subject (a case reference)."""
    query = select(AuditEntry, ConsoleUser.email).join(
        ConsoleUser, ConsoleUser.id == AuditEntry.user_id, isouter=True
    )
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    query = query.order_by(AuditEntry.id.desc()).limit(limit)
    return [
        {
            "at": entry.at.isoformat(),
            "user": email,
            "action": entry.action,
            "subject": entry.subject,
            "detail": entry.detail,
        }
        for entry, email in session.execute(query)
    ]
