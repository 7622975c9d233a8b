"""One case (``/console/cases/{reference}``), rendered on the server from :mod:`bot.handoff.casefile`.

Reading the page is checked and audited exactly like the JSON API's case read (``case.view``;
``case.denied`` for a case the user may not see, which gets a plain "No such case" page). The
actions are ordinary forms (CSRF field, post/redirect/get) that do what the JSON API does, with
the same audit rows: a contact attempt, a note, the casework status (only for a case in the
caseworker queue) and, for operators and admins, "Let them try again now".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

from aiohttp import web

from bot.handoff import queue
from bot.handoff.accounts import User
from bot.handoff.casefile import attempt_choices, load_casefile, status_choices
from bot.handoff.queue import QueueError
from bot.store.audit import Audit
from bot.store.references import normalise_reference
from service.console.api import sync
from service.console.pages import page
from service.console.security import STAFF, current_user
from service.console.state import state_of

#: What the page says after an action (``?done=``), and when one could not be done (``?problem=``).
DONE: Final = {
    "attempt": "Thank you. The contact attempt is recorded.",
    "note": "Thank you. Your note is added to the case.",
    "status": "Thank you. The casework status is changed.",
    "unlock": "Done. The person can try their reference in “my report” again now.",
}
PROBLEMS: Final = {
    "attempt": "Please choose what happened when you tried to reach the person.",
    "note": "Please write a note first (up to 10,000 characters).",
    "status": "That status cannot be set on this case. Please choose another.",
    "unlock": "There is no case or saved report with this reference to unlock.",
}


def _missing(request: web.Request) -> web.Response:
    """The same plain page for a case that does not exist and one the user may not see."""
    return page(request, "case", "No such case", status=404, case=None)


async def _visible(request: web.Request) -> tuple[str, User] | None:
    """(reference, user) when the user may see the case; a refusal is audited (``case.denied``)."""
    state = state_of(request)
    user = current_user(request)
    reference = normalise_reference(request.match_info["reference"])
    if reference is None:
        return None
    await sync(state)  # a new case joins its partner's queue before access is decided
    if not await state.run(lambda s: queue.can_see_case(s, user, reference)):
        await state.audited(Audit(user.id, "case.denied", reference))
        return None
    return reference, user


async def case_page(request: web.Request) -> web.Response:
    """GET /console/cases/{reference}: the case, read and audited (``case.view``)."""
    state = state_of(request)
    found = await _visible(request)
    if found is None:
        return _missing(request)
    reference, user = found
    now = state.now()
    partners = state.partners

    def read(session: Any) -> Any:
        return load_casefile(session, state.keyring, reference, now=now, partners=partners)

    casefile = await state.audited(Audit(user.id, "case.view", reference), read, now=now)
    if casefile is None:
        return _missing(request)
    done = DONE.get(request.query.get("done", ""))
    problem = PROBLEMS.get(request.query.get("problem", ""))
    return page(
        request,
        "case",
        f"Case {casefile.reference}",
        case=casefile,
        now=now,
        message=done,
        problem=problem,
        outcomes=attempt_choices(),
        statuses=status_choices(casefile.casework_status_value, user.role),
        can_unlock=user.role in STAFF,
    )


def _back(
    reference: str, *, done: str | None = None, problem: str | None = None
) -> web.HTTPSeeOther:
    query = f"?done={done}" if done else f"?problem={problem}"
    return web.HTTPSeeOther(f"/console/cases/{quote(reference)}{query}#message")


async def _form(request: web.Request) -> dict[str, str]:
    try:
        form = await request.post()
    except ValueError:
        raise web.HTTPBadRequest() from None
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


#: ``change(session, user, reference, value, now)``: one case form's change.
CaseChange = Callable[[Any, User, str, str, dt.datetime], None]
#: ``record(user, reference, value)``: the audit row of that change.
CaseRecord = Callable[[User, str, str], Audit]


async def _change(
    request: web.Request, name: str, field: str, change: CaseChange, record: CaseRecord
) -> web.StreamResponse:
    """What every case form does: the case must be one this user may see; the change and its
    audit row are one unit of work; back to the case page with a kind message either way."""
    state = state_of(request)
    found = await _visible(request)
    if found is None:
        return _missing(request)
    reference, user = found
    value = (await _form(request)).get(field, "")
    now = state.now()
    try:
        await state.audited(
            record(user, reference, value),
            lambda session: change(session, user, reference, value, now),
            now=now,
        )
    except QueueError:
        raise _back(reference, problem=name) from None
    raise _back(reference, done=name)


async def post_attempt(request: web.Request) -> web.StreamResponse:
    """POST …/attempt: records a contact attempt (audited ``case.attempt``)."""

    def change(session: Any, user: User, reference: str, outcome: str, now: dt.datetime) -> None:
        queue.record_attempt(session, user, reference, outcome, now=now)

    def record(user: User, reference: str, outcome: str) -> Audit:
        return Audit(user.id, "case.attempt", reference, {"outcome": outcome})

    return await _change(request, "attempt", "outcome", change, record)


async def post_note(request: web.Request) -> web.StreamResponse:
    """POST …/note: adds an encrypted note (audited ``case.note``)."""
    keyring = state_of(request).keyring

    def change(session: Any, user: User, reference: str, text: str, now: dt.datetime) -> None:
        queue.add_note(session, keyring, user, reference, text, now=now)

    def record(user: User, reference: str, _text: str) -> Audit:
        return Audit(user.id, "case.note", reference)  # never the note's words

    return await _change(request, "note", "text", change, record)


async def post_status(request: web.Request) -> web.StreamResponse:
    """POST …/status: accepts, advances or closes the casework (audited ``case.status``)."""

    def change(session: Any, user: User, reference: str, status: str, now: dt.datetime) -> None:
        queue.set_casework_status(session, user, reference, status, now=now)

    def record(user: User, reference: str, status: str) -> Audit:
        return Audit(user.id, "case.status", reference, {"status": status})

    return await _change(request, "status", "status", change, record)


async def post_unlock(request: web.Request) -> web.StreamResponse:
    """POST …/unlock: clears the person's "my report" slow-down (operators and admins; audited
    ``staff.unlock_reference``)."""
    from bot.store.person import unlock_reference

    state = state_of(request)
    user = current_user(request)
    if user.role not in STAFF:
        raise web.HTTPForbidden(text="Only operators and admins can do this.")
    found = await _visible(request)
    if found is None:
        return _missing(request)
    reference, user = found
    now = state.now()
    done = await state.run(
        lambda s: unlock_reference(s, reference, user_id=user.id, keyring=state.keyring, now=now)
    )
    raise _back(reference, done="unlock") if done else _back(reference, problem="unlock")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/console/cases/{reference}", case_page)
    r.add_post("/console/cases/{reference}/attempt", post_attempt)
    r.add_post("/console/cases/{reference}/note", post_note)
    r.add_post("/console/cases/{reference}/status", post_status)
    r.add_post("/console/cases/{reference}/unlock", post_unlock)
