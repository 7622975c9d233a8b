"""HTML pages of the console: server-side Jinja2 templates (aiohttp-jinja2), our own static files.

Templates live in ``service/templates/console`` (``base.html`` and one template per page), with
autoescaping; page handlers live in :mod:`service.console.views` (one module per page). Every page
gets the signed-in user, the session's CSRF token and the Babel filters of
:mod:`service.console.fmt`. The CSP allows only our own script and style files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import aiohttp_jinja2
import jinja2
from aiohttp import web

from service.console import fmt
from service.console.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_KEY,
    USER_KEY,
    new_login_csrf,
    set_cookie,
)

TEMPLATES: Final = Path(__file__).resolve().parents[1] / "templates" / "console"
STATIC: Final = Path(__file__).resolve().parents[1] / "static" / "console"
#: Static files are served by name only (no paths): ``name.js`` or ``name.css`` in STATIC.
STATIC_NAME: Final = re.compile(r"^[a-z][a-z0-9_-]{0,40}\.(js|css)$")
STATIC_TYPES: Final = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


async def _context(request: web.Request) -> dict[str, Any]:
    """What every template may use: the user, their organisation's name (a caseworker's partner),
    the CSRF token (absent on the login page) and the hours override in force, in words (None
    without one)."""
    info = request.get(SESSION_KEY)
    from service.console.views.admin import hours_notice  # views import this module

    notice = await hours_notice(request) if info else None
    user = request.get(USER_KEY)
    organisation = getattr(user, "organisation", None)
    if organisation:
        from service.console.state import state_of

        names = {p.id: p.name for p in state_of(request).partners}
        organisation = names.get(organisation, "an organisation no longer in the directory")
    return {
        "user": user,
        "organisation_name": organisation,
        "csrf_token": info.csrf_token if info else "",
        "hours_notice": notice,
    }


def setup_templates(app: web.Application) -> None:
    """aiohttp-jinja2 over the console templates, with the date filters."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        context_processors=[_context],
    )
    env.filters.update(when=fmt.when, day=fmt.day, left=fmt.left, ago=fmt.ago)


def render(request: web.Request, name: str, status: int = 200, **values: Any) -> web.Response:
    """A page from a template, never cached."""
    response = aiohttp_jinja2.render_template(name, request, values, status=status)
    response.headers["Cache-Control"] = "no-store"
    # "no-referrer" (the service default) makes a browser send "Origin: null" with a form POST,
    # which the guard refuses; "same-origin" sends our own origin and still nothing to other sites.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def page(request: web.Request, page_name: str, title: str, **values: Any) -> web.Response:
    """A console page ``<page_name>.html``; ``data`` values become ``data-*`` attributes for its
    script (the body's ``data-page`` is ``page_name``)."""
    data = values.pop("data", {})
    return render(request, f"{page_name}.html", page=page_name, title=title, values=data, **values)


async def login_page(
    request: web.Request,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The login form, with a fresh double-submit CSRF token."""
    token = new_login_csrf()
    response = render(request, "login.html", status=status, login_csrf=token, error=error)
    response.headers.update(headers or {})
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login_get(request: web.Request) -> web.Response:
    """GET /login."""
    return await login_page(request)


async def static_file(request: web.Request) -> web.StreamResponse:
    """The console's own CSS and JS (public: the login page needs the stylesheet)."""
    name = request.match_info["name"]
    if not STATIC_NAME.match(name) or not (STATIC / name).is_file():
        raise web.HTTPNotFound()
    kind = name.rsplit(".", 1)[1]
    return web.FileResponse(
        STATIC / name, headers={"Content-Type": STATIC_TYPES[kind], "Cache-Control": "no-cache"}
    )


def setup_pages(app: web.Application) -> None:
    """Registers the templates, the login page, the static files and every page view."""
    from service.console.views import setup_views

    setup_templates(app)
    r = app.router
    r.add_get("/login", login_get)
    r.add_get("/console/static/{name}", static_file)
    setup_views(app)
