"""Hostile input on the web widget's socket.io channel: malformed session requests, hostile texts
and type-confused custom data. Rasa never dies, and a person with a proper session still gets an
answer to every hostile text."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import socketio

from tests.e2e.conftest import Stack
from tests.hostile.make_corpus import expand
from tests.hostile.test_hostile_inputs import SILENT_BY_DESIGN, TEXTS, hostile_stack  # noqa: F401

pytestmark = pytest.mark.e2e
SAMPLE = TEXTS[:: max(1, len(TEXTS) // 40)]  # bounded: about 40 hostile texts


async def connect(url: str) -> tuple[socketio.AsyncClient, asyncio.Queue]:
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.put_nowait(data))
    client.on("session_confirm", lambda data: replies.put_nowait({"session": data}))
    # Long-polling: python-engineio's websocket client needs aiohttp ≥ 3.10 (Rasa pins 3.9).
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    return client, replies


async def test_malformed_session_requests_and_custom_data_never_kill_rasa(
    hostile_stack: Stack,  # noqa: F811
) -> None:
    client, replies = await connect(hostile_stack.rasa_url)
    try:
        for bad in (None, 42, "x" * 100_000, {"session_id": ["a"]}, {"session_id": "../../etc"},
                    {"session_id": "\u202e\u0000"}, {"session_id": 3.5}):
            await client.emit("session_request", bad)
            confirmed = await asyncio.wait_for(replies.get(), 10)
            session = confirmed["session"]
            assert isinstance(session, str) and 8 <= len(session) <= 64 and session.isalnum()
        for custom in ("{not json", ["list"], 7, {"language_hint": {"x": 1}}, "x" * 50_000):
            await client.emit("user_uttered", {"message": "hello", "session_id": session,
                                               "customData": custom})
        await client.emit("user_uttered", ["not", "a", "dict"])
        await client.emit("user_uttered", {"message": {"nested": True}, "session_id": session})
        await asyncio.sleep(3)
    finally:
        await client.disconnect()
    assert hostile_stack.procs["rasa"].poll() is None, "Rasa died"


async def test_every_hostile_text_gets_an_answer_over_socketio(hostile_stack: Stack) -> None:  # noqa: F811
    client, replies = await connect(hostile_stack.rasa_url)
    try:
        await client.emit("session_request", {"session_id": uuid.uuid4().hex})
        session = (await asyncio.wait_for(replies.get(), 10))["session"]
        silent = []
        for entry in SAMPLE:
            text = str(expand(entry))
            await client.emit("user_uttered", {"message": text, "session_id": session,
                                               "customData": {"channel": "web"}})
            try:
                reply = await asyncio.wait_for(replies.get(), 30)
                assert "Traceback" not in json.dumps(reply)
            except asyncio.TimeoutError:
                if entry["id"] not in SILENT_BY_DESIGN:
                    silent.append(entry["id"])
            while not replies.empty():
                replies.get_nowait()
            await asyncio.sleep(0.3)
            while not replies.empty():
                replies.get_nowait()
        assert not silent, f"no answer to: {silent}"
    finally:
        await client.disconnect()
    assert hostile_stack.procs["rasa"].poll() is None
