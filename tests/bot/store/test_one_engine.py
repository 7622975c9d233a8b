"""One engine per process: no module builds a database engine or session factory of its own; they
come from the process's :class:`bot.store.uow.Store` (which makes them with bot/store/db.py).

Read from the source tree with ``ast``, so a new ``create_engine`` anywhere fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.settings import REPO_ROOT

#: The packages of the processes (tests are not scanned: they build stores on temporary files).
PACKAGES = ("bot", "actions", "channels", "service", "scripts")
#: Calls that build an engine or a session factory.
BUILDERS = frozenset(
    {"create_engine", "create_async_engine", "engine_from_config", "make_engine",
     "make_session_factory", "sessionmaker"}
)
#: Where they may be called, and why.
ALLOWED = {
    "bot/store/db.py": "defines make_engine and make_session_factory (and reads the revision)",
    "bot/store/uow.py": "the Store: the one engine and session factory of a process",
    "bot/store/migrations/env.py": "alembic's migration run, on the URL it is given",
    "bot/tracker_store.py": (
        "Rasa's tracker store: Rasa's SQLTrackerStore builds its own engine and session factory "
        "on Rasa's database; on SQLite ours rebuilds that one engine with a connection pool (SQLAlchemy 1.4 "
        "opens the file anew per session) and opens its sessions (self.sessionmaker())"
    ),
    "bot/privacy/tracker_events.py": (
        "the maintenance engine of Rasa's tracker database (another database than the case "
        "store, opened for retention, erasure and key rotation through make_engine)"
    ),
}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def builder_calls(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every call in ``path`` that builds an engine or a session factory."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, name)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (name := _called_name(node)) in BUILDERS
    ]


def test_no_module_builds_its_own_engine() -> None:
    found = []
    scanned = 0
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            scanned += 1
            if relative in ALLOWED:
                continue
            found += [f"{relative}:{line} {name}()" for line, name in builder_calls(path)]
    assert scanned > 100  # the tree was really read
    assert found == [], "build engines only in bot/store (use process_store().unit_of_work())"


def test_the_allowed_modules_do_build_engines() -> None:
    """The allow-list holds no stale entries (each still calls a builder)."""
    for relative in ALLOWED:
        assert builder_calls(REPO_ROOT / relative), relative


def test_the_scan_sees_every_way_of_calling_a_builder(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy import create_engine\n"
        "from bot.store import db\n"
        "a = sa.create_engine('sqlite://')\n"
        "b = create_engine('sqlite://')\n"
        "c = db.make_engine('sqlite://')\n"
        "d = db.make_session_factory(c)\n"
        "e = make_engine  # a reference, not a call\n",
        encoding="utf-8",
    )
    assert builder_calls(sample) == [
        (4, "create_engine"), (5, "create_engine"), (6, "make_engine"),
        (7, "make_session_factory"),
    ]


def test_the_action_server_opens_one_store_with_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submitting, saving a draft, the access form and the opening hours all use the one
    process store (before: two engines, one without the configured busy timeout)."""
    import actions.access
    import actions.people
    import actions.store
    from bot.store.db import upgrade
    from bot.store.uow import process_store
    from tests.bot.store.drafts import make_draft

    for name in ("DATABASE_URL", "DATA_KEYS", "DATA_KEY_FILE", "EVIDENCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", "12")
    store = actions.store.case_store()
    upgrade(store.settings.database_url)
    assert store is process_store() and store is actions.store.case_store()
    assert actions.access.access_store()._store is store
    actions.store.submit(make_draft(), submission_key="one-store")
    actions.store.save_draft({"description": "Invented"}, "secret words", language="en",
                             conversation_key="web-one")
    actions.people.opening_hours()
    assert process_store() is store
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12000
