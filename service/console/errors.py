"""One way for the console to answer an error: the :func:`errors` middleware.

Handlers raise; they do not build error answers themselves. Under ``/api/`` every error is the one
JSON shape ``{"error": "..."}``; on the console's pages (``/console``, ``/login``, ``/logout``) it
is a short HTML page in words (``error.html``, which needs no session, so it also works signed
out). What is answered:

- a known domain error (:data:`ERROR_STATUS`: :class:`NotFound`, :class:`BadRequest` and the
  errors of the queue, accounts, case list and live chats), with its own message, which is written
  for staff, and its status;
- an HTTP error (``web.HTTPException`` of status 400 and above) raised by a handler, the guard or
  aiohttp itself: its text when a handler wrote one, otherwise its reason ("not found") in JSON or
  a short sentence for its status on a page; one that already carries the JSON shape or a page
  of ours passes unchanged, as do redirects;
- anything else: logged (exception type, route and the code's stack frames; never the request's
  body, its values or the exception's message, which may quote data) and answered as a 500 that
  says something went wrong, never with a stack trace.

Other paths (the chat page, channels, health), and an unexpected error of the operators'
WebSocket (past its handshake there is no HTTP answer to give), are left to aiohttp as before.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

import aiohttp_jinja2
from aiohttp import hdrs, web

from bot.handoff.accounts import AccountError
from bot.handoff.caselist import FilterError
from bot.handoff.queue import QueueError
from service.console.hub import HandoffError
from service.console.security import SESSION_COOKIE, USER_KEY

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class NotFound(LookupError):
    """What was asked for does not exist, or the user may not know that it does: 404."""


class BadRequest(ValueError):
    """The request's body or values cannot be used: 400. The message says what is expected."""


#: Domain errors whose message is meant for staff, and the status they answer with. A subclass
#: answers like its nearest listed base.
ERROR_STATUS: Final[Mapping[type[Exception], int]] = {
    NotFound: 404,
    BadRequest: 400,
    QueueError: 400,
    AccountError: 400,
    FilterError: 400,
    HandoffError: 409,
}

#: Said when a handler gave no words of its own.
PHRASES: Final[Mapping[int, str]] = {
    400: "Something in that request could not be used. Please go back and try again.",
    401: "Please sign in first.",
    403: "Your account cannot do this.",
    404: "There is nothing here. It may have been moved or deleted.",
    405: "That cannot be done here.",
    409: "Someone else changed this first. Please reload and try again.",
    413: "That was too large to send.",
    429: "Too many tries. Please wait a little and try again.",
}
SERVER_ERROR: Final = (
    "Something went wrong on our side. Please try again; if it keeps happening, tell an admin."
)
TITLES: Final[Mapping[int, str]] = {
    403: "Not allowed",
    404: "Not found",
    409: "Changed meanwhile",
    413: "Too large",
    429: "Please wait",
}
PAGE_PATHS: Final = ("/console", "/login", "/logout")


def json_error(message: str, status: int, headers: Mapping[str, str] | None = None) -> web.Response:
    """The one JSON error shape of the console API."""
    response = web.json_response({"error": message}, status=status, headers=headers)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _is_page(request: web.Request) -> bool:
    path = request.path
    return any(path == p or path.startswith(p + "/") for p in PAGE_PATHS)


def known_status(exc: BaseException) -> int | None:
    """The status of a known domain error (by its nearest listed class), else None."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return None


def _own_words(exc: web.HTTPException) -> str | None:
    """The text a handler gave the HTTP error, or None for aiohttp's default ("404: Not Found")."""
    text = (exc.text or "").strip()
    if not text or text == f"{exc.status}: {exc.reason}":
        return None
    return text


def _words(request: web.Request, exc: web.HTTPException) -> str:
    """What to say for an HTTP error: the handler's text, else the API's terse reason ("not
    found") or, on a page, a short sentence for its status."""
    own = _own_words(exc)
    if own is not None:
        return own
    if exc.status >= 500:
        return SERVER_ERROR
    if _is_api(request):
        return (exc.reason or "error").lower()
    return PHRASES.get(exc.status, PHRASES[400])


def _passes(request: web.Request, exc: web.HTTPException) -> bool:
    """Redirects, and errors that already are our JSON shape or an HTML page, go out unchanged."""
    if exc.status < 400:
        return True
    if _is_api(request):
        if exc.content_type != "application/json":
            return False
        try:
            return isinstance(json.loads(exc.text or ""), dict)
        except ValueError:
            return False
    return exc.content_type == "text/html"


def _page(request: web.Request, status: int, message: str) -> web.Response:
    """``error.html``, rendered without the pages' context processor (no database needed)."""
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "That did not work")
    # The guard does not run for a path no route matches, so a session cookie counts too (the
    # link only leads to the queue, which checks the session itself).
    signed_in = request.get(USER_KEY) is not None or SESSION_COOKIE in request.cookies
    try:
        template = aiohttp_jinja2.get_env(request.app).get_template("error.html")
        body = template.render(title=title, message=message, status=status, signed_in=signed_in)
    except Exception:  # the page must never fail in turn: a plain line instead
        logger.exception("Rendering the console error page failed")
        return web.Response(text=message, status=status, headers={"Cache-Control": "no-store"})
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "same-origin"},
    )


def answer(
    request: web.Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The error in the request's own kind: JSON under ``/api/``, a page elsewhere."""
    if _is_api(request):
        return json_error(message, status, headers)
    response = _page(request, status, message)
    for name, value in (headers or {}).items():
        response.headers.setdefault(name, value)
    return response


def _kept_headers(exc: web.HTTPException) -> dict[str, str]:
    """An HTTP error's own headers (``Allow``, ``Retry-After``…) without its body's."""
    dropped = {hdrs.CONTENT_TYPE.lower(), hdrs.CONTENT_LENGTH.lower()}
    return {k: v for k, v in exc.headers.items() if k.lower() not in dropped}


def _log_unexpected(request: web.Request, exc: Exception) -> None:
    """Where it failed, in code: type, method, route pattern and stack frames; no data."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "(no route)"
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    logger.error(
        "Unexpected %s in %s %s; request body and exception message not logged\n%s",
        type(exc).__name__,
        request.method,
        route,
        frames.rstrip(),
    )


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turns what a console handler raises into the one error answer (see the module)."""
    if not (_is_api(request) or _is_page(request)):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if _passes(request, exc):
            raise
        return answer(request, exc.status, _words(request, exc), _kept_headers(exc))
    except Exception as exc:
        status = known_status(exc)
        if status is not None:
            return answer(request, status, str(exc))
        if request.headers.get(hdrs.UPGRADE, "").lower() == "websocket":
            raise  # past the handshake no HTTP answer can be sent: aiohttp closes the socket
        _log_unexpected(request, exc)
        return answer(request, 500, SERVER_ERROR)
