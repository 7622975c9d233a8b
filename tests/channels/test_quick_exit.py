""""Exit quickly" erases the server side (channels/quick_exit.py): the route's defences, the
erasure's order against a message in flight, and the tracker store refusing to write back."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

import channels.quick_exit as quick_exit
from bot.crypto import Keyring
from bot.privacy import erasure
from tests.channels.conftest import free_port

SID = "0123456789abcdef0123456789abcdef"


class FakeTrackerStore:
    """Rasa's wrapper around our store: ``retrieve`` is async, ``erase`` lives on the inner one."""

    def __init__(self, channels: dict[str, str]) -> None:
        self.channels = channels
        self.erased: list[str] = []
        self._tracker_store = self  # what Rasa's FailSafe/Awaitable wrappers hold

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        channel = self.channels.get(sender_id)
        if channel is None:
            return None
        tracker = DialogueStateTracker(sender_id, [])
        tracker.update(UserUttered("Invented words", input_channel=channel))
        return tracker

    def erase(self, sender_id: str) -> int:
        self.erased.append(sender_id)
        return 1


class FakeAgent:
    def __init__(self, channels: dict[str, str]) -> None:
        self.tracker_store = FakeTrackerStore(channels)
        self.lock_store = InMemoryLockStore()


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """New tombstones and limits per test; the case store is recorded, not opened."""
    monkeypatch.setattr(erasure, "ERASED", erasure.Tombstones())
    monkeypatch.setattr(quick_exit, "ERASED", erasure.ERASED)
    monkeypatch.setattr(quick_exit, "LIMITS", quick_exit.RateLimit((3, 60.0), (100, 60.0)))
    swept: list[str] = []
    monkeypatch.setattr(quick_exit, "_erase_case_store", swept.append)
    return swept


def test_rate_limit_per_client_and_overall() -> None:
    limit = quick_exit.RateLimit((2, 60.0), (3, 60.0))
    assert [limit.allow("a", now=0), limit.allow("a", now=1), limit.allow("a", now=2)] == [
        True, True, False,
    ]
    assert limit.allow("b", now=3) is True
    assert limit.allow("c", now=4) is False  # everyone together is over the limit
    assert limit.allow("a", now=61) is True  # the window slid


def test_the_limit_counts_the_client_behind_the_local_proxy_not_the_proxy() -> None:
    assert quick_exit.client_of("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert quick_exit.client_of("198.51.100.2", "203.0.113.7") == "198.51.100.2"  # not our proxy
    assert quick_exit.client_of("127.0.0.1", None) == "127.0.0.1"
    assert quick_exit.client_of("127.0.0.1", "203.0.113.7", "192.0.2.1") == "192.0.2.1"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (json.dumps({"session_id": SID}).encode(), SID),
        (json.dumps({"session_id": "../../etc"}).encode(), None),
        (json.dumps({"session_id": "x" * 65}).encode(), None),
        (json.dumps({"session_id": 12345678}).encode(), None),
        (json.dumps([SID]).encode(), None),
        (b"\xff\xfe", None),
        (b"session_id=" + SID.encode(), None),
    ],
)
def test_only_a_plain_session_id_is_taken(body: bytes, expected: str | None) -> None:
    assert quick_exit.session_id_of(body) == expected


async def test_erasure_waits_for_a_message_in_flight_and_is_idempotent(fresh_state: list[str]) -> None:
    agent = FakeAgent({SID: "socketio"})
    order: list[str] = []
    async with agent.lock_store.lock(SID):  # a message is being handled
        task = asyncio.create_task(quick_exit.erase_conversation(agent, SID, sweeps=(0.01,)))
        await asyncio.sleep(0.1)
        order.append("message done")
        assert agent.tracker_store.erased == []
    await task
    assert agent.tracker_store.erased == [SID, SID]  # after the message, then the sweep
    assert fresh_state == [SID, SID]
    assert erasure.recently_erased(SID)
    await quick_exit.erase_conversation(agent, SID, sweeps=())  # again: nothing more to do
    assert agent.tracker_store.erased == [SID, SID]


async def test_only_web_widget_conversations_are_erased_this_way(fresh_state: list[str]) -> None:
    other = "tg" + uuid.uuid4().hex
    agent = FakeAgent({other: "telegram"})
    await quick_exit.erase_conversation(agent, other, sweeps=())
    assert agent.tracker_store.erased == [] and fresh_state == []
    assert not erasure.recently_erased(other)


def test_the_tracker_store_does_not_write_back_a_quickly_erased_conversation(
    tmp_path: Path,
) -> None:
    from tests.bot.privacy.factories import conversation, tracker_store

    store = tracker_store(tmp_path / "tracker.db", Keyring.generate())
    now = datetime.now(timezone.utc)
    first = conversation("web-" + SID, now)
    asyncio.run(store.save(first))
    assert asyncio.run(store.retrieve("web-" + SID)) is not None
    erasure.ERASED.add("web-" + SID)
    later = conversation("web-" + SID, now)
    later.update(SlotSet("description", "Invented: written after the exit"))
    asyncio.run(store.save(later))
    assert asyncio.run(store.retrieve("web-" + SID)) is None


@asynccontextmanager
async def serve(agent: Any) -> AsyncIterator[str]:
    Sanic.test_mode = True
    app = Sanic(f"test_{uuid.uuid4().hex}", configure_logging=False)
    blueprint = Blueprint(f"socketio_{uuid.uuid4().hex[:8]}")
    quick_exit.add_erase_route(blueprint)
    app.blueprint(blueprint, url_prefix="/webhooks/socketio")
    app.ctx.agent = agent
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/socketio/erase"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def test_the_route_answers_the_same_whatever_it_holds_caps_the_body_and_rate_limits(
    fresh_state: list[str],
) -> None:
    agent = FakeAgent({SID: "socketio"})
    async with serve(agent) as url, aiohttp.ClientSession() as http:
        answers = []
        for session_id in (SID, "f" * 32):  # a conversation that exists, and one that does not
            async with http.post(
                url, data=json.dumps({"session_id": session_id}),
                headers={"Content-Type": "text/plain;charset=UTF-8"},
            ) as response:
                answers.append((response.status, await response.read(), response.headers.get("Cache-Control")))
        assert answers[0] == answers[1] == (204, b"", "no-store")
        async with http.post(url, data=b"x" * 5000) as response:
            assert response.status == 413
        async with http.post(url, data=b"{}") as response:
            assert response.status == 429  # a fourth request from this client within the minute
        for _ in range(50):
            if agent.tracker_store.erased:
                break
            await asyncio.sleep(0.05)
    assert agent.tracker_store.erased[:1] == [SID]
    assert fresh_state[:1] == [SID]
