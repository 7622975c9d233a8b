"""The case store as one unit of work per change: one store handle per process.

Every process (the action server, the console, the channels, the CLI, the jobs) holds one
:class:`Store`: the settings' database, one engine (with the configured SQLite busy timeout), one
session factory and the keyring. All reading and writing goes through
:meth:`Store.unit_of_work`: it yields a session, commits once when the block ends and rolls back if
it raises. Domain functions (:mod:`bot.store.person`, :mod:`bot.store.service`, handoff, privacy)
only add, change and ``flush``; they never commit, so a change and the audit row that records it
(:func:`bot.store.audit.audit`) are one transaction: a crash between them leaves neither.

A step that may hit a unique constraint another process races for (a webhook delivery claimed
twice, a counter's first row, a concurrent upsert) runs in :func:`savepoint`: only that step is
undone, the rest of the unit stays.

A test (or a tool) that needs another database builds its own ``Store`` or calls
:func:`use_process_store`; :func:`process_store` is the handle every module asks for.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import make_engine, make_session_factory

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sqlalchemy.engine import Engine

    from bot.crypto import Keyring
    from bot.settings import Settings


class Store:
    """One process's handle on the case store: engine, sessions and keyring, made once."""

    def __init__(
        self,
        settings: Settings,
        *,
        keyring: Keyring | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self._engine = engine
        self._sessions: sessionmaker | None = None
        self._keyring = keyring
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine, created on first use with the configured SQLite busy timeout."""
        if self._engine is not None:  # every unit of work asks: no lock once it exists
            return self._engine
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(
                    self.settings.database_url,
                    busy_timeout_s=self.settings.sqlite_busy_timeout_s,
                )
            return self._engine

    @property
    def sessions(self) -> sessionmaker:
        """The session factory (``expire_on_commit=False``, 2.0 style)."""
        if self._sessions is not None:
            return self._sessions
        engine = self.engine
        with self._lock:
            if self._sessions is None:
                self._sessions = make_session_factory(engine)
            return self._sessions

    @property
    def keyring(self) -> Keyring:
        """The keyring, loaded once from the settings' key file."""
        if self._keyring is not None:
            return self._keyring
        with self._lock:
            if self._keyring is None:
                from bot.crypto import Keyring

                self._keyring = Keyring.load(self.settings)
            return self._keyring

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commits when the block ends, rolls back (and re-raises) if it raises."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: nothing is committed (audited reads use ``unit_of_work``)."""
        with self.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        """Closes the engine's connections (the handle can be used again afterwards)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._sessions = None, None


@contextlib.contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction inside the unit of work: if the block raises, only it is undone.

    The block is flushed before the savepoint is released, so a constraint it breaks raises here
    (catch it around the ``with``). On SQLite, Python's driver opens its transaction only before a
    data-changing statement, and a SAVEPOINT outside a transaction would start (and its release
    commit) a transaction of its own: so the unit's transaction is begun first, ``IMMEDIATE``
    (taking the write lock the block's writes would take anyway, waiting the busy timeout).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.dbapi_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    with session.begin_nested():
        yield
        session.flush()


_PROCESS_STORE: Store | None = None
_PROCESS_LOCK = threading.Lock()


def process_store(settings: Settings | None = None) -> Store:
    """This process's store handle, made on first use from ``settings`` (default: the environment)."""
    global _PROCESS_STORE
    with _PROCESS_LOCK:
        if _PROCESS_STORE is None:
            if settings is None:
                from bot.settings import Settings as _Settings

                settings = _Settings.from_env()
            _PROCESS_STORE = Store(settings)
        return _PROCESS_STORE


def use_process_store(store: Store | None) -> Store | None:
    """Replaces this process's handle (tests, tools); returns the one it replaced (not disposed)."""
    global _PROCESS_STORE
    with _PROCESS_LOCK:
        previous, _PROCESS_STORE = _PROCESS_STORE, store
        return previous
