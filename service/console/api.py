"""JSON API of the console (``/api/...``), the login/logout endpoints and the WebSocket.

Every handler runs behind :func:`service.console.security.guard` (session, CSRF, Origin); role
checks are per handler. Each handler's store work is one unit of work (``ConsoleState.run``); a
change or read worth recording runs through ``ConsoleState.audited``, which writes its audit row in
that same unit of work, so no change is committed without its row. Handlers raise their errors
(:class:`NotFound`, :class:`BadRequest`, the domain errors): the middleware
:func:`service.console.errors.errors` answers them all in the one JSON shape.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from aiohttp import WSMsgType, web

from bot.handoff import accounts, live, queue
from bot.handoff.accounts import User
from bot.handoff.caselist import CHANNEL_NAMES, language_name
from bot.handoff.hours import hours_as_dict, save_hours
from bot.store.audit import Audit
from bot.store.handoff_models import ConsoleUser
from bot.store.references import normalise_reference
from service.console import pages
from service.console.errors import BadRequest, NotFound
from service.console.hub import HandoffError
from service.console.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    STAFF,
    client_address,
    current_csrf,
    current_user,
    origin_allowed,
    roles,
    set_cookie,
)
from service.console.state import ConsoleState, state_of

logger = logging.getLogger(__name__)

#: A live-chat step the socket could not take (unreadable, stale page token, unknown step): staff
#: read this in the live page's status line, so it says what to do, never the cause's jargon.
RELOAD = "That step could not be taken on this page as it is: please reload the page and try again."


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("JSON body expected") from None
    if not isinstance(body, dict):
        raise BadRequest("JSON object expected")
    return body


def _number(request: web.Request, name: str, missing: str) -> int:
    """A whole number from the path (``{task_id}``…); :class:`NotFound` with ``missing`` if not."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise NotFound(missing) from None


# -- login ----------------------------------------------------------------------------------------


async def login_post(request: web.Request) -> web.StreamResponse:
    """Checks the login CSRF pair, the rate limit, then the password; starts a session."""
    state = state_of(request)
    try:
        form = await request.post()
    except ValueError:  # undecodable form or multipart without a boundary: the client's error
        raise web.HTTPBadRequest() from None
    email = str(form.get("email") or "")
    password = str(form.get("password") or "")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not accounts.csrf_matches(cookie, str(form.get("csrf_token") or "")):
        return await pages.login_page(
            request, error="Your form expired. Please try again.", status=403
        )
    now = state.now()
    config = state.config
    keys = accounts.attempt_keys(email, client_address(request), state.keyring)

    def check(session: Any) -> tuple[User, str] | dt.timedelta | None:
        """The user and their new session's token; the wait still due; or None (refused)."""
        wait = accounts.login_delay(
            session, keys, now=now, limit=config.login_limit, window=config.login_window
        )
        if wait:
            return wait
        user = accounts.authenticate(session, email, password)
        if user is None:
            accounts.record_failure(session, keys, now=now, window=config.login_window)
            return None
        return user, accounts.start_session(session, user, now=now, ttl=config.session_ttl)

    def recorded(result: tuple[User, str] | dt.timedelta | None) -> Audit | None:
        if isinstance(result, dt.timedelta):
            return None  # not even tried: nothing to record
        return Audit(None, "login.failed") if result is None else Audit(result[0].id, "login")

    result = await state.audited(recorded, check, now=now)
    if isinstance(result, dt.timedelta):
        logger.warning("Login delayed after repeated failures from one client")
        seconds = max(1, math.ceil(result.total_seconds()))
        wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
        return await pages.login_page(
            request,
            error=f"Too many wrong tries from this device. Please wait {wait} and try again.",
            status=429,
            headers={"Retry-After": str(seconds)},
        )
    if result is None:
        return await pages.login_page(request, error="Wrong e-mail or password.", status=401)
    _user, token = result
    response = web.HTTPFound("/console")
    set_cookie(
        request, response, SESSION_COOKIE, token, max_age=int(config.session_ttl.total_seconds())
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends the session."""
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    await state.run(lambda s: accounts.end_session(s, token))
    response = web.HTTPFound("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


# -- me, queue ----------------------------------------------------------------------------------


async def me(request: web.Request) -> web.Response:
    """The signed-in user and the CSRF token for state-changing requests."""
    return web.json_response(
        {"user": current_user(request).as_dict(), "csrf_token": current_csrf(request)}
    )


@roles(*STAFF)
async def availability(request: web.Request) -> web.Response:
    """An operator's "taking live chats" switch."""
    body = await _json(request)
    user = current_user(request)
    available = bool(body.get("available"))
    await state_of(request).run(lambda s: live.set_available(s, user.id, available))
    return web.json_response({"available": available})


async def queue_view(request: web.Request) -> web.Response:
    """The user's queue: live chats, callbacks and casework with due dates (caseworkers: theirs)."""
    state = state_of(request)
    user = current_user(request)
    now = state.now()
    await sync(state)

    def view(session: Any) -> dict[str, Any]:
        result = queue.queue_view(session, state.keyring, user, now=now)
        names = {p.id: p.name for p in state.partners}
        for item in result.get("casework", []):  # the partner by name, for every role
            item["partner_name"] = names.get(item.get("partner_id") or "")
        for item in result.get("casework", []) + result.get("callbacks", []):
            item["language_name"] = language_name(item.get("language") or "")
        return result

    return web.json_response(await state.audited(Audit(user.id, "queue.view"), view, now=now))


async def sync(state: ConsoleState) -> None:
    """Adds callbacks and casework for new cases (a unit of work of its own)."""
    partners = state.partners
    keyring = state.keyring
    await state.run(lambda s: queue.sync_queue(s, keyring, hours=state.hours(s), partners=partners))


# -- cases --------------------------------------------------------------------------------------


def _reference(request: web.Request) -> str:
    reference = normalise_reference(request.match_info["reference"])
    if reference is None:
        raise NotFound("no such case")
    return reference


async def _allowed(request: web.Request, reference: str) -> User:
    """The user, if they may see the case; 404 otherwise (do not reveal that it exists)."""
    state = state_of(request)
    user = current_user(request)
    await sync(state)  # a new case joins its partner's queue before access is decided
    if not await state.run(lambda s: queue.can_see_case(s, user, reference)):
        await state.audited(Audit(user.id, "case.denied", reference))
        raise NotFound("no such case")
    return user


async def case_view(request: web.Request) -> web.Response:
    """One case with consents, casework, attempts and notes; the view is audited."""
    state = state_of(request)
    reference = _reference(request)
    user = await _allowed(request, reference)
    now = state.now()

    def view(session: Any) -> dict[str, Any] | None:
        return queue.case_record(session, state.keyring, reference, now=now)

    record = await state.audited(Audit(user.id, "case.view", reference), view, now=now)
    if record is None:
        raise NotFound("no such case")
    return web.json_response(record)


async def case_note(request: web.Request) -> web.Response:
    """Adds an encrypted note."""
    state = state_of(request)
    reference = _reference(request)
    user = await _allowed(request, reference)
    text = str((await _json(request)).get("text") or "")
    now = state.now()

    def work(session: Any) -> None:
        queue.add_note(session, state.keyring, user, reference, text, now=now)

    await state.audited(Audit(user.id, "case.note", reference), work, now=now)
    return web.json_response({"ok": True}, status=201)


@roles(*STAFF)
async def reference_unlock(request: web.Request) -> web.Response:
    """Lets a person try their reference in "my report" again at once, after wrong tries slowed
    it down (a person who rings the helpline is not left waiting; audited)."""
    from bot.store.person import unlock_reference

    state = state_of(request)
    reference = _reference(request)
    user = current_user(request)
    now = state.now()
    done = await state.run(
        lambda s: unlock_reference(s, reference, user_id=user.id, keyring=state.keyring, now=now)
    )
    if not done:
        raise NotFound("no such case or saved report")
    return web.json_response({"ok": True})


async def case_attempt(request: web.Request) -> web.Response:
    """Records a contact attempt."""
    state = state_of(request)
    reference = _reference(request)
    user = await _allowed(request, reference)
    outcome = str((await _json(request)).get("outcome") or "")
    now = state.now()

    def work(session: Any) -> None:
        queue.record_attempt(session, user, reference, outcome, now=now)

    await state.audited(
        Audit(user.id, "case.attempt", reference, {"outcome": outcome}), work, now=now
    )
    return web.json_response({"ok": True}, status=201)


async def case_status(request: web.Request) -> web.Response:
    """Accepts, advances or closes the casework."""
    state = state_of(request)
    reference = _reference(request)
    user = await _allowed(request, reference)
    status = str((await _json(request)).get("status") or "")
    now = state.now()

    def work(session: Any) -> None:
        queue.set_casework_status(session, user, reference, status, now=now)

    await state.audited(Audit(user.id, "case.status", reference, {"status": status}), work, now=now)
    return web.json_response({"ok": True})


@roles(*STAFF)
async def callback_status(request: web.Request) -> web.Response:
    """Marks a callback done, cancelled or open again."""
    state = state_of(request)
    user = current_user(request)
    task_id = _number(request, "task_id", "no such callback")
    status = str((await _json(request)).get("status") or "")
    now = state.now()

    def work(session: Any) -> None:
        queue.set_callback_status(session, task_id, status, now=now)

    record = Audit(user.id, "callback.status", f"callback-{task_id}", {"status": status})
    await state.audited(record, work, now=now)
    return web.json_response({"ok": True})


# -- live chats -----------------------------------------------------------------------------------


def _request_id(request: web.Request) -> int:
    return _number(request, "request_id", "no such chat")


@roles(*STAFF)
async def live_action(request: web.Request) -> web.Response:
    """accept | reply | canned | interpreter | handback | close one live chat."""
    hub = state_of(request).hub
    user = current_user(request)
    request_id = _request_id(request)
    action = request.match_info["action"]
    if action == "accept":
        await hub.accept(user, request_id)
    elif action == "reply":
        await hub.reply(user, request_id, str((await _json(request)).get("text") or ""))
    elif action == "canned":
        await hub.canned(user, request_id, str((await _json(request)).get("key") or ""))
    elif action == "interpreter":
        await hub.interpreter_arranged(user, request_id)
    elif action == "handback":
        await hub.end(user, request_id, "returned")
    elif action == "close":
        await hub.end(user, request_id, "closed")
    else:
        raise NotFound("unknown action")
    return web.json_response({"ok": True})


@roles(*STAFF)
async def live_transcript(request: web.Request) -> web.Response:
    """The conversation so far (audited)."""
    hub = state_of(request).hub
    request_id = _request_id(request)
    lines = await hub.transcript(current_user(request), request_id)
    record = await state_of(request).run(lambda s: live.get_request(s, request_id))
    if record is None:
        raise NotFound("no such chat")
    user = current_user(request)
    operator = None
    if record.operator_id is not None:
        operator = await state_of(request).run(
            lambda s: s.get(ConsoleUser, record.operator_id).email
        )
    return web.json_response(
        {
            "id": request_id,
            "status": record.status,
            "mine": record.operator_id == user.id,
            "operator": operator,
            "interpreter_arranged": record.interpreter_arranged_at is not None,
            "language_name": language_name(record.language),
            "channel_name": CHANNEL_NAMES.get(record.channel, "Another channel"),
            "language": record.language,
            # for this operator: do they speak the person's language?
            "interpreter_needed": record.language != "en"
            and record.language not in current_user(request).languages,
            "channel": record.channel,
            "lines": lines,
        }
    )


@roles(*STAFF)
async def live_socket(request: web.Request) -> web.StreamResponse:
    """Operator WebSocket: queue and transcript pushes; accept/reply/handback/close messages.

    Authenticated by the session cookie (the guard ran), and refused unless the Origin is this
    service: a page elsewhere cannot ride the operator's cookie into a socket. Messages that change
    something carry the session's CSRF token too.
    """
    if not origin_allowed(request):
        return web.json_response({"error": "origin not allowed"}, status=403)
    state = state_of(request)
    user = current_user(request)
    csrf = current_csrf(request)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=16 * 1024)
    await ws.prepare(request)
    await state.hub.connect(user, ws)
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            await _socket_message(state, user, csrf, ws, message.data)
    finally:
        await state.hub.disconnect(user, ws)
    return ws


async def _socket_message(
    state: Any, user: User, csrf: str, ws: web.WebSocketResponse, raw: str
) -> None:
    import json

    try:
        data = json.loads(raw)
        kind = str(data.get("type"))
        request_id = int(data.get("id") or 0)
    except (ValueError, AttributeError, TypeError):
        await ws.send_json({"type": "error", "error": RELOAD})
        return
    if kind == "ping":
        await ws.send_json({"type": "pong"})
        return
    if not accounts.csrf_matches(csrf, data.get("csrf_token")):
        await ws.send_json({"type": "error", "error": RELOAD})
        return
    try:
        if kind == "accept":
            await state.hub.accept(user, request_id)
        elif kind == "reply":
            await state.hub.reply(user, request_id, str(data.get("text") or ""))
        elif kind == "canned":
            await state.hub.canned(user, request_id, str(data.get("key") or ""))
        elif kind == "interpreter":
            await state.hub.interpreter_arranged(user, request_id)
        elif kind == "seen":
            await state.hub.seen(user, request_id)
            return
        elif kind == "handback":
            await state.hub.end(user, request_id, "returned")
        elif kind == "close":
            await state.hub.end(user, request_id, "closed")
        else:
            await ws.send_json({"type": "error", "error": RELOAD})
            return
    except HandoffError as exc:
        await ws.send_json({"type": "error", "id": request_id, "error": str(exc)})
        return
    await ws.send_json({"type": "ok", "id": request_id, "for": kind})


# -- admin ----------------------------------------------------------------------------------------


@roles("admin")
async def admin_users(request: web.Request) -> web.Response:
    """Lists accounts."""
    return web.json_response(await state_of(request).run(accounts.list_users))


@roles("admin")
async def admin_user_create(request: web.Request) -> web.Response:
    """Creates an account (the admin sets an initial password; never a default one)."""
    state = state_of(request)
    admin = current_user(request)
    body = await _json(request)
    now = state.now()
    organisation = body.get("organisation") or None
    if organisation and organisation not in {p.id for p in state.partners}:
        raise BadRequest("organisation must be a partner id from the directory")

    def work(session: Any) -> User:
        return accounts.create_user(
            session,
            email=str(body.get("email") or ""),
            password=str(body.get("password") or ""),
            role=str(body.get("role") or ""),
            organisation=organisation,
            languages=[str(x) for x in body.get("languages") or []],
        )

    def recorded(user: User) -> Audit:
        return Audit(admin.id, "admin.user_create", f"user-{user.id}", {"role": user.role})

    user = await state.audited(recorded, work, now=now)
    return web.json_response(user.as_dict(), status=201)


@roles("admin")
async def admin_user_active(request: web.Request) -> web.Response:
    """Enables or disables an account."""
    state = state_of(request)
    admin = current_user(request)
    user_id = _number(request, "user_id", "no such account")
    active = bool((await _json(request)).get("active"))
    now = state.now()

    def work(session: Any) -> bool:
        return accounts.set_active(session, user_id, active)

    # Recorded even for an unknown id (the admin's attempt is worth knowing about).
    record = Audit(admin.id, "admin.user_active", f"user-{user_id}", {"active": active})
    if not await state.audited(record, work, now=now):
        raise NotFound("no such account")
    return web.json_response({"ok": True})


@roles("admin", "operator")
async def admin_hours(request: web.Request) -> web.Response:
    """Opening hours and closures in force, whether open now and the override in force."""
    state = state_of(request)
    now = state.now()
    return web.json_response(await state.run(lambda s: hours_as_dict(s, now)))


@roles("admin")
async def admin_hours_save(request: web.Request) -> web.Response:
    """Replaces opening hours and closures; the bot reads them from the store."""
    state = state_of(request)
    admin = current_user(request)
    body = await _json(request)
    try:
        opens = dt.time.fromisoformat(str(body.get("opens")))
        closes = dt.time.fromisoformat(str(body.get("closes")))
        weekdays = [int(d) for d in body.get("weekdays") or []]
        closures = [
            (dt.date.fromisoformat(str(c.get("day"))), str(c.get("label") or "")[:100] or None)
            for c in body.get("closures") or []
        ]
    except (TypeError, ValueError, AttributeError):
        raise BadRequest(
            "opens/closes as HH:MM, weekdays as numbers, closures as [{day, label}]"
        ) from None
    region = str(body.get("region") or "")
    now = state.now()

    def work(session: Any) -> dict[str, Any]:
        save_hours(
            session,
            opens=opens,
            closes=closes,
            weekdays=weekdays,
            region=region,
            closures=closures,
            user_id=admin.id,
        )
        return hours_as_dict(session, now)

    try:
        return web.json_response(await state.audited(Audit(admin.id, "admin.hours"), work, now=now))
    except ValueError as exc:  # save_hours says what is wrong in a plain ValueError
        raise BadRequest(str(exc)) from None


@roles("admin", "operator")
async def admin_partners(request: web.Request) -> web.Response:
    """The partner directory (read from config/partners.yml; edited by the service in the file)."""
    return web.json_response([p.as_dict() for p in state_of(request).partners])


@roles("admin")
async def admin_audit(request: web.Request) -> web.Response:
    """Newest audit rows, optionally for one subject (``?subject=ABCD-2345``)."""
    subject = request.query.get("subject") or None
    return web.json_response(
        await state_of(request).run(lambda s: accounts.audit_entries(s, subject=subject))
    )


def setup_api(app: web.Application) -> None:
    """Registers the JSON API, login/logout and the WebSocket."""
    r = app.router
    r.add_post("/login", login_post)
    r.add_post("/logout", logout)
    r.add_get("/api/me", me)
    r.add_post("/api/me/availability", availability)
    r.add_get("/api/queue", queue_view)
    r.add_get("/api/cases/{reference}", case_view)
    r.add_post("/api/cases/{reference}/notes", case_note)
    r.add_post("/api/cases/{reference}/attempts", case_attempt)
    r.add_post("/api/cases/{reference}/unlock", reference_unlock)
    r.add_post("/api/cases/{reference}/status", case_status)
    r.add_post("/api/callbacks/{task_id}/status", callback_status)
    r.add_get("/api/live/ws", live_socket)
    r.add_get("/api/live/{request_id}", live_transcript)
    r.add_post("/api/live/{request_id}/{action}", live_action)
    r.add_get("/api/admin/users", admin_users)
    r.add_post("/api/admin/users", admin_user_create)
    r.add_post("/api/admin/users/{user_id}/active", admin_user_active)
    r.add_get("/api/admin/hours", admin_hours)
    r.add_post("/api/admin/hours", admin_hours_save)
    r.add_get("/api/admin/partners", admin_partners)
    r.add_get("/api/admin/audit", admin_audit)
