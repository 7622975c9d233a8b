"""The action server's case store: this process's one :class:`~bot.store.uow.Store`.

Every action reaches the case store through :func:`bot.store.uow.process_store` (made from the
environment on first use, with its SQLite busy timeout), one unit of work per change.
"""

from __future__ import annotations

from typing import Any

from bot.store import service
from bot.store.uow import Store, process_store


def case_store() -> Store:
    """The action server's store handle (one engine, session factory and keyring)."""
    return process_store()


def submit(draft: dict[str, Any], *, submission_key: str) -> str:
    """Stores a confirmed report (idempotent by `submission_key`) and returns its reference."""
    store = case_store()
    with store.unit_of_work() as session:
        result = service.submit_report(
            session, store.keyring, draft, submission_key=submission_key
        )
    return result.reference


def draft_days() -> int:
    """How many days a saved draft is kept (the draft retention period)."""
    from bot.privacy.config import PrivacySettings

    return PrivacySettings.from_env().draft_retention_days


def save_draft(answers: dict[str, Any], secret: str, *, language: str, conversation_key: str) -> str:
    """Saves an unfinished report to continue on any channel; returns its code."""
    from bot.handoff.clock import now
    from bot.store import person

    handle = case_store()
    with handle.unit_of_work() as session:
        return person.save_draft(
            session,
            handle.keyring,
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

    handle = case_store()
    with handle.unit_of_work() as session:
        rows = list(
            session.scalars(
                select(Evidence).where(
                    Evidence.conversation_key == conversation_key, Evidence.case_id.is_(None)
                )
            )
        )
        if not rows:
            return 0
        return delete_evidence_rows(session, handle.settings, rows)
