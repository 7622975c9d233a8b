"""The case list (``/console/cases``, server-rendered, works without JavaScript) and its JSON twin
(``GET /api/cases``) with the same filters.

Search by reference (all of it or its beginning), filters, what needs attention first, 25 a page.
Operators and admins see every case; caseworkers their organisation's consented cases only (see
:mod:`bot.handoff.caselist`). Every read of the list is audited (``cases.list``, with the filters:
codes, dates and a reference prefix only).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.handoff import caselist
from bot.handoff.caselist import CaseFilters, CasePage
from bot.store.audit import Audit
from service.console.api import sync
from service.console.pages import page
from service.console.security import current_user
from service.console.state import state_of

#: The form's fields, as named in the query string.
FIELDS = ("q", "status", "language", "channel", "police", "caseworker", "overdue", "from", "to")


async def _list(request: web.Request, filters: CaseFilters) -> CasePage:
    """The page of cases for the signed-in user (queue rows synced first; audited)."""
    state = state_of(request)
    user = current_user(request)
    await sync(state)  # a new case joins its partner's queue (and gets its due dates) first
    now = state.now()

    def work(session: Any) -> CasePage:
        return caselist.list_cases(session, user, filters, now=now)

    def recorded(result: CasePage) -> Audit:
        detail = {**filters.audit_detail(), "page": result.page, "shown": len(result.rows)}
        return Audit(user.id, "cases.list", None, detail)

    return await state.audited(recorded, work, now=now)


def _link(filters: CaseFilters, page_number: int) -> str:
    params = filters.params()
    if page_number > 1:
        params["page"] = str(page_number)
    return "/console/cases" + ("?" + urlencode(params) if params else "")


async def cases_page(request: web.Request) -> web.Response:
    """GET /console/cases: the filter form and one page of cases (400 with kind words for a
    filter value that cannot be used)."""
    filters, errors = caselist.parse_filters(request.query)
    form = {key: str(request.query.get(key) or "") for key in FIELDS}
    result = None if errors else await _list(request, filters)
    links: dict[str, str | None] = {"previous": None, "next": None}
    if result is not None:
        if result.page > 1:
            links["previous"] = _link(filters, result.page - 1)
        if result.page < result.pages:
            links["next"] = _link(filters, result.page + 1)
    return page(
        request,
        "cases",
        "Cases",
        status=400 if errors else 200,
        form=form,
        errors=errors,
        result=result,
        links=links,
        filtered=bool(filters.params()),
        now=state_of(request).now(),
        options={
            "status": list(caselist.STATUS_NAMES.items()),
            "language": caselist.language_options(),
            "channel": list(caselist.CHANNEL_NAMES.items()),
            "police": list(caselist.POLICE_NAMES.items()),
            "caseworker": [("yes", "Yes"), ("no", "No")],
        },
    )


async def cases_json(request: web.Request) -> web.Response:
    """GET /api/cases?…: the same list as JSON (``total``, ``page``, ``pages``, ``cases``)."""
    filters, errors = caselist.parse_filters(request.query)
    if errors:
        return web.json_response({"error": " ".join(errors)}, status=400)
    result = await _list(request, filters)
    return web.json_response(result.as_dict(), headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app.router.add_get("/console/cases", cases_page)
    app.router.add_get("/api/cases", cases_json)
