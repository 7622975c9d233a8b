"""A fake Twilio Messages API on loopback, for the channel tests (tests/channels/conftest.py and
the suites that reuse it) and the benchmark (scripts/bench.py points our stack's Twilio at it so
nothing leaves the machine).

`run_fake` serves any aiohttp app on a free loopback port; `FakeTwilio` records the messages
sent through it and serves media behind basic auth.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from scripts.stack import free_port


@asynccontextmanager
async def run_fake(app: web.Application) -> AsyncIterator[str]:
    """Runs an aiohttp app on loopback; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)  # the fake is the provider: not our logs
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass
class FakeTwilio:
    """Records Messages API calls and serves media behind basic auth."""

    base_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    media_auth: list[str | None] = field(default_factory=list)
    expected_auth: str | None = None

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        app.router.add_get("/media/{name}", self._media)
        return app

    async def _create_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        record = {k: form.getall(k) if k == "MediaUrl" else form[k] for k in form}
        self.sent.append(record)
        return web.json_response(
            {
                "sid": "SM" + uuid.uuid4().hex,
                "account_sid": request.match_info["sid"],
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "num_media": "0",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": "/2010-04-01/Accounts/x/Messages/y.json",
            },
            status=201,
        )

    async def _media(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        self.media_auth.append(auth)
        if auth != self.expected_auth:
            return web.Response(status=401)
        content_type, data = self.media[request.match_info["name"]]
        return web.Response(body=data, content_type=content_type)
