"""Fixtures of the console tests: a migrated temporary store, accounts, a fake Rasa server, and
a logged-in test client factory. Everything runs on loopback with invented data.

``with session_factory() as session:`` is one unit of work here (committed when the block ends):
the console's domain functions never commit, like the console's own handlers' work."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from bot import labels
from bot.crypto import Keyring
from bot.handoff.accounts import create_user
from bot.settings import Settings
from bot.store.uow import Store
from service.app import create_app
from service.console.config import ConsoleConfig
from service.console.state import CONSOLE_KEY, ConsoleState
from service.settings import ServiceSettings

PASSWORD = "a long test password 1"
USERS = {
    "op": ("operator@example.org", "operator", None, ["zh-Hant", "en"]),
    "admin": ("admin@example.org", "admin", None, ["en"]),
    "cw_london": ("cw@lotus.example.org", "caseworker", "lotus-bridge-london", ["vi", "en"]),
    "cw_north": ("cw@lantern.example.org", "caseworker", "northern-lantern", ["ko", "en"]),
}


@dataclass
class FakeRasa:
    """Records what the console asks of Rasa; serves trackers with the events it was given."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    executed: list[tuple[str, str, str | None]] = field(default_factory=list)
    fail: bool = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/conversations/{cid}/tracker/events", self.append)
        app.router.add_post("/conversations/{cid}/execute", self.execute)
        app.router.add_get("/conversations/{cid}/tracker", self.tracker)
        return app

    def person_says(self, cid: str, text: str) -> None:
        self.events.setdefault(cid, []).append(
            {"event": "user", "text": text, "timestamp": time.time()}
        )

    def paused(self, cid: str) -> bool:
        state = False
        for e in self.events.get(cid, []):
            if e["event"] in ("pause", "resume"):
                state = e["event"] == "pause"
        return state

    async def append(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({}, status=500)
        body = await request.json()
        for event in body if isinstance(body, list) else [body]:
            self.events.setdefault(request.match_info["cid"], []).append(
                {**event, "timestamp": time.time()}
            )
        return web.json_response({})

    async def execute(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        name = (await request.json())["name"]
        slot = None
        language = "en"
        for e in self.events.get(cid, []):
            if e["event"] == "slot" and e.get("name") == "operator_message":
                slot = e.get("value")
            if e["event"] == "slot" and e.get("name") == "language" and e.get("value"):
                language = str(e["value"])
        self.executed.append((cid, name, slot if name == "utter_operator_message" else None))
        now = time.time()
        events: list[dict[str, Any]] = [{"event": "action", "name": name, "timestamp": now}]
        if name == "utter_operator_message":
            events.append({"event": "bot", "text": slot, "timestamp": now})
        elif name.startswith("utter_"):
            # As Rasa sends it: the response's words in the person's language, never its name.
            text = labels.response_text(name, language)
            metadata = {"utter_action": name}
            events.append({"event": "bot", "text": text, "timestamp": now, "metadata": metadata})
        self.events.setdefault(cid, []).extend(events)
        assert request.query.get("output_channel") == "latest"
        return web.json_response({"tracker": {}})

    async def tracker(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        return web.json_response({"sender_id": cid, "events": self.events.get(cid, [])})


@pytest.fixture
async def fake_rasa(aiohttp_server: Any) -> tuple[FakeRasa, TestServer]:
    fake = FakeRasa()
    server = await aiohttp_server(fake.app())
    return fake, server


@pytest.fixture
def session_factory(temp_store: Store) -> Callable[[], AbstractContextManager[Session]]:
    """One unit of work per ``with session_factory() as session:`` block: committed when the
    block ends, rolled back if it raises (the console's domain functions never commit)."""
    return temp_store.unit_of_work


@pytest.fixture
def store_settings(settings: Settings, session_factory: Any) -> Settings:
    """The migrated temporary store (session_factory ran the migrations)."""
    return settings


@pytest.fixture
def users(session_factory: Any) -> dict[str, Any]:
    made = {}
    with session_factory() as session:
        for key, (email, role, org, langs) in USERS.items():
            made[key] = create_user(
                session,
                email=email,
                password=PASSWORD,
                role=role,
                organisation=org,
                languages=langs,
            )
    return made


MakeConsole = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_console(
    aiohttp_client: Any, store_settings: Settings, keyring: Keyring, fake_rasa: Any
) -> MakeConsole:
    """Builds the app against the temp store and the fake Rasa; returns a test client."""
    _fake, server = fake_rasa

    async def make(**config: Any) -> TestClient:
        values: dict[str, Any] = {"cookie_secure": False, "login_limit": 5}
        values.update(config)
        settings = ServiceSettings(
            exit_url="/neutral", rasa_url=str(server.make_url("")).rstrip("/")
        )
        app = create_app(settings, ConsoleConfig(**values), store_settings)
        app[CONSOLE_KEY].store = Store(store_settings, keyring=keyring)
        return await aiohttp_client(app)

    return make


def console_state(client: TestClient) -> ConsoleState:
    return client.server.app[CONSOLE_KEY]


async def login(client: TestClient, email: str, password: str = PASSWORD) -> str | None:
    """Logs in through the form; returns the session's CSRF token (None when refused)."""
    page = await (await client.get("/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    if response.status != 302:
        return None
    me = await client.get("/api/me")
    return str((await me.json())["csrf_token"])


def queue_live_chat(
    session_factory: Any, users: dict[str, Any], language: str = "zh-Hant",
    conversation_id: str = "web-sid-0001",
) -> int:
    """A person waiting for a live chat, with the operator on duty; returns the request id."""
    import datetime as dt

    from bot.handoff import live

    now = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        live.heartbeat(session, users["op"].id, now=now)
        return live.enqueue(
            session, conversation_id=conversation_id, channel="socketio", language=language,
            now=now,
        ).request_id
