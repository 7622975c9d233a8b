"""Guards of the console: authentication for every route not on the public allow-list, CSRF on
every state-changing request, Origin checks, and role checks.

Deny by default: a route added anywhere in the app is refused without a session unless its path
is in :data:`PUBLIC_PATHS` (a test enumerates the app's routes to keep it that way).
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from bot.handoff.accounts import SessionInfo, User, csrf_matches, resolve_session
from service.console.state import state_of
from service.routes import STATIC_FILES

logger = logging.getLogger(__name__)

SESSION_COOKIE: Final = "console_session"
LOGIN_CSRF_COOKIE: Final = "console_login_csrf"
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

#: Routes anyone may reach (canonical paths): health, the login form, the chat page and its assets
#: (incl. the widget's /config.json), and the console's own CSS/JS (the login page needs them;
#: they hold no data).
PUBLIC_PATHS: Final = frozenset(
    {"/health", "/login", "/config.json", "/console/static/{name}", *STATIC_FILES}
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER_KEY: Final = "console_user"
#: The roles that work the live queue and every case (caseworkers see their own cases only).
STAFF: Final = ("operator", "admin")
SESSION_KEY: Final = "console_session_info"


def is_public(request: web.Request) -> bool:
    """True when the matched route is on the public allow-list (or nothing matched: a 404)."""
    route = request.match_info.route
    resource = route.resource
    if resource is None:
        return True  # no route matched: aiohttp answers 404/405 itself
    return resource.canonical in PUBLIC_PATHS


#: What a refused page request tells staff (the API keeps its terse reasons in JSON).
PAGE_REFUSALS: Final = {
    "login required": "Your session has ended, so nothing was changed. Please sign in again.",
    "cross-origin request refused": (
        "This came from another site, so it was refused and nothing was changed."
    ),
    "malformed form body": "The form could not be read, so nothing was changed. Please try again.",
    "missing or wrong CSRF token": (
        "This page was open for too long or you signed in again elsewhere. Nothing was changed: "
        "please go back, reload the page and try again."
    ),
}


_PAGE_ERRORS: Final[dict[int, type[web.HTTPException]]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
}


def _refuse(request: web.Request, status: int, reason: str) -> web.StreamResponse:
    if status == 401 and request.method in SAFE_METHODS and request.path.startswith("/console"):
        raise web.HTTPFound("/login")
    if not request.path.startswith("/api/") and reason in PAGE_REFUSALS:
        # A form of a console page: the errors middleware (outside this guard) answers a page in
        # these words with a way on, never a JSON body.
        raise _PAGE_ERRORS[status](
            text=PAGE_REFUSALS[reason], headers={"Cache-Control": "no-store"}
        )
    return web.json_response(
        {"error": reason}, status=status, headers={"Cache-Control": "no-store"}
    )


def client_address(request: web.Request) -> str:
    """The address of the person's device: the connection's own, or, when the connection comes
    from a configured trusted proxy, the last address in ``X-Forwarded-For`` that is not one of
    those proxies (a client can put anything at the start of that header, never at its end)."""
    remote = request.remote or "-"
    trusted = set(state_of(request).config.trusted_proxies)
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return remote


def origin_allowed(request: web.Request) -> bool:
    """True when the request's Origin is this service (or a configured console origin)."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    allowed = state_of(request).config.allowed_origins or (f"{request.scheme}://{request.host}",)
    return origin in allowed


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticates, checks CSRF and Origin on state changes, and forbids caching of data."""
    if is_public(request):
        return await handler(request)
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    now = state.now()
    info: SessionInfo | None = (
        await state.run(lambda s: resolve_session(s, token, now=now)) if token else None
    )
    if info is None:
        return _refuse(request, 401, "login required")
    request[USER_KEY] = info.user
    request[SESSION_KEY] = info
    if request.method not in SAFE_METHODS:
        if request.headers.get("Origin") and not origin_allowed(request):
            return _refuse(request, 403, "cross-origin request refused")
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.content_type == "application/x-www-form-urlencoded":
            try:
                given = (await request.post()).get("csrf_token")  # type: ignore[assignment]
            except ValueError:  # undecodable or malformed form body: a 400, never a 500
                return _refuse(request, 400, "malformed form body")
        if not csrf_matches(info.csrf_token, given if isinstance(given, str) else None):
            return _refuse(request, 403, "missing or wrong CSRF token")
    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def current_user(request: web.Request) -> User:
    """The signed-in user (the guard has run)."""
    return request[USER_KEY]  # type: ignore[no-any-return]


def current_csrf(request: web.Request) -> str:
    """The session's CSRF token, for pages and /api/me."""
    return request[SESSION_KEY].csrf_token  # type: ignore[no-any-return]


def roles(*allowed: str) -> Callable[[Handler], Handler]:
    """Handler decorator: 403 unless the signed-in user has one of ``allowed`` roles."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if current_user(request).role not in allowed:
                return web.json_response({"error": "not allowed for your role"}, status=403)
            return await handler(request)

        return checked

    return wrap


def new_login_csrf() -> str:
    """A fresh token for the login form (double-submit: cookie and hidden field)."""
    return secrets.token_urlsafe(32)


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, **extra: Any
) -> None:
    """Sets a console cookie: HttpOnly, SameSite=Strict, Secure unless configured off."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Strict",
        secure=state_of(request).config.cookie_secure,
        path="/",
        **extra,
    )
