"""The action server's connection to the case store, opened once on first use."""

from __future__ import annotations

import functools
from typing import Any

from bot.crypto import Keyring
from bot.settings import Settings
from bot.store import db, service


@functools.lru_cache(maxsize=1)
def _store() -> tuple[Settings, Any, Keyring]:
    settings = Settings.from_env()
    engine = db.make_engine(settings.database_url)
    return settings, db.make_session_factory(engine), Keyring.load(settings)


def submit(draft: dict[str, Any], *, submission_key: str) -> str:
    """Stores a confirmed report (idempotent by `submission_key`) and returns its reference."""
    _settings, sessions, keyring = _store()
    with sessions() as session:
        result = service.submit_report(session, keyring, draft, submission_key=submission_key)
        session.commit()
    return result.reference


def store() -> tuple[Settings, Any, Keyring]:
    """(settings, session factory, keyring) of the case store."""
    return _store()


def draft_days() -> int:
    """How many days a saved draft is kept (the draft retention period)."""
    from bot.privacy.config import PrivacySettings

    return PrivacySettings.from_env().draft_retention_days


def save_draft(answers: dict[str, Any], secret: str, *, language: str, conversation_key: str) -> str:
    """Saves an unfinished report to continue on any channel; returns its code."""
    from bot.handoff.clock import now
    from bot.store import person

    _settings, sessions, keyring = _store()
    with sessions() as session:
        return person.save_draft(
            session,
            keyring,
            answers,
            secret,
            language=language,
            conversation_key=conversation_key,
            now=now(),
            keep_days=draft_days(),
        )


def erase_loose_evidence(conversation_key: str) -> int:
    """Deletes the conversation's evidence not part of a submitted report (rows and files)."""
    from sqlalchemy import select

    from bot.privacy.common import delete_evidence_rows
    from bot.store.models import Evidence

    settings, sessions, _keyring = _store()
    with sessions() as session:
        rows = list(
            session.scalars(
                select(Evidence).where(
                    Evidence.conversation_key == conversation_key, Evidence.case_id.is_(None)
                )
            )
        )
        if not rows:
            return 0
        count = delete_evidence_rows(session, settings, rows)
        session.commit()
        return count
