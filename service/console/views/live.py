"""One live chat (``/console/live/{request_id}``), driven by live.js over the console socket.

The page carries the prepared (canned) messages by their English titles; the chat's state, its
transcript and every action come over the console API and socket (see live.js).
"""

from __future__ import annotations

from aiohttp import web

from bot.handoff import canned
from service.console.pages import page
from service.console.security import current_user


async def live_page(request: web.Request) -> web.Response:
    """GET /console/live/{request_id}."""
    if current_user(request).role not in ("operator", "admin"):
        raise web.HTTPForbidden()
    return page(
        request,
        "live",
        "Live chat",
        data={"request_id": request.match_info["request_id"][:12]},
        canned=canned.canned_choices("en"),
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/console/live/{request_id}", live_page)
