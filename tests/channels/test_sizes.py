"""Size limits at the door, channel by channel: an oversized body (1 MB, 10 MB) is refused with 413
before anything reaches the bot (REST, Twilio signed with Twilio's own validator, Telegram with
the right secret), socket.io refuses oversized packets and keeps serving, and REST answers 413
for a message over MAX_MESSAGE_CHARS characters. Messages at the limit still go through."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import aiohttp
import pytest
import socketio
from twilio.request_validator import RequestValidator

from channels.limits import MAX_MESSAGE_CHARS, MAX_REQUEST_BYTES
from channels.rest_channel import RestInput
from channels.socketio_channel import SocketIOChannel
from channels.store import ServiceChannelStore
from channels.telegram_channel import SECRET_HEADER
from tests.channels.conftest import FakeTelegram, FakeTwilio, Recorder, serve_channel
from tests.channels.test_telegram_channel import SECRET, message_update
from tests.channels.test_telegram_channel import make_channel as make_telegram
from tests.channels.test_twilio_channel import AUTH_TOKEN, PERSON, PUBLIC_URL, inbound
from tests.channels.test_twilio_channel import make_channel as make_twilio

MB = 1024 * 1024
SIZES = [pytest.param(MB, id="1MB"), pytest.param(10 * MB, id="10MB")]


async def post_raw(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POSTs ``body`` over a raw connection, as fast as the server takes it; returns the status.

    A server that refuses from the Content-Length header answers before reading the body and
    may close the connection mid-upload: the upload then just stops.
    """
    host_port, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
    host, port = host_port.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
                 f"Connection: close\r\n{head}\r\n".encode())

    async def upload() -> None:
        try:
            for i in range(0, len(body), 64 * 1024):
                writer.write(body[i : i + 64 * 1024])
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    uploading = asyncio.ensure_future(upload())
    try:
        status_line = await asyncio.wait_for(reader.readline(), 30)
    finally:
        uploading.cancel()
        writer.close()
    return int(status_line.split()[1])


def test_the_limits_never_refuse_a_legitimate_message() -> None:
    from bot.intake.options import DESCRIPTION_LIMIT

    assert MAX_MESSAGE_CHARS >= DESCRIPTION_LIMIT  # a whole description in one message
    worst_case = json.dumps({"sender": "x" * 64, "message": "😀" * MAX_MESSAGE_CHARS,
                             "metadata": {"language_hint": "zh-Hant"}})  # ASCII-escaped
    assert len(worst_case.encode()) < MAX_REQUEST_BYTES < MB


# ----------------------------------------------------------------------------------- REST
@pytest.mark.parametrize("size", SIZES)
async def test_rest_refuses_an_oversized_body_with_413(size: int) -> None:
    recorder = Recorder()
    async with serve_channel(RestInput(), recorder) as url:
        body = json.dumps({"sender": "invented-1", "message": "x" * size}).encode()
        status = await post_raw(f"{url}/webhook", body, {"Content-Type": "application/json"})
    assert status == 413
    assert recorder.messages == []


async def test_rest_answers_413_for_an_overlong_message_and_takes_one_at_the_limit() -> None:
    recorder = Recorder(reply=lambda _m: [{"text": "thank you"}])
    async with serve_channel(RestInput(), recorder) as url, aiohttp.ClientSession() as http:
        too_long = {"sender": "invented-2", "message": "長" * (MAX_MESSAGE_CHARS + 1)}
        async with http.post(f"{url}/webhook", json=too_long) as resp:
            assert resp.status == 413
        at_limit = {"sender": "invented-2", "message": "長" * MAX_MESSAGE_CHARS}
        async with http.post(f"{url}/webhook", json=at_limit) as resp:
            assert resp.status == 200
            assert await resp.json() == [{"recipient_id": "invented-2", "text": "thank you"}]
    assert recorder.texts == ["長" * MAX_MESSAGE_CHARS]


# ----------------------------------------------------------------------------------- Twilio
@pytest.mark.parametrize("size", SIZES)
async def test_twilio_refuses_an_oversized_signed_body_with_413(
    store: ServiceChannelStore, fake_twilio: FakeTwilio, size: int
) -> None:
    recorder = Recorder()
    params = inbound(PERSON, "x" * size)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, params)
    async with serve_channel(make_twilio(store, fake_twilio), recorder) as url:
        status = await post_raw(f"{url}/webhook", urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert status == 413
    await asyncio.sleep(0.2)
    assert recorder.messages == [] and fake_twilio.sent == []


# ----------------------------------------------------------------------------------- Telegram
@pytest.mark.parametrize("size", SIZES)
async def test_telegram_refuses_an_oversized_body_with_the_secret_with_413(
    store: ServiceChannelStore, fake_telegram: FakeTelegram, size: int
) -> None:
    recorder = Recorder()
    update = message_update(1, text="x" * size)
    async with serve_channel(make_telegram(store, fake_telegram), recorder) as url:
        status = await post_raw(f"{url}/webhook", json.dumps(update).encode(), {
            "Content-Type": "application/json", SECRET_HEADER: SECRET})
    assert status == 413
    await asyncio.sleep(0.2)
    assert recorder.messages == [] and fake_telegram.called("sendMessage") == []


# ----------------------------------------------------------------------------------- socket.io
async def _connect(url: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    return client


@pytest.mark.parametrize("size", [pytest.param(900 * 1024, id="900KB"), *SIZES])
async def test_socketio_refuses_an_oversized_message_and_keeps_serving(size: int) -> None:
    recorder = Recorder()
    channel = SocketIOChannel(session_persistence=True)
    async with serve_channel(channel, recorder) as url:
        base = url.rsplit("/webhooks/", 1)[0]
        client = await _connect(base)
        try:
            await client.emit("user_uttered", {"message": "x" * size, "session_id": "a1b2c3d4e5"})
            await asyncio.sleep(1.0)
        finally:
            await client.eio.disconnect(abort=True)  # its long-poll would hold a graceful close
        assert recorder.messages == []
        # The server still serves others, and a message at the limit goes through.
        other = await _connect(base)
        try:
            await other.emit("user_uttered", {"message": "長" * MAX_MESSAGE_CHARS,
                                              "session_id": "f6e5d4c3b2"})
            for _ in range(50):
                if recorder.messages:
                    break
                await asyncio.sleep(0.1)
        finally:
            await other.eio.disconnect(abort=True)
    assert recorder.texts == ["長" * MAX_MESSAGE_CHARS]


async def test_rest_a_failing_turn_is_logged_without_the_message_text(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    async def failing(_message: object) -> None:
        raise RuntimeError("invented failure")

    caplog.set_level(logging.DEBUG)
    secret = "My invented neighbour Wei shouted at me"
    async with serve_channel(RestInput(), failing) as url, aiohttp.ClientSession() as http:  # type: ignore[arg-type]
        async with http.post(f"{url}/webhook", json={"sender": "invented-3",
                                                     "message": secret}) as resp:
            assert resp.status == 200
    printed = capsys.readouterr()
    logged = caplog.text + printed.out + printed.err  # structlog may print instead of logging
    assert "RuntimeError" in logged
    assert secret not in logged
