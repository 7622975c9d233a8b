"""Opening hours kept in the case store (edited by admins) and working-day arithmetic.

Without a ``service_hours`` row the environment's hours apply (:meth:`OpeningHours.from_env`);
ad-hoc closures from the environment and from ``service_closures`` are both honoured.

An admin's "open now until …" / "closed now until …" (``service_hours_overrides``, one row) is
carried on the loaded hours and decides only whether the service is open *now* (live chat or a
callback). :func:`add_working_days` counts in the standard hours only, so setting, changing or
clearing an override never moves a due date promised to a person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.handoff import clock
from bot.hours import LONDON, OpeningHours, Override
from bot.store.handoff_models import ServiceClosure, ServiceHours, ServiceHoursOverride

logger = logging.getLogger(__name__)

REGIONS = ("england", "wales", "scotland", "northern_ireland")
OVERRIDE_MODES = ("open", "closed")
#: An override is for today's surprises (a training morning, a late evening), not a new timetable.
OVERRIDE_MAX = dt.timedelta(days=14)


def load_hours(session: Session, fallback: OpeningHours | None = None) -> OpeningHours:
    """The hours in force: the admin's row if any, else ``fallback`` (the environment's).

    Args:
        session: Any session.
        fallback: Hours to use without a row; :meth:`OpeningHours.from_env` when omitted.

    Returns:
        Opening hours including every closure date (environment and database) and the admin's
        override if one is stored (it stops applying by itself at its end).
    """
    base = fallback or OpeningHours.from_env()
    row = session.get(ServiceHours, 1)
    closures = set(base.closures)
    closures.update(session.scalars(select(ServiceClosure.day)))
    stored = session.get(ServiceHoursOverride, 1)
    override = Override(stored.mode == "open", stored.until) if stored is not None else None
    if row is None:
        return dataclasses.replace(base, closures=frozenset(closures), override=override)
    return OpeningHours(
        opens=row.opens,
        closes=row.closes,
        weekdays=tuple(int(d) for d in row.weekdays),
        region=row.region,
        closures=frozenset(closures),
        override=override,
    )


def current_override(session: Session, now: dt.datetime) -> ServiceHoursOverride | None:
    """The admin's override in force at ``now``; None if there is none or it has ended."""
    stored = session.get(ServiceHoursOverride, 1)
    if stored is None or not now < stored.until:
        return None
    return stored


def set_override(
    session: Session, *, mode: str, until: dt.datetime, user_id: int | None, now: dt.datetime
) -> ServiceHoursOverride:
    """Sets "open now until …" or "closed now until …", replacing any earlier one (flushed; the
    caller's unit of work commits it together with its audit row).

    Raises:
        ValueError: Unknown mode, a naive time, an end in the past or too far ahead.
    """
    if mode not in OVERRIDE_MODES:
        raise ValueError("choose open or closed")
    if until.tzinfo is None:
        raise ValueError("the end of an override needs a time zone")
    if not now < until:
        raise ValueError("the end must be later than now")
    if until - now > OVERRIDE_MAX:
        raise ValueError(
            f"an override can last at most {OVERRIDE_MAX.days} days; change the standard hours instead"
        )
    row = session.get(ServiceHoursOverride, 1)
    if row is None:
        row = ServiceHoursOverride(id=1)
        session.add(row)
    row.mode, row.until, row.set_by, row.set_at = mode, until, user_id, now
    session.flush()
    return row


def clear_override(session: Session) -> bool:
    """Removes the override (flushed, not committed). True if there was one in force or stored."""
    row = session.get(ServiceHoursOverride, 1)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def save_hours(
    session: Session,
    *,
    opens: dt.time,
    closes: dt.time,
    weekdays: list[int],
    region: str,
    closures: list[tuple[dt.date, str | None]],
    user_id: int | None,
) -> None:
    """Replaces the opening hours and the closure list (flushed; the caller's unit of work commits
    it together with its audit row).

    Raises:
        ValueError: Hours, days or region are not usable.
    """
    if not opens < closes:
        raise ValueError("opening time must be before closing time")
    if not weekdays or any(d not in range(7) for d in weekdays):
        raise ValueError("weekdays must be numbers 0 (Monday) to 6 (Sunday)")
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}")
    row = session.get(ServiceHours, 1)
    if row is None:
        row = ServiceHours(id=1)
        session.add(row)
    row.opens, row.closes = opens, closes
    row.weekdays = sorted(set(weekdays))
    row.region = region
    row.updated_by = user_id
    row.updated_at = dt.datetime.now(dt.timezone.utc)
    session.execute(delete(ServiceClosure))
    for day, label in closures:
        session.add(ServiceClosure(day=day, label=(label or None)))
    session.flush()


def hours_as_dict(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    """The hours and closures in force, and the override in force at ``now`` (the clock's time
    when omitted), as JSON for the admin page."""
    hours = load_hours(session)
    now = now or clock.now()
    labels = {c.day: c.label for c in session.scalars(select(ServiceClosure))}
    override = current_override(session, now)
    return {
        "open_now": hours.is_open(now),
        "override": (
            {"mode": override.mode, "until": override.until.isoformat()} if override else None
        ),
        "opens": hours.opens.strftime("%H:%M"),
        "closes": hours.closes.strftime("%H:%M"),
        "weekdays": list(hours.weekdays),
        "region": hours.region,
        "closures": [
            {"day": d.isoformat(), "label": labels.get(d)} for d in sorted(hours.closures)
        ],
        "from_database": session.get(ServiceHours, 1) is not None,
    }


def add_working_days(hours: OpeningHours, start: dt.datetime, days: int) -> dt.datetime:
    """The end of the ``days``-th working day after ``start`` (London time, closing time).

    A working day is a day the service opens (weekday, not a bank holiday of its region, not a
    closure). A report on Friday evening with 3 working days is due Wednesday at closing time;
    a bank holiday Monday moves it to Thursday.

    Args:
        hours: Opening hours (days, region, closures).
        start: When the promise was made (any timezone).
        days: How many working days the promise allows.

    Returns:
        An aware datetime in Europe/London.
    """
    hours = hours.standard()  # a promise is kept in the standard hours, never an override's
    day = start.astimezone(LONDON).date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if hours.is_open_day(day):
            counted += 1
    return dt.datetime.combine(day, hours.closes, LONDON)
