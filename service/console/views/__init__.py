"""One module per console page; each has ``setup(app)`` registering its routes."""

from __future__ import annotations

from aiohttp import web

from service.console.views import admin, case, cases, live, queue


def setup_views(app: web.Application) -> None:
    """Registers every page's routes."""
    for module in (queue, cases, case, live, admin):
        module.setup(app)
