"""Dates and times the bot names, formatted by Babel for the person's locale.

Every date or time the bot writes to a person (the understood incident date, the next opening
time, a callback slot, a due date, the report summary) goes through here, so it reads the way the
language writes dates ("2026年12月7日 星期一", "7 December 2026", "Thứ Hai, 7 thg 12, 2026") and
never in English word order. Formats are CLDR *skeletons* (which fields, not their order): Babel
picks the locale's own pattern for them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_interval, match_skeleton

#: Skeletons used across the bot (CLDR field symbols; the locale decides order and punctuation).
DAY = "yMMMMEEEEd"          # Friday, 4 December 2026
DAY_NO_WEEKDAY = "yMMMMd"   # 4 December 2026
WEEKDAY_DAY = "MMMMEEEEd"   # Friday, 4 December (this year, e.g. opening times)
MONTH = "yMMMM"             # December 2026
YEAR = "y"                  # 2026
TIME = "Hm"                 # 09:00 (24-hour where the locale is; "9:00 AM"-style needs "hm")


_FIELD = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*")


def _widths(skeleton: str) -> dict[str, int]:
    widths: dict[str, int] = {}
    for match in re.finditer(r"([A-Za-z])\1*", skeleton):
        widths[match.group(1)] = len(match.group(0))
    return widths


@functools.cache
def pattern_for(skeleton: str, locale_id: str) -> str:
    """The locale's pattern for a skeleton, with text fields widened to the requested width.

    Babel finds the nearest skeleton the locale has (Vietnamese has ``yMMMEd`` but not
    ``yMMMMEEEEd``) but keeps that pattern's widths ("Th 6, 4 thg 12"). As CLDR's matcher does,
    fields the pattern already writes as words are widened to what was asked ("Thứ Sáu, 4 tháng
    12"); numeric fields stay numeric ("2026年12月4日", never "十二月").
    """
    locale = Locale.parse(locale_id)
    key = match_skeleton(skeleton, locale.datetime_skeletons)
    if key is None:
        return str(locale.date_formats["long"].pattern)
    pattern = locale.datetime_skeletons[key].pattern
    wanted = _widths(skeleton)

    def widen(match: re.Match[str]) -> str:
        field = match.group(0)
        letter = match.group(1)
        if letter is None:
            return field  # a quoted literal
        textual = letter in "Ec" or (letter in "ML" and len(field) >= 3)
        want = wanted.get(letter) or (wanted.get("E") if letter == "c" else None)
        if textual and want and want > len(field):
            return letter * want
        return field

    return _FIELD.sub(widen, pattern)


def format_skeleton(skeleton: str, value: dt.date | dt.datetime | dt.time, locale: Locale) -> str:
    """Formats by a skeleton in the locale's own pattern (see `pattern_for`)."""
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(2000, 1, 1), value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(12, 0))
    return _plain(format_datetime(value, pattern_for(skeleton, str(locale)), locale=locale))


#: Where the region matters to how dates read (see `babel_locale`).
_REGION = {"zh-Hant": "zh_Hant_HK"}


@functools.cache
def babel_locale(language: str | None) -> Locale:
    """The Babel locale for one of our language codes (see ``bot/languages.yml``).

    English is British English (the service is in the UK: "7 December", not "December 7") and
    Traditional Chinese is Hong Kong's (most of the people here who write it). Other codes are
    tried as they are ("zh-Hans" is a CLDR tag), then the language's locale tags in order; English
    when none is known to Babel.
    """
    if not language or language == "en":
        return Locale.parse("en_GB")
    candidates = [_REGION.get(language, language)]
    try:
        from bot import languages

        candidates.extend(languages.get(language).locales)
    except Exception:  # noqa: BLE001 - an unknown code formats in English, never fails
        pass
    for tag in candidates:
        try:
            return Locale.parse(tag.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en_GB")


# CLDR puts thin and narrow no-break spaces around interval dashes and before "am"; chat apps and
# SMS show them badly (and on SMS they force UCS-2), so they become plain spaces.
_ODD_SPACES = str.maketrans({"\u2009": " ", "\u202f": " ", "\u00a0": " "})


def _plain(text: str) -> str:
    return text.translate(_ODD_SPACES)


def format_day(day: dt.date | dt.datetime, language: str | None, skeleton: str = DAY) -> str:
    """One day ("Friday, 4 December 2026") in the language's own pattern."""
    return format_skeleton(skeleton, day, locale=babel_locale(language))


def format_time(moment: dt.datetime | dt.time, language: str | None, skeleton: str = TIME) -> str:
    """A time of day in the language's own pattern."""
    return format_skeleton(skeleton, moment, locale=babel_locale(language))


def format_moment(moment: dt.datetime, language: str | None, skeleton: str = WEEKDAY_DAY) -> str:
    """A day and a time ("Monday, 7 December, 09:00"), joined the way the locale joins them."""
    locale = babel_locale(language)
    date_part = format_skeleton(skeleton, moment, locale=locale)
    time_part = format_skeleton(TIME, moment, locale=locale)
    # CLDR's dateTimeFormat ("{1}, {0}", "{1} {0}", "{1}{0}"...) says how a date and a time join.
    pattern = locale.datetime_formats.get("medium") or "{1} {0}"
    pattern = str(pattern)
    return pattern.replace("{1}", date_part).replace("{0}", time_part)


def format_range(start: dt.date, end: dt.date, language: str | None) -> str:
    """A range of days ("4–9 December 2026"); whole months and years are named as such."""
    locale = babel_locale(language)
    if start > end:
        start, end = end, start
    if start == end:
        return format_skeleton(DAY, start, locale=locale)
    if (start.month, start.day) == (1, 1) and (end.month, end.day) == (12, 31) and (
        start.year == end.year
    ):
        return format_skeleton(YEAR, start, locale=locale)
    if start.day == 1 and (start.year, start.month) == (end.year, end.month) and _is_month_end(end):
        return format_skeleton(MONTH, start, locale=locale)
    return _plain(format_interval(start, end, skeleton=DAY_NO_WEEKDAY, locale=locale))


def _is_month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month
