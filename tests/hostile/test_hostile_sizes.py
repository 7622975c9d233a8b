"""Bounds at the door on the real stack (Rasa with every channel, action server, fake provider
APIs): oversized bodies get 413 on every webhook, an over-long message gets a kind reply on the
chat channels (413 on REST) and nothing of it reaches the dialogue, and a flood from one sender
does not hold up another person's first reply."""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time
import uuid
from typing import Any

import pytest
import socketio
import yaml

from channels.limits import MAX_MESSAGE_CHARS
from tests.channels.conftest import FakeTelegram, FakeTwilio
from tests.channels.test_telegram_channel import message_update
from tests.e2e.conftest import ROOT, Stack
from tests.faults.conftest import TELEGRAM_SECRET, signed_twilio_request, twilio_inbound, wait_until
from tests.hostile.test_hostile_inputs import hostile_stack, send  # noqa: F401

pytestmark = pytest.mark.e2e
MB = 1024 * 1024
OVERLONG = "A long account, invented for the test. " * (MAX_MESSAGE_CHARS // 30)
TOO_LONG_EN = yaml.safe_load((ROOT / "domain" / "reliability.yml").read_text(encoding="utf-8"))[
    "responses"]["utter_message_too_long"][0]["text"]


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POSTs over a raw socket and returns the status; a server refusing from Content-Length
    may close mid-upload, which only stops the upload."""
    host_port, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
    host, port = host_port.split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n{head}\r\n".encode())
        try:
            for i in range(0, len(body), 64 * 1024):
                sock.sendall(body[i : i + 64 * 1024])
        except OSError:
            pass
        status_line = sock.makefile("rb").readline()
    return int(status_line.split()[1])


def rest(stack: Stack, sender: str, message: str) -> tuple[int, Any]:
    status, body = send(f"{stack.rasa_url}/webhooks/rest/webhook",
                        json.dumps({"sender": sender, "message": message}).encode(),
                        {"Content-Type": "application/json"})
    return status, json.loads(body) if status == 200 else body


@pytest.mark.parametrize("size", [MB, 10 * MB], ids=["1MB", "10MB"])
def test_oversized_bodies_get_413_on_every_webhook(hostile_stack: Stack, size: int) -> None:  # noqa: F811
    base = f"{hostile_stack.rasa_url}/webhooks"
    big = "x" * size
    rest_body = json.dumps({"sender": "invented-big", "message": big}).encode()
    assert raw_post(f"{base}/rest/webhook", rest_body, {"Content-Type": "application/json"}) == 413
    twilio_body, twilio_headers = signed_twilio_request(
        twilio_inbound("whatsapp:+447700900661", big, "SM" + uuid.uuid4().hex))
    assert raw_post(f"{base}/twilio/webhook", twilio_body, twilio_headers) == 413
    update = json.dumps(message_update(810_000 + size % 1000, text=big)).encode()
    assert raw_post(f"{base}/telegram_ptb/webhook", update, {
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
    }) == 413
    assert all(p.poll() is None for p in hostile_stack.procs.values())


def test_rest_overlong_message_gets_413_and_the_conversation_goes_on(
    hostile_stack: Stack,  # noqa: F811
) -> None:
    sender = f"invented-{uuid.uuid4().hex[:8]}"
    status, first = rest(hostile_stack, sender, "hello")
    assert status == 200 and first
    status, _ = rest(hostile_stack, sender, OVERLONG)
    assert status == 413
    status, again = rest(hostile_stack, sender, "hello")
    assert status == 200 and again


def test_twilio_overlong_message_gets_the_kind_reply(
    hostile_stack: Stack, fakes: tuple[FakeTwilio, FakeTelegram]  # noqa: F811
) -> None:
    twilio, _ = fakes
    address = "+447700900662"
    body, headers = signed_twilio_request(
        twilio_inbound(f"whatsapp:{address}", OVERLONG, "SM" + uuid.uuid4().hex))
    status, _ = send(f"{hostile_stack.rasa_url}/webhooks/twilio/webhook", body, headers)
    assert status == 200
    assert wait_until(lambda: any(m.get("To") == f"whatsapp:{address}" for m in twilio.sent), 60)
    bodies = [m.get("Body") for m in twilio.sent if m.get("To") == f"whatsapp:{address}"]
    assert TOO_LONG_EN in bodies


def test_telegram_overlong_message_gets_the_kind_reply(
    hostile_stack: Stack, fakes: tuple[FakeTwilio, FakeTelegram]  # noqa: F811
) -> None:
    _, telegram = fakes
    update = message_update(820_001, language_code="en", text=OVERLONG)
    status, _ = send(f"{hostile_stack.rasa_url}/webhooks/telegram_ptb/webhook",
                     json.dumps(update).encode(),
                     {"Content-Type": "application/json",
                      "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert status == 200
    assert wait_until(lambda: bool(telegram.called("sendMessage")), 60)
    assert TOO_LONG_EN in [c.get("text") for c in telegram.called("sendMessage")]


async def test_socketio_overlong_message_gets_the_kind_reply_and_1mb_is_refused(
    hostile_stack: Stack,  # noqa: F811
) -> None:
    replies: asyncio.Queue[Any] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("bot_uttered", lambda data: replies.put_nowait(data))
    client.on("session_confirm", lambda data: replies.put_nowait({"session": data}))
    await client.connect(hostile_stack.rasa_url, socketio_path="/socket.io",
                         transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": uuid.uuid4().hex})
        session = (await asyncio.wait_for(replies.get(), 10))["session"]
        await client.emit("user_uttered", {"message": OVERLONG, "session_id": session,
                                           "customData": {"channel": "web"}})
        reply = await asyncio.wait_for(replies.get(), 60)
        assert reply.get("text") == TOO_LONG_EN
        await client.emit("user_uttered", {"message": "x" * MB, "session_id": session})
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(replies.get(), 5)
    finally:
        await client.eio.disconnect(abort=True)
    assert hostile_stack.procs["rasa"].poll() is None


async def _widget(stack: Stack) -> tuple[socketio.AsyncClient, asyncio.Queue[Any], str]:
    """A connected widget with its own session; replies arrive on the queue."""
    replies: asyncio.Queue[Any] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("bot_uttered", lambda data: replies.put_nowait(data))
    client.on("session_confirm", lambda data: replies.put_nowait({"session": data}))
    await client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["polling"])
    await client.emit("session_request", {"session_id": uuid.uuid4().hex})
    session = (await asyncio.wait_for(replies.get(), 10))["session"]
    return client, replies, session


async def _first_reply_seconds(stack: Stack) -> float:
    client, replies, session = await _widget(stack)
    try:
        started = time.monotonic()
        await client.emit("user_uttered", {"message": "hello", "session_id": session,
                                           "customData": {"channel": "web"}})
        await asyncio.wait_for(replies.get(), 120)
        return time.monotonic() - started
    finally:
        await client.eio.disconnect(abort=True)


async def test_a_flood_from_one_sender_does_not_hold_up_anothers_first_reply(
    hostile_stack: Stack,  # noqa: F811
) -> None:
    # The widget channel (ours, bounded); the hostile stack's REST is Rasa's plain `rest`.
    baseline = statistics.median([await _first_reply_seconds(hostile_stack) for _ in range(3)])
    flooder, flood_replies, session = await _widget(hostile_stack)
    try:
        for n in range(60):
            await flooder.emit("user_uttered", {"message": f"message {n}", "session_id": session,
                                                "customData": {"channel": "web"}})
            await asyncio.sleep(0.02)  # engine.io refuses a POST of more than 16 packets
        await asyncio.sleep(1.0)  # the flood has arrived
        during = await _first_reply_seconds(hostile_stack)
        # The flooder is told its extra messages were not taken (and gets its other answers).
        texts: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(texts) < 60:
            try:
                texts.append(str((await asyncio.wait_for(flood_replies.get(), 5)).get("text")))
            except asyncio.TimeoutError:
                break
    finally:
        await flooder.eio.disconnect(abort=True)
    busy = yaml.safe_load((ROOT / "domain" / "reliability.yml").read_text(encoding="utf-8"))[
        "responses"]["utter_busy"][0]["text"]
    print(f"first reply alone {baseline:.2f} s, during the flood {during:.2f} s")
    assert texts.count(busy) >= 10, texts[:3]  # 60 sent, at most 10 queued at any time
    # Today's code: about 45 s for 60 queued messages. The mechanism's 1 s bound is proven in
    # tests/channels/test_admission.py; here a shared 2-core machine adds noise.
    assert during - baseline < 3.0, (baseline, during)
    assert hostile_stack.procs["rasa"].poll() is None
