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
