"""Helpers shared by retention and erasure: evidence deletion, secure delete, month arithmetic."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.settings import Settings
from bot.store.models import Case, Evidence, IncidentDetails
from bot.store.sealed import open_json

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.store.uow import Store

logger = logging.getLogger(__name__)


def secure_delete(session: Session) -> None:
    """SQLite: makes this session's connection zero-fill what it deletes (no-op elsewhere)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def checkpoint(store: Store) -> None:
    """SQLite: moves the write-ahead log into the file, so deleted pages leave the WAL too.

    Run it after the unit of work that deleted them has committed (a checkpoint runs outside any
    transaction).
    """
    engine = store.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def delete_evidence_rows(session: Session, settings: Settings, rows: list[Any]) -> int:
    """Deletes evidence rows (in the session, not committed) and their encrypted files.

    Files are removed first: a crash leaves a row pointing at no file (reported as missing by
    ``keys rotate``), never a file that no row accounts for.
    """
    for row in rows:
        (settings.evidence_dir / row.stored_name).unlink(missing_ok=True)
    if rows:
        session.execute(delete(Evidence).where(Evidence.id.in_([row.id for row in rows])))
    return len(rows)


def case_evidence(session: Session, case_id: int) -> list[Any]:
    """Evidence rows linked to a case."""
    return list(session.scalars(select(Evidence).where(Evidence.case_id == case_id)))


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (day clamped to the month's end)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def incident_of(session: Session, keyring: Any, case: Case) -> dict[str, Any] | None:
    """The decrypted incident details of a case, or None if it has none."""
    data = session.scalar(select(IncidentDetails.data).where(IncidentDetails.case_id == case.id))
    return (
        None
        if data is None
        else dict(open_json(keyring, IncidentDetails.data, data, reference=case.reference))
    )
