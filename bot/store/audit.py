"""The audit log: who did what to which case, identifiers only (never message text or personal data).

Part of the store layer so every layer above (the store's own person functions, handoff, privacy,
the console) writes audit rows the same way, in the same transaction as the change they record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.handoff_models import AuditEntry, ConsoleUser


def audit(
    session: Session,
    user_id: int | None,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    commit: bool = True,
) -> None:
    """Writes one audit row. ``detail`` must hold identifiers only, never text.

    Committed at once, or with ``commit=False`` left for the caller to commit together with the
    change it records.
    """
    session.add(
        AuditEntry(
            user_id=user_id,
            action=action,
            subject=subject,
            detail=detail,
            at=now or dt.datetime.now(dt.timezone.utc),
        )
    )
    if commit:
        session.commit()


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
