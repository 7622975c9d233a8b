"""Dates, times and durations for staff, in words, in Europe/London (Babel).

Registered as Jinja2 filters (``when``, ``day``, ``left``, ``ago``) by
:func:`service.console.pages.setup_templates`; never shows an ISO timestamp.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

from babel import dates

LONDON: Final = ZoneInfo("Europe/London")
#: The console's language for staff (labels beside the person's own language).
STAFF_LOCALE: Final = "en_GB"


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(LONDON)


def when(value: dt.datetime | None, locale: str = STAFF_LOCALE) -> str:
    """``Monday, 7 December 2026, 14:05`` (London time); empty for None."""
    if value is None:
        return ""
    local = _local(value)
    day = dates.format_skeleton("yMMMMEEEEd", local, locale=locale)
    time = dates.format_skeleton("Hm", local, locale=locale)
    return f"{day}, {time}"


def day(value: dt.date | dt.datetime | None, locale: str = STAFF_LOCALE) -> str:
    """``Monday, 7 December 2026``; empty for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return dates.format_skeleton("yMMMMEEEEd", value, locale=locale)


def left(
    due: dt.datetime | None, now: dt.datetime | None = None, locale: str = STAFF_LOCALE
) -> str:
    """How long until ``due`` in words: ``in 2 days`` or ``3 hours ago`` (overdue)."""
    if due is None:
        return ""
    now = now or dt.datetime.now(dt.timezone.utc)
    if due.tzinfo is None:
        due = due.replace(tzinfo=dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return dates.format_timedelta(due - now, add_direction=True, threshold=1.5, locale=locale)


def ago(
    value: dt.datetime | None, now: dt.datetime | None = None, locale: str = STAFF_LOCALE
) -> str:
    """``5 minutes ago``; empty for None."""
    if value is None:
        return ""
    return left(value, now, locale)
