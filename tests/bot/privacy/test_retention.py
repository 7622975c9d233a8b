"""Retention with a fixed clock: deletes exactly what the periods say, and nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from bot import cli
from bot.crypto import Keyring
from bot.privacy import tracker_events
from bot.privacy.common import months_before
from bot.privacy.config import PrivacySettings
from bot.privacy.models import StatisticalRecord
from bot.privacy.regions import region_of
from bot.privacy.retention import run_retention
from bot.settings import Settings, SettingsError
from bot.store import service
from bot.store.db import upgrade
from bot.store.handoff_models import AuditEntry
from bot.store.uow import Store
from tests.bot.privacy.factories import (
    conversation,
    evidence_at,
    snapshot,
    submit_at,
    tracker_rows,
    tracker_store,
)

UTC = timezone.utc
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
OLD_CASE = datetime(2024, 1, 10, tzinfo=UTC)  # more than 24 months before NOW
YOUNG_CASE = datetime(2024, 2, 1, tzinfo=UTC)  # less than 24 months before NOW
STALE = NOW - timedelta(days=31)
FRESH = NOW - timedelta(days=29)


@pytest.fixture
def store(settings: Settings, keyring: Keyring) -> Any:
    """(engine, one unit of work per ``with sessions() as session:``, the store handle)."""
    upgrade(settings.database_url)
    handle = Store(settings, keyring=keyring)
    yield handle.engine, handle.unit_of_work, handle
    handle.dispose()


async def test_run_deletes_exactly_what_is_due_and_nothing_else(
    settings: Settings, keyring: Keyring, store: Any, tmp_path: Path
) -> None:
    engine, sessions, handle = store
    old_ref = submit_at(
        sessions, keyring, OLD_CASE, "old", conversation_key="web-old",
        location="LS1", location_kind="postcode", incident_types=["verbal_abuse", "threats"],
    )
    young_ref = submit_at(sessions, keyring, YOUNG_CASE, "young", conversation_key="web-young")
    evidence_at(sessions, keyring, settings, OLD_CASE - timedelta(hours=1), "web-old")
    # Link each case's evidence explicitly (uploads are linked at submit time in real use).
    with sessions() as session:
        from bot.store.models import Case, Evidence

        old_id = session.scalar(sa.select(Case.id).where(Case.reference == old_ref))
        young_id = session.scalar(sa.select(Case.id).where(Case.reference == young_ref))
        session.execute(sa.update(Evidence).values(case_id=old_id))
        session.commit()
    young_evidence = evidence_at(sessions, keyring, settings, YOUNG_CASE, "web-young")
    with sessions() as session:
        session.execute(
            sa.update(Evidence).where(Evidence.id == young_evidence).values(case_id=young_id)
        )
        session.commit()
    stale_loose = evidence_at(sessions, keyring, settings, STALE, "web-draft")
    fresh_loose = evidence_at(sessions, keyring, settings, FRESH, "web-draft2")
    for when, pseudonym in ((STALE, "tg-stale"), (FRESH, "tg-fresh")):
        with time_machine.travel(when, tick=False), sessions() as session:
            service.remember_address(session, keyring, "telegram", pseudonym, "123456")
        with time_machine.travel(when, tick=False), sessions() as session:
            service.set_channel_state(session, "telegram", pseudonym, "k", {"v": 1})

    from bot.store import person

    drafts = {}
    for when in (STALE, FRESH):  # saved to continue later, kept for the draft period (30 days)
        with sessions() as session:
            drafts[when] = person.save_draft(
                session, keyring, {"description": "Invented"}, "secret words", language="en",
                conversation_key="web-x", now=when, keep_days=30,
            )

    tracker_db = tmp_path / "tracker.db"
    ts = tracker_store(tracker_db, keyring)
    await ts.save(conversation("web-idle", STALE - timedelta(days=5), STALE))
    await ts.save(conversation("web-active", STALE - timedelta(days=40), STALE, FRESH))
    await ts.save(conversation("web-recent", FRESH))
    tracker = tracker_events.tracker_engine(f"sqlite:///{tracker_db}")
    assert tracker is not None
    tracker_before = tracker_rows(tracker)
    active_latest = await ts.retrieve("web-active")
    young_before = _case(sessions, keyring, young_ref)
    rows_before = snapshot(engine)
    files_before = {p.name for p in settings.evidence_dir.iterdir()}

    report = run_retention(
        handle, PrivacySettings(tracker_url=""), now=NOW, tracker=tracker
    )

    assert report.as_dict() == {
        "tracker_conversations_deleted": 1,
        "tracker_events_deleted": 5 * 2 + 5 * 2,  # web-idle entirely, web-active's 2 old sessions
        "loose_evidence_deleted": 1,
        "channel_addresses_deleted": 1,
        "channel_states_deleted": 1,
        "saved_drafts_deleted": 1,
        "cases_anonymised": 1,
    }
    # Tracker: exactly the idle conversation and the active one's older sessions went.
    tracker_after = tracker_rows(tracker)
    gone = tracker_before - tracker_after
    assert tracker_after <= tracker_before
    assert {r[1] for r in gone} == {"web-idle", "web-active"}
    assert all(r[1] == "web-idle" or r[3] < FRESH.timestamp() for r in gone)
    assert not [r for r in tracker_after if r[1] == "web-idle"]
    assert len([r for r in tracker_after if r[1] == "web-recent"]) == 5
    again = await ts.retrieve("web-active")
    assert again is not None and active_latest is not None
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in active_latest.events]

    # Case store: diff every table against what should have gone.
    rows_after = snapshot(engine)
    changed = {
        name
        for name in rows_before
        if rows_before[name] != rows_after[name] and name not in ("audit_log",)
    }
    assert changed == {
        "cases", "incident_details", "contact_details", "consents", "evidence",
        "channel_addresses", "channel_state", "statistical_records", "saved_drafts",
    }
    for name in changed - {"statistical_records"}:
        assert rows_after[name] < rows_before[name], name  # only deletions
    assert len(rows_before["cases"] - rows_after["cases"]) == 1
    assert {r[0] for r in rows_before["evidence"] - rows_after["evidence"]} == {1, stale_loose}
    assert fresh_loose in {r[0] for r in rows_after["evidence"]}
    assert {r[2] for r in rows_after["channel_addresses"]} == {"tg-fresh"}
    assert {r[2] for r in rows_after["channel_state"]} == {"tg-fresh"}
    assert {r[1] for r in rows_after["saved_drafts"]} == {drafts[FRESH]}
    files_after = {p.name for p in settings.evidence_dir.iterdir()}
    assert files_after < files_before and len(files_before - files_after) == 2
    assert _case(sessions, keyring, young_ref) == young_before
    assert _case(sessions, keyring, old_ref) is None

    with sessions() as session:
        (record,) = session.scalars(sa.select(StatisticalRecord)).all()
        audit = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy.retention_run")
        ).all()
    assert record.month == "2024-01" and record.region == "yorkshire_and_the_humber"
    assert record.incident_types == ["threats", "verbal_abuse"] and record.channel == "socketio"
    assert len(audit) == 1 and audit[0].detail["cases_anonymised"] == 1

    # A second run finds nothing more to do.
    second = run_retention(
        handle, PrivacySettings(tracker_url=""), now=NOW, tracker=tracker
    )
    assert set(second.as_dict().values()) == {0}
    tracker.dispose()
    ts.engine.dispose()


def _case(sessions: Any, keyring: Keyring, reference: str) -> Any:
    with sessions() as session:
        return service.get_case(session, keyring, reference)


def test_nothing_is_deleted_before_the_periods_end(
    settings: Settings, keyring: Keyring, store: Any
) -> None:
    engine, sessions, handle = store
    submit_at(sessions, keyring, YOUNG_CASE, "young")
    evidence_at(sessions, keyring, settings, FRESH, "web-draft")
    before = snapshot(engine)
    report = run_retention(
        handle, PrivacySettings(tracker_url=""), now=NOW, tracker=None
    )
    assert set(report.as_dict().values()) == {0}
    after = snapshot(engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }


def test_cli_retention_run_uses_the_given_now_and_the_configured_periods(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    handle = Store(cli_env)
    submit_at(handle.unit_of_work, handle.keyring, datetime(2025, 1, 1, tzinfo=UTC), "a")
    monkeypatch.setenv("CASE_ANONYMISE_MONTHS", "12")
    capsys.readouterr()
    assert cli.main(["retention", "run", "--now", "2025-12-31T00:00:00Z"]) == 0
    assert "cases anonymised 0" in capsys.readouterr().out
    with time_machine.travel(datetime(2026, 1, 2, tzinfo=UTC), tick=False):
        assert cli.main(["retention", "run"]) == 0  # the fake clock is "now"
    out = capsys.readouterr().out
    assert "cases 12 months" in out and "cases anonymised 1" in out
    assert cli.main(["retention", "run", "--now", "yesterday"]) == 1
    handle.dispose()


def test_periods_come_from_the_environment_with_documented_defaults(settings: Settings) -> None:
    default = PrivacySettings.from_env({}, settings)
    assert (default.draft_retention_days, default.case_anonymise_months) == (30, 24)
    assert default.tracker_url == f"sqlite:///{settings.var_dir / 'tracker.db'}"
    custom = PrivacySettings.from_env(
        {"DRAFT_RETENTION_DAYS": "7", "CASE_ANONYMISE_MONTHS": "36",
         "TRACKER_DB_URL": "postgresql://u@h/db"}, settings
    )
    assert (custom.draft_retention_days, custom.case_anonymise_months) == (7, 36)
    assert custom.tracker_url == "postgresql://u@h/db" and "postgresql" not in repr(custom)
    with pytest.raises(SettingsError, match="DRAFT_RETENTION_DAYS"):
        PrivacySettings.from_env({"DRAFT_RETENTION_DAYS": "0"}, settings)


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("location", "kind", "region"),
    [
        ("LS1", "postcode", "yorkshire_and_the_humber"),
        ("SW1A 1AA", "postcode", "london"),
        ("EH8", "postcode", "scotland"),
        ("BT7", "postcode", "northern_ireland"),
        ("B15", "postcode", "west_midlands"),
        ("QQ1", "postcode", "unknown"),
        ("Manchester", "place", "north_west"),
        ("  cardiff ", "place", "wales"),
        ("my street", "place", "unknown"),
        ("online", "online", "online"),
        (None, "unknown", "unknown"),
    ],
)
def test_region_of_maps_locations_to_coarse_regions(
    location: str | None, kind: str, region: str
) -> None:
    assert region_of(location, kind) == region
