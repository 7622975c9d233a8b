"""Every console change is one unit of work with its audit row (issue #14).

For each route that changes data and is audited: it writes exactly one audit row, of its own
action; when the row cannot be written the change is not kept; when the change fails no row is
kept; and when the commit itself fails (a crash between the change and its row) neither is kept.
A scan of the console's code keeps handlers from writing audit rows or committing by hand, and
every POST route of the app is either in the table below or named as not audited, with why.

Everything is invented; the store is the temporary one of conftest.py.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.handoff import live, queue
from bot.hours import LONDON
from bot.store.handoff_models import (
    AuditEntry,
    CallbackTask,
    CaseNote,
    Casework,
    ConsoleUser,
    ContactAttempt,
    HandoffRequest,
    ServiceHours,
    ServiceHoursOverride,
)
from bot.store.models import Case
from tests.service.console.cases import add_case
from tests.service.console.conftest import MakeConsole, login

CONSOLE = Path(__file__).resolve().parents[3] / "service" / "console"
NEW_EMAIL = "new.caseworker@example.org"


@dataclass
class World:
    """What a change acts on: one queued case (casework and a callback), a waiting and an active
    live chat, and the accounts."""

    reference: str
    case_id: int
    callback_id: int
    waiting_chat: int
    active_chat: int
    users: dict[str, Any]


#: ``changed(session, world) -> bool``: is the change in the store?
Changed = Callable[[Session, World], bool]


@dataclass(frozen=True)
class Change:
    """One audited console change: who does it, where (a JSON API call or a page's form), the
    audit row it writes and how to see it in the store."""

    name: str
    email: str
    action: str
    path: str  # a route template; {reference}, {task_id}, {request_id}, {user_id} are filled in
    body: dict[str, Any]
    changed: Changed | None  # None: nothing in the store but the audit row (a reply, an unlock)

    @property
    def form(self) -> bool:
        return self.path.startswith("/console/")

    async def do(self, client: TestClient, csrf: str, world: World) -> Any:
        """Sends the change as the signed-in user."""
        chat = world.waiting_chat if self.path.endswith("/accept") else world.active_chat
        url = self.path.format(
            reference=world.reference,
            task_id=world.callback_id,
            request_id=chat,
            user_id=world.users["cw_north"].id,
        )
        if self.form:
            data = {"csrf_token": csrf, **self.body}
            return await client.post(url, data=data, allow_redirects=False)
        return await client.post(url, json=self.body, headers={"X-CSRF-Token": csrf})


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _note(session: Session, world: World) -> bool:
    return _count(session, CaseNote, CaseNote.case_id == world.case_id) > 0


def _attempt(session: Session, world: World) -> bool:
    return _count(session, ContactAttempt, ContactAttempt.case_id == world.case_id) > 0


def _casework_accepted(session: Session, world: World) -> bool:
    work = session.scalar(select(Casework).where(Casework.case_id == world.case_id))
    return work is not None and work.status == "accepted"


def _callback_done(session: Session, world: World) -> bool:
    return session.get(CallbackTask, world.callback_id).status == "done"


def _new_account(session: Session, world: World) -> bool:
    return _count(session, ConsoleUser, ConsoleUser.email == NEW_EMAIL) > 0


def _disabled(session: Session, world: World) -> bool:
    return not session.get(ConsoleUser, world.users["cw_north"].id).active


def _hours_saved(session: Session, world: World) -> bool:
    row = session.get(ServiceHours, 1)
    return row is not None and row.region == "scotland"


def _override_set(session: Session, world: World) -> bool:
    return session.get(ServiceHoursOverride, 1) is not None


def _override_gone(session: Session, world: World) -> bool:
    return session.get(ServiceHoursOverride, 1) is None


def _accepted(session: Session, world: World) -> bool:
    return session.get(HandoffRequest, world.waiting_chat).status == "active"


def _closed(session: Session, world: World) -> bool:
    return session.get(HandoffRequest, world.active_chat).status == "closed"


def _returned(session: Session, world: World) -> bool:
    return session.get(HandoffRequest, world.active_chat).status == "returned"


def _interpreter(session: Session, world: World) -> bool:
    return session.get(HandoffRequest, world.active_chat).interpreter_arranged_at is not None


def _tomorrow() -> dict[str, str]:
    day = (dt.datetime.now(LONDON) + dt.timedelta(days=1)).date()
    return {"mode": "closed", "until_day": day.isoformat(), "until_time": "12:00"}


OPERATOR, ADMIN = "operator@example.org", "admin@example.org"
HOURS_JSON = {"opens": "10:00", "closes": "16:00", "weekdays": [0, 1, 2], "region": "scotland"}
HOURS_FORM = {"opens": "10:00", "closes": "16:00", "weekday": ["0", "1"], "region": "scotland"}
NEW_USER = {
    "email": NEW_EMAIL,
    "password": "an invented long passphrase for tests",
    "role": "operator",
}

CHANGES = [
    Change(
        "api-note",
        OPERATOR,
        "case.note",
        "/api/cases/{reference}/notes",
        {"text": "Invented note."},
        _note,
    ),
    Change(
        "api-attempt",
        OPERATOR,
        "case.attempt",
        "/api/cases/{reference}/attempts",
        {"outcome": "no_answer"},
        _attempt,
    ),
    Change(
        "api-status",
        OPERATOR,
        "case.status",
        "/api/cases/{reference}/status",
        {"status": "accepted"},
        _casework_accepted,
    ),
    Change(
        "api-callback",
        OPERATOR,
        "callback.status",
        "/api/callbacks/{task_id}/status",
        {"status": "done"},
        _callback_done,
    ),
    Change(
        "api-unlock", OPERATOR, "staff.unlock_reference", "/api/cases/{reference}/unlock", {}, None
    ),
    Change("api-user", ADMIN, "admin.user_create", "/api/admin/users", NEW_USER, _new_account),
    Change(
        "api-user-active",
        ADMIN,
        "admin.user_active",
        "/api/admin/users/{user_id}/active",
        {"active": False},
        _disabled,
    ),
    Change("api-hours", ADMIN, "admin.hours", "/api/admin/hours", HOURS_JSON, _hours_saved),
    Change("live-accept", OPERATOR, "live.accept", "/api/live/{request_id}/accept", {}, _accepted),
    Change("live-close", OPERATOR, "live.closed", "/api/live/{request_id}/close", {}, _closed),
    Change(
        "live-handback",
        OPERATOR,
        "live.returned",
        "/api/live/{request_id}/handback",
        {},
        _returned,
    ),
    Change(
        "live-interpreter",
        OPERATOR,
        "live.interpreter_arranged",
        "/api/live/{request_id}/interpreter",
        {},
        _interpreter,
    ),
    Change(
        "live-reply",
        OPERATOR,
        "live.reply",
        "/api/live/{request_id}/reply",
        {"text": "Invented reply."},
        None,
    ),
    Change(
        "live-canned",
        OPERATOR,
        "live.reply_canned",
        "/api/live/{request_id}/canned",
        {"key": "greeting"},
        None,
    ),
    Change(
        "form-note",
        OPERATOR,
        "case.note",
        "/console/cases/{reference}/note",
        {"text": "Invented note."},
        _note,
    ),
    Change(
        "form-attempt",
        OPERATOR,
        "case.attempt",
        "/console/cases/{reference}/attempt",
        {"outcome": "voicemail"},
        _attempt,
    ),
    Change(
        "form-status",
        OPERATOR,
        "case.status",
        "/console/cases/{reference}/status",
        {"status": "accepted"},
        _casework_accepted,
    ),
    Change(
        "form-unlock",
        OPERATOR,
        "staff.unlock_reference",
        "/console/cases/{reference}/unlock",
        {},
        None,
    ),
    Change(
        "form-override",
        ADMIN,
        "admin.hours_override",
        "/console/admin/override",
        _tomorrow(),
        _override_set,
    ),
    Change(
        "form-override-clear",
        ADMIN,
        "admin.hours_override_clear",
        "/console/admin/override/clear",
        {},
        _override_gone,
    ),
    Change("form-hours", ADMIN, "admin.hours", "/console/admin/hours", HOURS_FORM, _hours_saved),
    Change("form-user", ADMIN, "admin.user_create", "/console/admin/users", NEW_USER, _new_account),
    Change(
        "form-user-active",
        ADMIN,
        "admin.user_active",
        "/console/admin/users/{user_id}/active",
        {"active": "0"},
        _disabled,
    ),
]
STORED = [c for c in CHANGES if c.changed is not None]

#: POST routes that change data without an audit row of their own, and why (as before #14).
NOT_AUDITED = {
    "/login": "audited itself (login, login.failed) together with the new session",
    "/logout": "ends the caller's own session only",
    "/api/me/availability": "the operator's own 'taking live chats' switch",
    "/console/live/{request_id}/canned-language": (
        "the operator's own choice of the language the prepared messages are listed in"
    ),
}
#: The steps of ``POST /api/live/{request_id}/{action}`` (service/console/api.py, live_action).
LIVE_ACTIONS = {"accept", "reply", "canned", "interpreter", "handback", "close"}


@pytest.fixture
def world(session_factory: Any, keyring: Any, users: Any) -> World:
    reference = add_case(session_factory, keyring, "unit-of-work-case")
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        from bot.handoff.partners import load_partners
        from bot.hours import OpeningHours

        queue.sync_queue(session, keyring, hours=OpeningHours(), partners=load_partners())
        case_id = int(session.scalar(select(Case.id).where(Case.reference == reference)))
        callback_id = int(
            session.scalar(select(CallbackTask.id).where(CallbackTask.case_id == case_id))
        )
        live.heartbeat(session, users["op"].id, now=now)
        active = live.enqueue(
            session, conversation_id="web-uow-active", channel="socketio", language="en", now=now
        ).request_id
        assert live.accept(session, active, users["op"].id, now=now)
        waiting = live.enqueue(
            session, conversation_id="web-uow-waiting", channel="socketio", language="en", now=now
        ).request_id
        session.add(
            ServiceHoursOverride(
                id=1, mode="open", until=now + dt.timedelta(hours=3), set_by=None, set_at=now
            )
        )
    return World(reference, case_id, callback_id, waiting, active, users)


def _rows(session_factory: Any) -> list[tuple[str, str | None]]:
    with session_factory() as session:
        return [
            (e.action, e.subject)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def _is_changed(session_factory: Any, change: Change, world: World) -> bool:
    assert change.changed is not None
    with session_factory() as session:
        return change.changed(session, world)


async def _signed_in(make_console: MakeConsole, change: Change) -> tuple[TestClient, str]:
    client = await make_console()
    csrf = await login(client, change.email)
    assert csrf is not None
    return client, csrf


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.name)
async def test_every_audited_change_writes_exactly_its_one_audit_row(
    make_console: MakeConsole, session_factory: Any, world: World, change: Change
) -> None:
    if change.name == "form-override":
        with session_factory() as session:  # so that setting it is a change to see
            session.delete(session.get(ServiceHoursOverride, 1))
    client, csrf = await _signed_in(make_console, change)
    before = _rows(session_factory)
    if change.changed is not None:
        assert not _is_changed(session_factory, change, world)
    response = await change.do(client, csrf, world)
    assert response.status in (200, 201, 303), await response.text()
    added = _rows(session_factory)[len(before) :]
    assert [action for action, _subject in added] == [change.action]
    if change.changed is not None:
        assert _is_changed(session_factory, change, world)


@pytest.fixture
def broken_audit(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Makes writing any audit row fail (every module that holds the function)."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("invented: the audit row cannot be written")

    def breaking() -> None:
        import bot.handoff.accounts
        import bot.store.audit
        import bot.store.person

        for module in (bot.store.audit, bot.handoff.accounts, live, bot.store.person):
            monkeypatch.setattr(module, "audit", refuse)

    return breaking


async def _ready(
    make_console: MakeConsole, session_factory: Any, change: Change
) -> tuple[Any, str, Any]:
    """Signs in for ``change`` (for the override form, with no override in force first) and
    returns the client, its CSRF token and the audit rows before the change."""
    if change.name == "form-override":
        with session_factory() as session:
            session.delete(session.get(ServiceHoursOverride, 1))
    client, csrf = await _signed_in(make_console, change)
    return client, csrf, _rows(session_factory)


@pytest.mark.parametrize("change", STORED, ids=lambda c: c.name)
async def test_a_change_whose_audit_row_cannot_be_written_is_not_kept(
    make_console: MakeConsole,
    session_factory: Any,
    world: World,
    change: Change,
    broken_audit: Callable[[], None],
) -> None:
    client, csrf, before = await _ready(make_console, session_factory, change)
    broken_audit()
    response = await change.do(client, csrf, world)
    assert response.status == 500
    assert not _is_changed(session_factory, change, world)
    assert _rows(session_factory) == before


@pytest.fixture
def failing_commit() -> Iterator[Callable[[str], None]]:
    """Makes the commit of a unit of work holding a new audit row of ``action`` fail: a crash
    after the change and its row were written, before they were kept."""
    armed: list[str] = []

    def before_commit(session: Session) -> None:
        pending = [o for o in session.new if isinstance(o, AuditEntry) and o.action in armed]
        if pending:
            raise RuntimeError("invented: the disk is full")

    event.listen(Session, "before_commit", before_commit)
    yield armed.append
    event.remove(Session, "before_commit", before_commit)


@pytest.mark.parametrize("change", STORED, ids=lambda c: c.name)
async def test_a_commit_that_fails_keeps_neither_the_change_nor_its_audit_row(
    make_console: MakeConsole,
    session_factory: Any,
    world: World,
    change: Change,
    failing_commit: Callable[[str], None],
) -> None:
    client, csrf, before = await _ready(make_console, session_factory, change)
    failing_commit(change.action)
    response = await change.do(client, csrf, world)
    assert response.status == 500
    assert not _is_changed(session_factory, change, world)
    assert _rows(session_factory) == before


@pytest.mark.parametrize(
    ("change", "module", "name"),
    [
        (CHANGES[0], queue, "add_note"),
        (next(c for c in CHANGES if c.name == "live-accept"), live, "accept"),
        (next(c for c in CHANGES if c.name == "form-user"), None, "create_user"),
    ],
    ids=lambda v: v.name if isinstance(v, Change) else None,
)
async def test_a_change_that_fails_halfway_leaves_no_audit_row_and_no_part_of_it(
    make_console: MakeConsole,
    session_factory: Any,
    world: World,
    change: Change,
    module: Any,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The domain function does its work, then fails: nothing of it and no row are kept."""
    from bot.handoff import accounts

    module = module or accounts
    real = getattr(module, name)

    def halfway(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        args[0].flush()  # the change has reached the database
        raise RuntimeError("invented: failed after the change")

    client, csrf = await _signed_in(make_console, change)
    before = _rows(session_factory)
    monkeypatch.setattr(module, name, halfway)
    response = await change.do(client, csrf, world)
    assert response.status == 500
    assert not _is_changed(session_factory, change, world)
    assert _rows(session_factory) == before


def test_every_post_route_is_an_audited_change_or_named_as_not_audited() -> None:
    from service.app import create_app
    from service.settings import ServiceSettings

    app = create_app(ServiceSettings(exit_url="/neutral"))
    posts = {
        route.resource.canonical
        for route in app.router.routes()
        if route.method == "POST" and route.resource is not None
    }
    live_steps = {c.path.rsplit("/", 1)[1] for c in CHANGES if c.path.startswith("/api/live/")}
    assert live_steps == LIVE_ACTIONS
    covered = {c.path for c in CHANGES if not c.path.startswith("/api/live/")}
    covered.add("/api/live/{request_id}/{action}")
    assert posts - covered - set(NOT_AUDITED) == set(), (
        "a POST route is neither audited here nor named"
    )
    assert set(NOT_AUDITED) <= posts and covered <= posts


def _calls(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func_node = node.func
            name = (
                func_node.attr
                if isinstance(func_node, ast.Attribute)
                else func_node.id
                if isinstance(func_node, ast.Name)
                else ""
            )
            yield name, node.lineno


def test_no_console_handler_writes_an_audit_row_or_commits_by_hand() -> None:
    """Handlers go through ConsoleState.audited (one unit of work with the row) and never call
    ``audit(...)``, ``commit()`` or ``rollback()`` themselves; only state.py runs units of work."""
    files = sorted(CONSOLE.rglob("*.py"))
    assert len(files) > 10
    found = []
    for path in files:
        for name, line in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if name in ("audit", "commit", "rollback", "begin"):
                found.append(f"{path.relative_to(CONSOLE)}:{line} {name}()")
    assert found == []
