"""Hermetic harness for the channel tests.

* fake Twilio and Telegram APIs (aiohttp on 127.0.0.1) that record what was sent (the Twilio one
  and `run_fake` live in scripts/fake_twilio.py, shared with the benchmark),
* a Sanic app serving a channel's blueprint on a free loopback port,
* a recorder standing in for Rasa's ``on_new_message`` that can reply through the
  UserMessage's output channel, as Rasa would.

Numbers are from the +44 7700 900xxx drama range; everything else is invented.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic

from bot.settings import Settings
from channels.store import ServiceChannelStore
from scripts.fake_twilio import FakeTwilio, run_fake
from scripts.stack import free_port

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def migrated_settings(settings: Settings) -> Settings:
    """Settings whose SQLite case store has been migrated."""
    from bot.store.db import upgrade

    upgrade(settings.database_url)
    return settings


@pytest.fixture
def store(migrated_settings: Settings) -> ServiceChannelStore:
    """The real store facade over the temporary SQLite case store."""
    return ServiceChannelStore.from_settings(migrated_settings)


Reply = Callable[[UserMessage], Iterable[dict[str, Any]]]


@dataclass
class Recorder:
    """Stands in for ``app.ctx.agent.handle_message``: records, then optionally replies."""

    reply: Reply | None = None
    gate: asyncio.Event | None = None
    messages: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        """Records the message and sends the scripted bot responses."""
        if self.gate is not None:
            await self.gate.wait()
        self.messages.append(message)
        if self.reply is not None:
            for response in self.reply(message):
                await message.output_channel.send_response(message.sender_id, dict(response))

    @property
    def texts(self) -> list[str | None]:
        """The texts Rasa would have received."""
        return [m.text for m in self.messages]


@asynccontextmanager
async def serve_channel(channel: InputChannel, recorder: Recorder) -> AsyncIterator[str]:
    """Serves ``channel.blueprint(recorder)`` under ``/webhooks/<name>``; yields the base URL."""
    Sanic.test_mode = True  # lets several apps start in one process (Sanic's TouchUp)
    app = Sanic(f"test_{uuid.uuid4().hex}", configure_logging=False)
    app.blueprint(channel.blueprint(recorder), url_prefix=f"/webhooks/{channel.name()}")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/{channel.name()}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """A running fake Twilio API."""
    fake = FakeTwilio()
    async with run_fake(fake.app()) as url:
        fake.base_url = url
        yield fake


def _decode(value: str) -> Any:
    """python-telegram-bot sends non-string parameters JSON-encoded in form fields."""
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class FakeTelegram:
    """Records Bot API calls and serves files."""

    token: str
    base_url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    fail_methods: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        return app

    def called(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call to ``method``."""
        return [params for name, params in self.calls if name == method]

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = {k: _decode(str(v)) for k, v in form.items()}
        self.calls.append((method, params))
        if method in self.fail_methods:
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: chat not found"}, status=400)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 4242, "is_bot": True, "first_name": "Report", "username": "report_bot"}
        if method in ("sendMessage", "sendPhoto"):
            return {"message_id": len(self.calls), "date": 1_700_000_000,
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params.get("text", "")}
        if method == "getFile":
            file_id = params["file_id"]
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                    "file_size": len(self.files[file_id]), "file_path": f"photos/{file_id}.jpg"}
        return True

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        name = request.match_info["path"].removeprefix("photos/").removesuffix(".jpg")
        return web.Response(body=self.files[name], content_type="application/octet-stream")


TELEGRAM_TOKEN = "987654321:AAH-not-a-real-token_Zq7xK2mPw9vB4nR1"


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A running fake Telegram Bot API."""
    fake = FakeTelegram(token=TELEGRAM_TOKEN)
    async with run_fake(fake.app()) as url:
        fake.base_url = url
        yield fake
