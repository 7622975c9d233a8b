"""The queue page (``/console``): live chats, callbacks and caseworker cases (filled by queue.js)."""

from __future__ import annotations

from aiohttp import web

from service.console.pages import page


async def queue_page(request: web.Request) -> web.Response:
    """GET /console."""
    return page(request, "queue", "Queue")


def setup(app: web.Application) -> None:
    app.router.add_get("/console", queue_page)
