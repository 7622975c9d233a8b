"""Small factories for the privacy tests: a migrated store, cases at a given time, trackers."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import time_machine
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crypto import Keyring
from bot.settings import Settings
from bot.store import service
from bot.store.models import Base
from bot.tracker_store import EncryptedSQLTrackerStore
from tests.bot.store.drafts import make_draft
from tests.bot.test_tracker_store import DOMAIN


def submit_at(
    sessions: Any, keyring: Keyring, when: datetime, key: str, **overrides: Any
) -> str:
    """Submits an invented report as if at ``when``; returns its reference."""
    with time_machine.travel(when, tick=False), sessions() as session:
        return service.submit_report(
            session, keyring, make_draft(**overrides), submission_key=key
        ).reference


def evidence_at(
    sessions: Any, keyring: Keyring, settings: Settings, when: datetime, conversation: str
) -> int:
    """Uploads an invented evidence file as if at ``when``."""
    with time_machine.travel(when, tick=False), sessions() as session:
        return service.add_evidence(
            session, keyring, settings, conversation, "text/plain", b"invented evidence"
        )


def conversation(sender: str, *sessions_at: datetime) -> DialogueStateTracker:
    """A tracker with one session (start, message, slot) per time given."""
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for when in sessions_at:
        ts = when.timestamp()
        tracker.update(ActionExecuted("action_session_start", timestamp=ts))
        tracker.update(SessionStarted(timestamp=ts + 0.001))
        tracker.update(ActionExecuted("action_listen", timestamp=ts + 0.002))
        tracker.update(UserUttered(f"invented words {sender}", timestamp=ts + 1))
        tracker.update(SlotSet("description", f"invented {sender}", timestamp=ts + 2))
    return tracker


def tracker_store(path: Path, keyring: Keyring) -> EncryptedSQLTrackerStore:
    """An encrypted tracker store in ``path``."""
    return EncryptedSQLTrackerStore(domain=DOMAIN, db=str(path), keyring=keyring)


def snapshot(engine: sa.engine.Engine) -> dict[str, set[tuple]]:
    """Every row of every case-store table (for "nothing else changed" assertions)."""
    import bot.privacy.models  # noqa: F401 - registers the tables
    import bot.store.handoff_models  # noqa: F401

    with engine.connect() as conn:
        return {
            table.name: {tuple(_hashable(v) for v in row) for row in conn.execute(sa.select(table))}
            for table in Base.metadata.sorted_tables
        }


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def tracker_rows(engine: sa.engine.Engine) -> set[tuple]:
    """Every tracker row as (id, sender_id, type_name, timestamp)."""
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT id, sender_id, type_name, timestamp FROM events")))
