"""The admin page (``/console/admin``), rendered on the server: whether the service is open now and
the admin's override, the standard hours, accounts, the partner directory and the audit log.

Every change is an ordinary form (CSRF field, post/redirect/get, a message after it); a form the
service cannot use comes back with status 400, a kind message and what the admin entered, so
nothing is lost. Every change is audited, in the same unit of work as the change itself
(``ConsoleState.audited``): both are kept, or neither.

The override ("open now until …" / "closed now until …") decides only whether people are answered
live right now; due dates are counted in the standard hours (:mod:`bot.handoff.hours`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from babel import dates as babel_dates

from bot import labels
from bot import languages as service_languages
from bot.handoff import accounts
from bot.handoff.accounts import AccountError
from bot.handoff.hours import (
    OVERRIDE_MAX,
    REGIONS,
    clear_override,
    current_override,
    load_hours,
    save_hours,
    set_override,
)
from bot.hours import LONDON
from bot.store.audit import Audit
from bot.store.handoff_models import ServiceClosure
from service.console import audit_words, fmt
from service.console.pages import page
from service.console.security import current_user
from service.console.state import state_of

REGION_NAMES: Final = {
    "england": "England",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern_ireland": "Northern Ireland",
}
#: Monday = 0, as the store keeps them.
WEEKDAY_NAMES: Final = tuple(
    babel_dates.get_day_names("wide", locale=fmt.STAFF_LOCALE)[i] for i in range(7)
)
#: The override's end is picked from half hours (enough for a training morning or a late shift).
OVERRIDE_TIMES: Final = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30))
AUDIT_ROWS: Final = 100

#: What the page says after a change (``?done=``).
DONE: Final = {
    "override": "Done. The override is set.",
    "override-cleared": "Done. The override is cleared: the standard hours apply.",
    "hours": "Done. The standard hours are saved.",
    "user": "Done. The account is created.",
    "enabled": "Done. The account is enabled.",
    "disabled": "Done. The account is disabled and signed out.",
}


@dataclass(frozen=True)
class Problem:
    """A form the service could not use: which form, and a kind message."""

    form: str
    message: str


def _override_days(now: dt.datetime) -> list[tuple[str, str]]:
    """(ISO date, words) for today and the next days an override may end on."""
    today = now.astimezone(LONDON).date()
    days = []
    for n in range(OVERRIDE_MAX.days + 1):
        day = today + dt.timedelta(days=n)
        words = fmt.day(day)
        prefix = {0: "Today, ", 1: "Tomorrow, "}.get(n, "")
        days.append((day.isoformat(), prefix + words))
    return days


def _hours_summary(opens: dt.time, closes: dt.time, weekdays: list[int], region: str) -> str:
    """``Monday, Tuesday, … from 09:00 to 17:00, closed on bank holidays in England``."""
    names = [WEEKDAY_NAMES[d] for d in sorted(weekdays)]
    days = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    return (
        f"{days}, from {opens.strftime('%H:%M')} to {closes.strftime('%H:%M')}; "
        f"closed on bank holidays in {REGION_NAMES.get(region, region)}"
    )


def _read(session: Any, now: dt.datetime) -> dict[str, Any]:
    """Everything the page shows, from one session."""
    hours = load_hours(session)
    override = current_override(session, now)
    users = accounts.list_users(session)
    emails = {u["id"]: u["email"] for u in users}
    labels = {c.day: c.label for c in session.query(ServiceClosure)}
    entries = accounts.audit_entries(session, limit=AUDIT_ROWS)
    audit = [
        {
            "at": dt.datetime.fromisoformat(e["at"]),
            "who": e["user"] or "The service",
            "what": audit_words.action_words(e["action"]),
            "about": audit_words.subject_words(e["subject"], emails),
            "detail": audit_words.detail_words(e["action"], e["detail"]),
        }
        for e in entries
    ]
    return {
        "open_now": hours.is_open(now),
        "next_opening": None if hours.is_open(now) else hours.next_opening(now),
        "override": (
            {
                "open": override.mode == "open",
                "until": override.until,
                "set_at": override.set_at,
                "set_by": emails.get(override.set_by or -1, "an admin"),
            }
            if override
            else None
        ),
        "standard": _hours_summary(hours.opens, hours.closes, list(hours.weekdays), hours.region),
        "hours_form": {
            "opens": hours.opens.strftime("%H:%M"),
            "closes": hours.closes.strftime("%H:%M"),
            "weekdays": list(hours.weekdays),
            "region": hours.region,
            "closures": [(d, labels.get(d)) for d in sorted(hours.closures)],
            "new_day": "",
            "new_label": "",
        },
        "users": users,
        "emails": emails,
        "audit": audit,
    }


async def _show(
    request: web.Request,
    *,
    status: int = 200,
    problem: Problem | None = None,
    entered: dict[str, Any] | None = None,
) -> web.Response:
    """The page; after a refused form, ``entered`` puts back what the admin typed."""
    state = state_of(request)
    now = state.now()
    data = await state.run(lambda s: _read(s, now))
    entered = entered or {}
    if "hours_form" in entered:
        data["hours_form"] = entered["hours_form"]
    partners = state.partners
    return page(
        request,
        "admin",
        "Admin",
        status=status,
        now=now,
        message=DONE.get(request.query.get("done", "")) if status == 200 else None,
        problem=problem,
        entered=entered,
        override_days=_override_days(now),
        override_times=OVERRIDE_TIMES,
        weekday_names=list(enumerate(WEEKDAY_NAMES)),
        regions=[(r, REGION_NAMES[r]) for r in REGIONS],
        roles=list(audit_words.ROLES.items()),
        role_words=audit_words.role_words,
        language_names=lambda codes: _listed(codes, _language_name),
        service_languages=[
            (lang.code, lang.english_name) for lang in service_languages.all_languages()
        ],
        partners=partners,
        partner_names={p.id: p.name for p in partners},
        region_names=lambda codes: _listed(codes, _region_name),
        support_names=lambda codes: _listed(codes, _support_name),
        **data,
    )


def _listed(codes: Any, name: Any) -> str:
    return ", ".join(name(str(c)) for c in codes) or "—"


def _region_name(code: str) -> str:
    return {"uk": "Anywhere in the UK", **REGION_NAMES}.get(code) or audit_words.words(code)


def _support_name(code: str) -> str:
    return labels.choice_title("support_needs", code, "en") or audit_words.words(code)


def _language_name(code: str) -> str:
    try:
        return service_languages.get(code).english_name
    except KeyError:
        return audit_words.words(code)


async def hours_notice(request: web.Request) -> str | None:
    """One line for every console page's header while an override is in force (else None):
    ``Opening hours overridden: closed now until Monday, 7 December 2026, 09:00``."""
    state = state_of(request)
    now = state.now()
    override = await state.run(lambda s: current_override(s, now))
    if override is None:
        return None
    return f"Opening hours overridden: {override.mode} now until {fmt.when(override.until)}"


def _admin(request: web.Request) -> accounts.User:
    user = current_user(request)
    if user.role != "admin":
        raise web.HTTPForbidden(text="Only admins can use this page.")
    return user


async def _form(request: web.Request) -> Any:
    try:
        return await request.post()
    except ValueError:
        raise web.HTTPBadRequest() from None


def _done(key: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/console/admin?done={key}#message")


async def admin_page(request: web.Request) -> web.Response:
    """GET /console/admin."""
    _admin(request)
    return await _show(request)


# -- the override --------------------------------------------------------------------------------


async def post_override(request: web.Request) -> web.StreamResponse:
    """POST /console/admin/override: "open now until …" or "closed now until …" (audited
    ``admin.hours_override``)."""
    admin = _admin(request)
    state = state_of(request)
    form = await _form(request)
    mode = str(form.get("mode") or "")
    entered = {
        "mode": mode,
        "until_day": str(form.get("until_day") or ""),
        "until_time": str(form.get("until_time") or ""),
    }
    now = state.now()
    try:
        day = dt.date.fromisoformat(entered["until_day"])
        time = dt.time.fromisoformat(entered["until_time"])
    except ValueError:
        return await _show(
            request,
            status=400,
            problem=Problem("override", "Please choose the day and the time the override ends."),
            entered=entered,
        )
    until = dt.datetime.combine(day, time, LONDON)

    def work(session: Any) -> None:
        set_override(session, mode=mode, until=until, user_id=admin.id, now=now)

    detail = {"mode": mode, "until": until.astimezone(dt.timezone.utc).isoformat()}
    try:
        await state.audited(Audit(admin.id, "admin.hours_override", None, detail), work, now=now)
    except ValueError as exc:
        message = {
            "choose open or closed": "Please choose open or closed.",
            "the end must be later than now": "Please choose an end later than now.",
        }.get(str(exc), f"Please choose another end: {exc}.")
        return await _show(
            request, status=400, problem=Problem("override", message), entered=entered
        )
    raise _done("override")


async def post_override_clear(request: web.Request) -> web.StreamResponse:
    """POST /console/admin/override/clear (audited ``admin.hours_override_clear``)."""
    admin = _admin(request)
    state = state_of(request)
    now = state.now()

    await state.audited(
        lambda cleared: Audit(admin.id, "admin.hours_override_clear") if cleared else None,
        clear_override,
        now=now,
    )
    raise _done("override-cleared")


# -- the standard hours --------------------------------------------------------------------------


async def post_hours(request: web.Request) -> web.StreamResponse:
    """POST /console/admin/hours: the standard days, times, region and closed days (audited
    ``admin.hours``). Kept closures are ticked boxes; one new closed day may be added."""
    admin = _admin(request)
    state = state_of(request)
    form = await _form(request)
    kept = [str(v) for v in form.getall("closure", [])]
    labels = {
        str(k)[len("label-") :]: str(v) for k, v in form.items() if str(k).startswith("label-")
    }
    entered_form: dict[str, Any] = {
        "opens": str(form.get("opens") or ""),
        "closes": str(form.get("closes") or ""),
        "weekdays": [],
        "region": str(form.get("region") or ""),
        "closures": [],
        "new_day": str(form.get("new_day") or ""),
        "new_label": str(form.get("new_label") or "")[:100],
    }
    problem: str | None = None
    try:
        entered_form["weekdays"] = sorted({int(str(d)) for d in form.getall("weekday", [])})
    except ValueError:
        problem = "Please tick the days the service opens."
    closures: list[tuple[dt.date, str | None]] = []
    for value in kept:
        try:
            closures.append((dt.date.fromisoformat(value), labels.get(value) or None))
        except ValueError:
            problem = "A closed day could not be read. Please check the list."
    entered_form["closures"] = list(closures)
    if entered_form["new_day"]:
        try:
            closures.append(
                (dt.date.fromisoformat(entered_form["new_day"]), entered_form["new_label"] or None)
            )
        except ValueError:
            problem = "Please give the new closed day as a date."
    try:
        opens = dt.time.fromisoformat(entered_form["opens"])
        closes = dt.time.fromisoformat(entered_form["closes"])
    except ValueError:
        problem = problem or "Please give the opening and closing times, for example 09:00."
        opens = closes = dt.time(0)
    if problem is None and not entered_form["weekdays"]:
        problem = "Please tick at least one day the service opens."
    if problem is None and not opens < closes:
        problem = "The service must open before it closes. Please check the times."
    if problem is None and entered_form["region"] not in REGIONS:
        problem = "Please choose whose bank holidays the service closes on."
    if problem is not None:
        return await _show(
            request,
            status=400,
            problem=Problem("hours", problem),
            entered={"hours_form": entered_form},
        )
    now = state.now()

    def work(session: Any) -> None:
        save_hours(
            session,
            opens=opens,
            closes=closes,
            weekdays=entered_form["weekdays"],
            region=entered_form["region"],
            closures=closures,
            user_id=admin.id,
        )

    try:
        await state.audited(Audit(admin.id, "admin.hours"), work, now=now)
    except ValueError as exc:
        return await _show(
            request,
            status=400,
            problem=Problem("hours", f"The hours could not be saved: {exc}."),
            entered={"hours_form": entered_form},
        )
    raise _done("hours")


# -- accounts ------------------------------------------------------------------------------------


async def post_user(request: web.Request) -> web.StreamResponse:
    """POST /console/admin/users: a new account (audited ``admin.user_create``)."""
    admin = _admin(request)
    state = state_of(request)
    form = await _form(request)
    entered: dict[str, Any] = {
        "email": str(form.get("email") or ""),
        "role": str(form.get("role") or ""),
        "organisation": str(form.get("organisation") or ""),
        "languages": [str(x) for x in form.getall("language", [])],
    }
    if entered["organisation"] and entered["organisation"] not in {p.id for p in state.partners}:
        return await _show(
            request,
            status=400,
            problem=Problem("user", "Please choose the organisation from the directory."),
            entered={"user": entered},
        )
    now = state.now()

    def work(session: Any) -> accounts.User:
        return accounts.create_user(
            session,
            email=entered["email"],
            password=str(form.get("password") or ""),
            role=entered["role"],
            organisation=entered["organisation"] or None,
            languages=entered["languages"],
        )

    def recorded(user: accounts.User) -> Audit:
        return Audit(admin.id, "admin.user_create", f"user-{user.id}", {"role": user.role})

    try:
        await state.audited(recorded, work, now=now)
    except AccountError as exc:
        message = str(exc)
        return await _show(
            request,
            status=400,
            problem=Problem("user", message[:1].upper() + message[1:] + "."),
            entered={"user": entered},
        )
    raise _done("user")


async def post_user_active(request: web.Request) -> web.StreamResponse:
    """POST /console/admin/users/{user_id}/active: enable or disable (audited
    ``admin.user_active``)."""
    admin = _admin(request)
    state = state_of(request)
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    active = str((await _form(request)).get("active") or "") == "1"
    now = state.now()

    def recorded(done: bool) -> Audit | None:
        return (
            Audit(admin.id, "admin.user_active", f"user-{user_id}", {"active": active})
            if done
            else None
        )

    if not await state.audited(
        recorded, lambda s: accounts.set_active(s, user_id, active), now=now
    ):
        raise web.HTTPNotFound(text="There is no such account.")
    raise _done("enabled" if active else "disabled")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/console/admin", admin_page)
    r.add_post("/console/admin/override", post_override)
    r.add_post("/console/admin/override/clear", post_override_clear)
    r.add_post("/console/admin/hours", post_hours)
    r.add_post("/console/admin/users", post_user)
    r.add_post("/console/admin/users/{user_id}/active", post_user_active)
