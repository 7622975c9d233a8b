"""Subject access export and erasure by reference: complete, audited, nothing else touched."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import cli
from bot.crypto import Keyring
from bot.privacy import tracker_events
from bot.privacy.erasure import erase_case, export_case, was_erased
from bot.privacy.models import ErasureRecord
from bot.settings import Settings
from bot.store import service
from bot.store.db import upgrade
from bot.store.handoff_models import AuditEntry
from bot.store.uow import Store
from tests.bot.privacy.factories import conversation, snapshot, submit_at, tracker_store
from tests.bot.store.drafts import DESCRIPTION, PHONE

WHEN = datetime(2026, 1, 5, tzinfo=timezone.utc)


@pytest.fixture
def world(settings: Settings, keyring: Keyring, tmp_path: Path) -> Any:
    """Two cases (with evidence and transcripts) in a migrated store and a tracker store."""
    upgrade(settings.database_url)
    case_store = Store(settings, keyring=keyring)
    sessions = case_store.unit_of_work
    for conv in ("web-a", "web-b"):
        with sessions() as session:
            service.add_evidence(session, keyring, settings, conv, "image/png", b"invented png")
    ref_a = submit_at(sessions, keyring, WHEN, "a", conversation_key="web-a")
    ref_b = submit_at(sessions, keyring, WHEN, "b", conversation_key="web-b")
    store = tracker_store(tmp_path / "tracker.db", keyring)
    yield case_store, sessions, store, ref_a, ref_b
    case_store.dispose()


async def test_export_holds_everything_and_is_audited(world: Any, keyring: Keyring) -> None:
    case_store, sessions, store, ref_a, _ = world
    await store.save(conversation("web-a", WHEN))
    tracker = tracker_events.tracker_engine(str(store.engine.url))
    data = export_case(case_store, ref_a.lower(), tracker=tracker)
    assert data is not None
    assert data["incident"]["description"] == DESCRIPTION
    assert data["contact"]["phone"] == PHONE
    assert {c["kind"] for c in data["consents"]} >= {"police_referral", "caseworker_referral"}
    assert data["evidence"][0]["content_type"] == "image/png"
    assert {"from": "user", "text": "invented words web-a"}.items() <= data["conversation"][0].items()
    assert data["casework"] is None and data["case_notes"] == [] and data["callbacks"] == []
    json.dumps(data)  # serialisable as is
    with sessions() as session:
        audit = session.scalars(sa.select(AuditEntry)).all()
    assert [(a.action, a.subject) for a in audit] == [("privacy.case_export", ref_a)]
    assert export_case(case_store, "ZZZZ-2222", tracker=tracker) is None
    tracker.dispose()


async def test_erase_deletes_the_case_everywhere_and_keeps_only_a_record(
    world: Any, keyring: Keyring, settings: Settings
) -> None:
    case_store, sessions, store, ref_a, ref_b = world
    await store.save(conversation("web-a", WHEN))
    await store.save(conversation("web-b", WHEN))
    tracker = tracker_events.tracker_engine(str(store.engine.url))
    before = snapshot(case_store.engine)
    files_before = {p.name for p in settings.evidence_dir.iterdir()}
    b_before = _case(sessions, keyring, ref_b)

    result = erase_case(case_store, ref_a, tracker=tracker)

    assert result is not None
    assert result.counts == {
        "consents": 3, "contact_details": 1, "incident_details": 1, "case_notes": 0,
        "evidence_files": 1, "tracker_events": 5,
    }
    after = snapshot(case_store.engine)
    for name in ("cases", "incident_details", "contact_details", "consents", "evidence"):
        assert after[name] < before[name], name
        assert len(before[name] - after[name]) == (3 if name == "consents" else 1)
    untouched = set(before) - {
        "cases", "incident_details", "contact_details", "consents", "evidence",
        "erasure_records", "audit_log",
    }
    assert all(after[name] == before[name] for name in untouched)
    assert len({p.name for p in settings.evidence_dir.iterdir()}) == len(files_before) - 1
    assert _case(sessions, keyring, ref_a) is None
    assert _case(sessions, keyring, ref_b) == b_before
    with tracker.connect() as conn:
        senders = set(conn.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars())
    assert senders == {"web-b"}

    with sessions() as session:
        (record,) = session.scalars(sa.select(ErasureRecord)).all()
        audit = session.scalars(sa.select(AuditEntry)).all()
    stored = json.dumps([record.reference_hash, record.reason, record.detail])
    assert ref_a not in stored and "web-a" not in stored and PHONE not in stored
    assert [(a.action, a.subject) for a in audit] == [
        ("privacy.case_erased", f"erasure:{record.id}")
    ]
    assert ref_a not in json.dumps(audit[0].detail)
    assert was_erased(case_store, ref_a) and not was_erased(case_store, ref_b)
    assert erase_case(case_store, ref_a, tracker=tracker) is None
    tracker.dispose()


def _case(sessions: Any, keyring: Keyring, reference: str) -> Any:
    with sessions() as session:
        return service.get_case(session, keyring, reference)


def test_cli_export_and_erase(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    case_store = Store(cli_env)
    reference = submit_at(case_store.unit_of_work, case_store.keyring, WHEN, "cli")
    capsys.readouterr()

    assert cli.main(["cases", "export", reference]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["reference"] == reference and exported["contact"]["phone"] == PHONE
    out = tmp_path / "sar" / "export.json"
    assert cli.main(["cases", "export", reference, "--out", str(out)]) == 0
    assert json.loads(out.read_text())["reference"] == reference
    assert out.stat().st_mode & 0o077 == 0

    assert cli.main(["cases", "erase", reference]) == 1
    assert "--yes" in capsys.readouterr().err
    assert cli.main(["cases", "erase", reference, "--yes"]) == 0
    assert f"Case {reference} erased" in capsys.readouterr().out
    assert cli.main(["cases", "export", reference]) == 1
    assert "erased at the person's request" in capsys.readouterr().err
    assert cli.main(["cases", "erase", "not-a-ref", "--yes"]) == 1
    case_store.dispose()
