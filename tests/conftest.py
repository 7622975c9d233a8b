"""Fixtures shared by the whole suite. Keep them small, generic and hermetic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.crypto import Keyring
from bot.settings import Settings

#: One line per exploration test (states and transitions explored), printed at the end of every
#: run, `pytest -q` included, so `make test` shows what the explorations covered.
EXPLORED: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints what the form explorations covered."""
    if EXPLORED:
        terminalreporter.section("form explorations")
        for line in EXPLORED:
            terminalreporter.write_line(line)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with every file under a temporary folder (SQLite store, key file, evidence)."""
    return Settings.from_env({"VAR_DIR": str(tmp_path / "var")})


@pytest.fixture
def keyring() -> Keyring:
    """A fresh in-memory keyring with random keys."""
    return Keyring.generate()


@pytest.fixture
def session_factory(settings: Settings) -> Iterator[Any]:
    """A session factory on a migrated, empty SQLite case store in the temporary folder."""
    from bot.store.db import make_engine, make_session_factory, upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_process_store() -> Iterator[None]:
    """Every test starts without a process store (``bot.store.uow.process_store``) and any made
    during it is closed after it: no engine, database or keyring leaks from one test to the next."""
    from bot.store.uow import use_process_store

    previous = use_process_store(None)
    yield
    current = use_process_store(previous)
    if current is not None and current is not previous:
        current.dispose()


@pytest.fixture
def temp_store(settings: Settings, keyring: Keyring) -> Iterator[Any]:
    """A :class:`bot.store.uow.Store` on a migrated, empty case store in the temporary folder
    (the ``keyring`` fixture), not installed as the process's store (see ``uow_store``)."""
    from bot.store.db import upgrade
    from bot.store.uow import Store

    upgrade(settings.database_url)
    store = Store(settings, keyring=keyring)
    yield store
    store.dispose()


@pytest.fixture
def uow_store(settings: Settings, keyring: Keyring) -> Iterator[Any]:
    """The case store handle (:class:`bot.store.uow.Store`) on a migrated, empty SQLite case store
    in the temporary folder, with the ``keyring`` fixture, installed as this process's store for
    the test. Write through ``uow_store.unit_of_work()``."""
    from bot.store.db import upgrade
    from bot.store.uow import Store, use_process_store

    upgrade(settings.database_url)
    store = Store(settings, keyring=keyring)
    previous = use_process_store(store)
    yield store
    use_process_store(previous)
    store.dispose()
