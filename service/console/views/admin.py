"""The admin page (``/console/admin``): accounts, hours, partners, audit log (admin.js)."""

from __future__ import annotations

from aiohttp import web

from service.console.pages import page
from service.console.security import current_user


async def admin_page(request: web.Request) -> web.Response:
    """GET /console/admin."""
    if current_user(request).role != "admin":
        raise web.HTTPForbidden()
    return page(request, "admin", "Admin")


def setup(app: web.Application) -> None:
    app.router.add_get("/console/admin", admin_page)
