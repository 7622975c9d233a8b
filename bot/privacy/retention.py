"""Storage limitation: delete old transcripts and drafts, anonymise old cases.

Run by ``python -m bot.cli retention run [--now ISO]`` and by the web service's scheduled job
(:mod:`service.jobs`). Periods come from :class:`bot.privacy.config.PrivacySettings` (why these
defaults: its docstring and docs/privacy.md). Every step is idempotent, so an interrupted run is
finished by the next one. What is deleted, exactly:

After ``DRAFT_RETENTION_DAYS`` (cut-off = now - days):
- tracker store: every event of a conversation whose last event is before the cut-off; for a
  conversation still in use, the events before the cut-off that belong to earlier sessions (Rasa
  only reads the latest session, so the bot never notices);
- evidence never linked to a case (an unfinished or stopped draft) uploaded before the cut-off;
- channel addresses and channel state of conversations not seen since the cut-off.

After ``CASE_ANONYMISE_MONTHS`` (cases created before now - months): the case becomes a
:class:`~bot.privacy.models.StatisticalRecord` (month, channel, language, coarse region, incident
types, motivations, reporter role, place type, routing answers) and everything else is deleted:
reference, pseudonym, incident text, contact details, consents, evidence files, casework, notes,
contact attempts, callback tasks.

Nothing else is touched: submitted cases younger than the period, evidence of cases, recent
conversations, the audit log, console accounts.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.crypto import Keyring
from bot.privacy.common import (
    case_evidence,
    checkpoint,
    delete_evidence_rows,
    incident_of,
    months_before,
    secure_delete,
)
from bot.privacy.config import PrivacySettings
from bot.privacy.models import StatisticalRecord
from bot.privacy.regions import region_of
from bot.privacy.tracker_events import EVENTS
from bot.privacy.tracker_events import checkpoint as tracker_checkpoint
from bot.settings import Settings
from bot.store.audit import audit
from bot.store.models import Case, ChannelAddress, ChannelState, Evidence
from bot.store.person import delete_expired_drafts
from bot.store.uow import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    """What one run deleted or anonymised (counts only)."""

    tracker_conversations_deleted: int = 0
    tracker_events_deleted: int = 0
    loose_evidence_deleted: int = 0
    channel_addresses_deleted: int = 0
    channel_states_deleted: int = 0
    saved_drafts_deleted: int = 0
    cases_anonymised: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return asdict(self)


def run_retention(
    store: Store,
    privacy: PrivacySettings,
    *,
    now: datetime,
    tracker: Engine | None,
) -> RetentionReport:
    """Applies every retention rule once.

    Each step is a unit of work of its own (the loose data, then each old case), so a failure
    undoes only its step and the next run finishes the job; the run's audit row records the
    counts once they are all done.

    Args:
        store: The case store (its keyring decrypts incidents to keep their categorical facts;
            its settings give the evidence folder).
        privacy: The periods.
        now: The current time (aware); tests pass a fixed clock.
        tracker: Engine of Rasa's tracker database, or None when there is none yet.

    Returns:
        The counts; also written to the audit log (``privacy.retention_run``).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    draft_cutoff = now - timedelta(days=privacy.draft_retention_days)
    case_cutoff = months_before(now, privacy.case_anonymise_months)
    conversations, events = (0, 0)
    if tracker is not None:
        conversations, events = purge_tracker(tracker, draft_cutoff)
    keyring, settings = store.keyring, store.settings
    with store.unit_of_work() as session:
        secure_delete(session)
        loose = delete_evidence_rows(
            session,
            settings,
            list(
                session.scalars(
                    select(Evidence).where(
                        Evidence.case_id.is_(None), Evidence.created_at < draft_cutoff
                    )
                )
            ),
        )
        addresses = session.execute(
            delete(ChannelAddress).where(ChannelAddress.updated_at < draft_cutoff)
        ).rowcount
        states = session.execute(
            delete(ChannelState).where(ChannelState.updated_at < draft_cutoff)
        ).rowcount
        # Saved drafts carry their own expiry (the draft period from when they were saved).
        saved = delete_expired_drafts(session, now=now)
    anonymised = 0
    with store.reading() as session:
        old = list(session.scalars(select(Case.id).where(Case.created_at < case_cutoff)))
    for case_id in old:
        with store.unit_of_work() as session:
            secure_delete(session)
            anonymise_case(session, keyring, settings, case_id, now=now)
            anonymised += 1
    report = RetentionReport(
        tracker_conversations_deleted=conversations,
        tracker_events_deleted=events,
        loose_evidence_deleted=loose,
        channel_addresses_deleted=int(addresses or 0),
        channel_states_deleted=int(states or 0),
        saved_drafts_deleted=saved,
        cases_anonymised=anonymised,
    )
    with store.unit_of_work() as session:
        audit(session, None, "privacy.retention_run", None, report.as_dict(), now=now)
    checkpoint(store)
    logger.info("Retention run: %s", report.as_dict())
    return report


def purge_tracker(engine: Engine, cutoff: datetime) -> tuple[int, int]:
    """Deletes idle conversations and old earlier sessions from the tracker store.

    Returns:
        (conversations deleted entirely, events deleted in all).
    """
    cutoff_ts = cutoff.timestamp()
    events = EVENTS.alias("later")
    with engine.begin() as conn:
        idle = list(
            conn.execute(
                select(EVENTS.c.sender_id)
                .group_by(EVENTS.c.sender_id)
                .having(sa.func.max(EVENTS.c.timestamp) < cutoff_ts)
            ).scalars()
        )
        deleted = 0
        for start in range(0, len(idle), 500):
            deleted += int(
                conn.execute(
                    delete(EVENTS).where(EVENTS.c.sender_id.in_(idle[start : start + 500]))
                ).rowcount
                or 0
            )
        latest_session = (
            select(sa.func.max(events.c.timestamp))
            .where(
                events.c.sender_id == EVENTS.c.sender_id,
                events.c.type_name == "session_started",
            )
            .scalar_subquery()
        )
        deleted += int(
            conn.execute(
                delete(EVENTS).where(
                    EVENTS.c.timestamp < cutoff_ts, EVENTS.c.timestamp < latest_session
                )
            ).rowcount
            or 0
        )
    tracker_checkpoint(engine)
    return len(idle), deleted


def anonymise_case(
    session: Session, keyring: Keyring, settings: Settings, case_id: int, *, now: datetime
) -> StatisticalRecord:
    """Replaces a case by its statistical record and deletes everything else about it (in the
    caller's unit of work)."""
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"no case with id {case_id}")
    record = statistical_record(case, incident_of(session, keyring, case), now=now)
    session.add(record)
    delete_evidence_rows(session, settings, case_evidence(session, case.id))
    session.delete(case)  # ORM: details, contact, consents; database cascade: casework & co.
    session.flush()
    logger.info("Case %d anonymised", case_id)
    return record


def statistical_record(
    case: Case, incident: dict[str, Any] | None, *, now: datetime
) -> StatisticalRecord:
    """The categorical facts of a case, as kept after anonymisation (and counted in statistics)."""
    incident = incident or {}
    return StatisticalRecord(
        month=case.created_at.strftime("%Y-%m"),
        channel=case.channel,
        language=case.language,
        region=region_of(incident.get("location"), incident.get("location_kind")),
        incident_types=sorted(set(incident.get("incident_types") or [])),
        motivations=sorted(set(incident.get("motivations") or [])),
        reporter_role=incident.get("reporter_role"),
        place_type=incident.get("place_type"),
        police_referral=case.police_referral,
        caseworker_requested=bool(case.caseworker_requested),
        anonymised_at=now,
    )
