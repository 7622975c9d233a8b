"""Tests of bot.store.db: engine set-up and migrations."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

# Every module that declares tables, so the comparison sees all of them whatever ran before.
import bot.privacy.models  # noqa: E402,F401
import bot.store.handoff_models  # noqa: E402,F401
from bot.settings import REPO_ROOT, Settings
from bot.store.db import current_revision, head_revision, make_engine, upgrade
from bot.store.models import Base

TABLES = {
    "cases",
    "incident_details",
    "contact_details",
    "consents",
    "evidence",
    "delivery_claims",
    "channel_addresses",
    "channel_state",
}


def test_upgrade_creates_every_table_at_head(settings: Settings) -> None:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    assert TABLES <= set(inspect(engine).get_table_names())
    assert current_revision(settings.database_url) == head_revision() is not None
    engine.dispose()


def test_upgrade_twice_is_harmless(settings: Settings) -> None:
    upgrade(settings.database_url)
    upgrade(settings.database_url)
    assert current_revision(settings.database_url) == head_revision()


def test_migrations_match_models(settings: Settings) -> None:
    """A model change without a migration (or the reverse) fails here."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_engine_uses_wal_busy_timeout_and_foreign_keys(settings: Settings) -> None:
    engine = make_engine(settings.database_url, busy_timeout_s=7)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 7000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_sqlite_file_and_folder_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "cases.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


_CLAIMER = """
import sys
from bot.settings import Settings
from bot.store.service import claim_delivery
from bot.store.uow import Store

store = Store(Settings.from_env({"DATABASE_URL": sys.argv[1]}))
wins = 0
for n in range(40):
    with store.unit_of_work() as session:
        wins += claim_delivery(session, "twilio", f"SM{n:04d}")
print(wins)
"""


def test_three_processes_share_sqlite_and_each_delivery_is_claimed_once(settings: Settings) -> None:
    upgrade(settings.database_url)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, settings.database_url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err for _, err in outputs]
    assert sum(int(out) for out, _ in outputs) == 40
