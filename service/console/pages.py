"""HTML pages of the console (``/login``, ``/console/...``): shells filled by ``console.js``.

Pages carry no case data themselves: the script fetches it from the JSON API, whose case reads are
the audited ones. Templates (``service/templates/console``) are Jinja2 with autoescaping; the CSP
allows only our own script and style files.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Final

import jinja2
from aiohttp import web

from service.console.security import (
    LOGIN_CSRF_COOKIE,
    current_csrf,
    current_user,
    new_login_csrf,
    set_cookie,
)

TEMPLATES: Final = Path(__file__).resolve().parents[1] / "templates" / "console"
STATIC: Final = Path(__file__).resolve().parents[1] / "static" / "console"
STATIC_TYPES: Final = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _render(name: str, status: int = 200, **values: Any) -> web.Response:
    html = _env().get_template(name).render(**values)
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def login_page(
    request: web.Request,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The login form, with a fresh double-submit CSRF token."""
    token = new_login_csrf()
    response = _render("login.html", status=status, csrf_token=token, error=error)
    response.headers.update(headers or {})
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login_get(request: web.Request) -> web.Response:
    """GET /login."""
    return await login_page(request)


def _shell(request: web.Request, page: str, **values: Any) -> web.Response:
    user = current_user(request)
    return _render(
        "page.html",
        page=page,
        user=user,
        csrf_token=current_csrf(request),
        values=values,
        title={"queue": "Queue", "case": "Case", "live": "Live chat", "admin": "Admin"}[page],
    )


async def queue_page(request: web.Request) -> web.Response:
    """GET /console: the queue."""
    return _shell(request, "queue")


async def case_page(request: web.Request) -> web.Response:
    """GET /console/cases/{reference}."""
    return _shell(request, "case", reference=request.match_info["reference"][:16])


async def live_page(request: web.Request) -> web.Response:
    """GET /console/live/{request_id}."""
    if current_user(request).role not in ("operator", "admin"):
        raise web.HTTPForbidden()
    return _shell(request, "live", request_id=request.match_info["request_id"][:12])


async def admin_page(request: web.Request) -> web.Response:
    """GET /console/admin."""
    if current_user(request).role != "admin":
        raise web.HTTPForbidden()
    return _shell(request, "admin")


async def static_file(request: web.Request) -> web.StreamResponse:
    """The console's own CSS and JS (public: the login page needs the stylesheet)."""
    name = request.match_info["name"]
    if name not in STATIC_TYPES:
        raise web.HTTPNotFound()
    return web.FileResponse(
        STATIC / name, headers={"Content-Type": STATIC_TYPES[name], "Cache-Control": "no-cache"}
    )


def setup_pages(app: web.Application) -> None:
    """Registers the pages."""
    r = app.router
    r.add_get("/login", login_get)
    r.add_get("/console", queue_page)
    r.add_get("/console/cases/{reference}", case_page)
    r.add_get("/console/live/{request_id}", live_page)
    r.add_get("/console/admin", admin_page)
    r.add_get("/console/static/{name}", static_file)
