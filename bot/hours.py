"""Opening hours of the human service (helpline operators), in Europe/London time.

Default Monday–Friday 09:00–17:00, closed on UK bank holidays (from the `holidays` library;
England and Wales by default, Scotland or Northern Ireland selectable) and on ad-hoc closure dates.

An admin may override whether the service is open *right now* ("open now until …", "closed now
until …", :class:`Override`). The override only answers "is someone here now?" (:meth:`is_open`,
:meth:`next_opening`); working days and closing times (:meth:`is_open_day`, ``closes``), which
due dates promised to people are counted in, never depend on it. Past its end it stops applying
by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from pydantic import validator

from bot.settings import EnvSettings

LONDON = ZoneInfo("Europe/London")
_SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


class _HoursEnv(EnvSettings):
    """The variables of :meth:`OpeningHours.from_env` (see ``.env.example``)."""

    OPEN_HOURS: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(17, 0))
    OPEN_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
    HOLIDAY_REGION: str = "england"
    CLOSURES: frozenset[dt.date] = frozenset()

    @validator("OPEN_HOURS", pre=True)
    def _times(cls, value: Any) -> Any:
        """Opening and closing time, written "09:00-17:00"."""
        if not isinstance(value, str):
            return value
        try:
            start, end = (dt.time.fromisoformat(x.strip()) for x in value.split("-"))
        except ValueError:
            raise ValueError("must be two times like 09:00-17:00") from None
        return start, end

    @validator("OPEN_DAYS", pre=True)
    def _days(cls, value: Any) -> Any:
        """Weekday numbers, a range ("0-4") or a list ("0,2,4"); Monday = 0."""
        if not isinstance(value, str):
            return value
        try:
            if "-" in value:
                a, b = (int(x) for x in value.split("-"))
                return tuple(range(a, b + 1))
            return tuple(int(x) for x in value.split(",") if x.strip())
        except ValueError:
            raise ValueError("must be weekday numbers like 0-4 or 0,2,4 (Monday = 0)") from None

    @validator("CLOSURES", pre=True)
    def _dates(cls, value: Any) -> Any:
        """Dates separated by commas: 2026-12-24,2026-12-29."""
        if not isinstance(value, str):
            return value
        try:
            return frozenset(
                dt.date.fromisoformat(x.strip()) for x in value.split(",") if x.strip()
            )
        except ValueError:
            raise ValueError("must be dates like 2026-12-24, separated by commas") from None


@dataclass(frozen=True)
class Override:
    """ "Open now until …" (``open=True``) or "closed now until …": applies while now < ``until``."""

    open: bool
    until: dt.datetime  # aware

    def applies(self, now: dt.datetime) -> bool:
        """True while the override is in force at ``now`` (aware)."""
        return now < self.until


@dataclass(frozen=True)
class OpeningHours:
    """When people are available. Weekday numbers: Monday = 0."""

    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    region: str = "england"
    closures: frozenset[dt.date] = field(default_factory=frozenset)
    override: Override | None = None

    def standard(self) -> OpeningHours:
        """The same hours without any override: what due dates are counted in."""
        return replace(self, override=None) if self.override else self

    def override_at(self, now: dt.datetime | None = None) -> Override | None:
        """The override in force at ``now``, or None (none set, or it has ended)."""
        if self.override is None:
            return None
        return self.override if self.override.applies(_london(now)) else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OpeningHours:
        """Reads OPEN_HOURS (e.g. "09:00-17:00"), OPEN_DAYS ("0-4"), HOLIDAY_REGION, CLOSURES.

        Args:
            environ: The variables to read; ``os.environ`` when omitted (tests pass a dict).

        Raises:
            SettingsError: A variable is not in the form shown.
        """
        env = _HoursEnv.read(environ)
        start, end = env.OPEN_HOURS
        return cls(start, end, env.OPEN_DAYS, env.HOLIDAY_REGION, env.CLOSURES)

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
        """True when operators are working at `now` (any timezone; naive means UTC).

        An override in force decides; otherwise the standard days and times do.
        """
        local = _london(now)
        override = self.override_at(local)
        if override is not None:
            return override.open
        return self.is_open_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, now: dt.datetime | None = None) -> dt.datetime:
        """The next time the service opens (London time); `now` itself if open now."""
        local = _london(now)
        if self.is_open(local):
            return local
        override = self.override_at(local)
        if override is not None:  # closed now until …: the standard hours from its end
            return self.standard().next_opening(override.until)
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
