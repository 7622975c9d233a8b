"""Opening hours kept in the case store (edited by admins) and working-day arithmetic.

Without a ``service_hours`` row the environment's hours apply (:meth:`OpeningHours.from_env`);
ad-hoc closures from the environment and from ``service_closures`` are both honoured.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.hours import LONDON, OpeningHours
from bot.store.handoff_models import ServiceClosure, ServiceHours

logger = logging.getLogger(__name__)

REGIONS = ("england", "wales", "scotland", "northern_ireland")


def load_hours(session: Session, fallback: OpeningHours | None = None) -> OpeningHours:
    """The hours in force: the admin's row if any, else ``fallback`` (the environment's).

    Args:
        session: Any session.
        fallback: Hours to use without a row; :meth:`OpeningHours.from_env` when omitted.

    Returns:
        Opening hours including every closure date (environment and database).
    """
    base = fallback or OpeningHours.from_env()
    row = session.get(ServiceHours, 1)
    closures = set(base.closures)
    closures.update(session.scalars(select(ServiceClosure.day)))
    if row is None:
        return dataclasses.replace(base, closures=frozenset(closures))
    return OpeningHours(
        opens=row.opens,
        closes=row.closes,
        weekdays=tuple(int(d) for d in row.weekdays),
        region=row.region,
        closures=frozenset(closures),
    )


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
    """Replaces the opening hours and the closure list (one unit of work, committed).

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
    session.commit()


def hours_as_dict(session: Session) -> dict[str, Any]:
    """The hours and closures in force, as JSON for the admin page."""
    hours = load_hours(session)
    labels = {c.day: c.label for c in session.scalars(select(ServiceClosure))}
    return {
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
    day = start.astimezone(LONDON).date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if hours.is_open_day(day):
            counted += 1
    return dt.datetime.combine(day, hours.closes, LONDON)
