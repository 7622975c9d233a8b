"""Routes of the chat side of the web service: the chat page, widget assets, config and health.

Only the files named here are served from ``web/``; nothing else in that folder (package.json,
node_modules) is reachable.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from service.settings import SETTINGS_KEY

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTML: Final = "text/html; charset=utf-8"
JS: Final = "text/javascript; charset=utf-8"
CSS: Final = "text/css; charset=utf-8"

#: URL path -> (file under web/, content type, cacheable). Pages are never cached: after "Exit
#: quickly" nothing of the chat should come back from the browser cache.
STATIC_FILES: Final[dict[str, tuple[str, str, bool]]] = {
    "/": ("index.html", HTML, False),
    "/neutral": ("neutral.html", HTML, False),
    "/widget.js": ("widget.js", JS, True),
    "/widget.css": ("widget.css", CSS, True),
    "/page.css": ("page.css", CSS, True),
    "/forecast.css": ("forecast.css", CSS, True),
    "/vendor/socket.io.min.js": ("vendor/socket.io.min.js", JS, True),
}


def _file_handler(name: str, content_type: str, cacheable: bool) -> Handler:
    """Makes a handler that sends one file of ``web/`` with a fixed content type."""

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.app[SETTINGS_KEY].web_dir / name
        # no-cache still lets the browser revalidate cheaply (ETag/Last-Modified).
        cache = "no-cache" if cacheable else "no-store"
        return web.FileResponse(
            path, headers={"Content-Type": content_type, "Cache-Control": cache}
        )

    return handler


async def health(request: web.Request) -> web.Response:
    """Liveness for process supervisors and the e2e tests."""
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def widget_config(request: web.Request) -> web.Response:
    """Tells the chat page's widget where Rasa's socket.io endpoint and the exit page are."""
    settings = request.app[SETTINGS_KEY]
    body: dict[str, Any] = {
        "socketUrl": settings.rasa_public_url,
        "socketPath": settings.socket_path,
        "exitUrl": settings.exit_url,
    }
    if settings.init_payload:
        body["initPayload"] = settings.init_payload
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def setup_routes(app: web.Application) -> None:
    """Registers the chat page, widget assets, ``/config.json`` and ``/health``.

    Args:
        app: The application built by :func:`service.app.create_app`.
    """
    for url, (name, content_type, cacheable) in STATIC_FILES.items():
        app.router.add_get(url, _file_handler(name, content_type, cacheable))
    app.router.add_get("/health", health)
    app.router.add_get("/config.json", widget_config)
