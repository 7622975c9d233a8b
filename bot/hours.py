"""Opening hours of the human service (helpline operators), in Europe/London time.

Default Monday–Friday 09:00–17:00, closed on UK bank holidays (from the `holidays` library;
England and Wales by default, Scotland or Northern Ireland selectable) and on ad-hoc closure dates.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
_SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


@dataclass(frozen=True)
class OpeningHours:
    """When people are available. Weekday numbers: Monday = 0."""

    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    region: str = "england"
    closures: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls) -> OpeningHours:
        """Reads OPEN_HOURS (e.g. "09:00-17:00"), OPEN_DAYS ("0-4"), HOLIDAY_REGION, CLOSURES."""
        hours = os.environ.get("OPEN_HOURS", "09:00-17:00")
        start, end = (dt.time.fromisoformat(x.strip()) for x in hours.split("-"))
        days_spec = os.environ.get("OPEN_DAYS", "0-4")
        if "-" in days_spec:
            a, b = (int(x) for x in days_spec.split("-"))
            days = tuple(range(a, b + 1))
        else:
            days = tuple(int(x) for x in days_spec.split(",") if x.strip())
        closures = frozenset(
            dt.date.fromisoformat(x.strip())
            for x in os.environ.get("CLOSURES", "").split(",")
            if x.strip()
        )
        return cls(start, end, days, os.environ.get("HOLIDAY_REGION", "england"), closures)

    def _holidays(self, year: int) -> holidays.HolidayBase:
        return holidays.country_holidays(
            "GB", subdiv=_SUBDIVISIONS.get(self.region, "ENG"), years=[year, year + 1]
        )

    def is_open_day(self, day: dt.date) -> bool:
        """True when the service opens at all on that (London) date."""
        return (
            day.weekday() in self.weekdays
            and day not in self.closures
            and day not in self._holidays(day.year)
        )

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """True when operators are working at `now` (any timezone; naive means UTC)."""
        local = _london(now)
        return self.is_open_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, now: dt.datetime | None = None) -> dt.datetime:
        """The next time the service opens (London time); `now` itself if open now."""
        local = _london(now)
        if self.is_open(local):
            return local
        day = local.date()
        if self.is_open_day(day) and local.time() < self.opens:
            return dt.datetime.combine(day, self.opens, LONDON)
        for _ in range(60):
            day += dt.timedelta(days=1)
            if self.is_open_day(day):
                return dt.datetime.combine(day, self.opens, LONDON)
        raise RuntimeError("no opening day in the next 60 days")


def _london(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(LONDON)
