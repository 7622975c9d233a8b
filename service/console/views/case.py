"""One case (``/console/cases/{reference}``), filled by case.js from the audited JSON API."""

from __future__ import annotations

from aiohttp import web

from service.console.pages import page


async def case_page(request: web.Request) -> web.Response:
    """GET /console/cases/{reference}."""
    return page(request, "case", "Case", data={"reference": request.match_info["reference"][:16]})


def setup(app: web.Application) -> None:
    app.router.add_get("/console/cases/{reference}", case_page)
