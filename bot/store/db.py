"""Engines, sessions and schema migrations of the case store.

SQLite (the default) is shared by three processes: every connection uses WAL journaling, so readers
never block the writer, and a busy timeout, so a writer waits for another process's write lock
instead of failing. Foreign keys are enforced on SQLite too.

Sessions are created with ``future=True`` (SQLAlchemy 2.0-style usage) and
``expire_on_commit=False``. Engines and sessions are made here and used through one
:class:`bot.store.uow.Store` per process: its ``unit_of_work()`` commits; the domain functions
(:mod:`bot.store.service`, :mod:`bot.store.person`...) never do. No other module builds an engine
(alembic's ``migrations/env.py`` and :func:`current_revision` use :func:`make_engine` for the
schema; the tracker database's maintenance engine too, with ``case_store=False``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import DEFAULT_SQLITE_BUSY_TIMEOUT_S

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


#: Write-ahead logging without waiting for the disk on each commit (a crash of the process loses
#: nothing committed; a power loss may lose the last commits, never corrupts the file): the case
#: store's files and Rasa's tracker database (bot.privacy.tracker_events.install_sqlite_pragmas).
WRITE_AHEAD_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def make_engine(
    url: str,
    *,
    busy_timeout_s: float = DEFAULT_SQLITE_BUSY_TIMEOUT_S,
    case_store: bool = True,
) -> Engine:
    """Creates an engine for the case store.

    Args:
        url: SQLAlchemy database URL (``Settings.database_url``).
        busy_timeout_s: SQLite only: how long to wait for another writer.
        case_store: False for a database the case store does not own (Rasa's tracker database,
            opened for maintenance): a SQLite file is then neither created nor switched to WAL,
            and only the busy timeout is set on its connections.

    Returns:
        A 2.0-style (``future=True``) engine. For a SQLite case store file, its folder is created
        if missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    database = parsed.database or ""
    if case_store and database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create it private: SQLite gives its -wal and -shm files the main file's mode.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = create_engine(
        url,
        future=True,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
    )
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            if case_store:
                cursor.execute("PRAGMA foreign_keys=ON")
                for pragma in WRITE_AHEAD_PRAGMAS:
                    cursor.execute(pragma)
        finally:
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    """Returns the session factory every process uses: ``with factory() as session: ...``."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False, class_=Session)


def alembic_config(url: str) -> Any:
    """Builds the alembic configuration in code (there is no alembic.ini).

    The URL travels in ``config.attributes`` rather than an ini option so ``%`` in passwords or
    query strings is not taken for interpolation.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrates the database at ``url`` to ``revision`` (alembic ``upgrade head``)."""
    from alembic import command

    logger.info("Upgrading the case store schema to %s", revision)
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """Returns the schema revision the database is at, or ``None`` if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """Returns the newest revision in ``bot/store/migrations/versions``."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
