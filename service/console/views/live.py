"""One live chat (``/console/live/{request_id}``), driven by live.js over the console socket.

The page carries the prepared (canned) messages by their titles in the language the operator
chose to list them in (English unless they chose another; the English beside any other), with a
small form to choose it (``POST /console/live/{request_id}/canned-language``: CSRF field,
post/redirect/get, so it works without JavaScript). The choice is the operator's own, kept server
side for their account while the service runs, so it stays for every chat they open. It changes
only what the operator reads: the message sent is always in the person's language, which the
server takes from the chat (see :meth:`service.console.hub.Hub.canned`). The chat's state, its
transcript and every action come over the console API and socket (see live.js).
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from bot.handoff import canned
from bot.handoff.caselist import language_name
from bot.languages import codes
from service.console.pages import page
from service.console.security import STAFF, current_user
from service.console.state import state_of

#: What the page says when a listing language could not be used (``?problem=language``).
LANGUAGE_PROBLEM: Final = (
    "The prepared messages cannot be listed in that language, so they are still listed in {name}. "
    "Please choose a language from the list."
)


def _staff_only(request: web.Request) -> int:
    user = current_user(request)
    if user.role not in STAFF:
        raise web.HTTPForbidden()
    return user.id


def listing_language(request: web.Request) -> str:
    """The language the signed-in operator lists the prepared messages in (English by default)."""
    chosen = state_of(request).canned_listing.get(current_user(request).id)
    return canned.listing_language(chosen) or canned.DEFAULT_LANGUAGE


async def live_page(request: web.Request) -> web.Response:
    """GET /console/live/{request_id}."""
    _staff_only(request)
    listed_in = listing_language(request)
    problem = None
    if request.query.get("problem") == "language":
        problem = LANGUAGE_PROBLEM.format(name=language_name(listed_in))
    request_id = request.match_info["request_id"][:12]
    return page(
        request,
        "live",
        "Live chat",
        data={"request_id": request_id},
        request_id=request_id if request_id.isdigit() else "",
        canned=canned.canned_titles(listed_in),
        listed_in=listed_in,
        listed_in_name=language_name(listed_in),
        listing_languages=[(code, language_name(code)) for code in codes()],
        language_problem=problem,
    )


async def choose_listing_language(request: web.Request) -> web.Response:
    """POST /console/live/{request_id}/canned-language: the operator's listing language.

    A language the service does not speak is refused kindly: nothing changes and the page says
    so beside the form. Not audited: it changes only what this operator reads.
    """
    user_id = _staff_only(request)
    try:
        form = await request.post()
    except ValueError:
        raise web.HTTPBadRequest() from None
    value = form.get("language")
    code = canned.listing_language(value if isinstance(value, str) else None)
    back = f"/console/live/{request.match_info['request_id']}"
    if code is None:
        raise web.HTTPSeeOther(f"{back}?problem=language#canned-language")
    state_of(request).canned_listing[user_id] = code
    raise web.HTTPSeeOther(f"{back}#canned")


def setup(app: web.Application) -> None:
    app.router.add_get("/console/live/{request_id}", live_page)
    app.router.add_post(
        r"/console/live/{request_id:\d{1,12}}/canned-language", choose_listing_language
    )
