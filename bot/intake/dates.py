"""Fuzzy "when did it happen" answers → a date range.

Parsing is done by `dateparser` (multilingual). The thin layer here only does what dateparser does
not: it turns its *period* (day/week/month/year) into a range, widens the range for hedges
("about", "大概", "khoảng" ...), and understands "last <weekday>" by stripping the "last" word that
dateparser rejects and letting it parse the weekday (it already prefers past dates).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from dateparser.date import DateDataParser

#: Our language codes → dateparser locales; English is always tried too.
_DATEPARSER_LANGS = {
    "en": "en",
    "zh-Hans": "zh",
    "zh-Hant": "zh-Hant",
    "vi": "vi",
    "ko": "ko",
    "ja": "ja",
    "th": "th",
    "tl": "tl",
    "ms": "ms",
    "id": "id",
    "my": "my",
    "km": "km",
}

# Hedge words that make an answer approximate. Lower-case; matched as words or prefixes.
_HEDGES = (
    "about", "around", "roughly", "approximately", "approx", "maybe", "probably", "i think",
    "大概", "大约", "大約", "差不多", "好像", "khoảng", "chừng", "khoang", "약", "대략", "쯤",
    "くらい", "ぐらい", "ごろ", "頃", "たぶん", "ประมาณ", "sekitar", "kira-kira", "lebih kurang",
    "mga", "siguro", "humigit-kumulang", "ခန့်", "လောက်", "ប្រហែល",
)
# "last <weekday>" words that dateparser does not take (the weekday alone already means the past).
_LAST_WORDS = re.compile(
    r"^(last|上(?=[周週星礼禮])|지난|先週の|先週|tuần trước|tuan truoc|"
    r"hari|lalu|noong|nakaraang|noong nakaraang|ที่แล้ว|วัน)\s*",
    re.IGNORECASE,
)
_TRAILING_LAST = re.compile(r"\s*(lalu|ที่แล้ว|trước|truoc)$", re.IGNORECASE)
# Everyday forms dateparser's locale data lacks (Malay, Indonesian, Tagalog), rewritten to forms it
# has: polite particles and filler words dropped, number words to digits, "lepas" → "lalu".
_REWRITES = (
    (re.compile(r"\b(po|noong|bulan|yang|ang|na)\b", re.IGNORECASE), " "),
    (re.compile(r"\b(nakalipas|nakaraan|lepas)\b", re.IGNORECASE), "lalu"),
    (re.compile(r"\bnakaraang linggo\b", re.IGNORECASE), "1 linggo"),
    (re.compile(r"\bkelmarin\b", re.IGNORECASE), "2 hari lalu"),
    (re.compile(r"\b(satu|isang|isa)\b", re.IGNORECASE), "1"),
    (re.compile(r"\b(dua|dalawang|dalawa)\b", re.IGNORECASE), "2"),
    (re.compile(r"\b(tiga|tatlong|tatlo)\b", re.IGNORECASE), "3"),
    # Chinese counts before a unit ("两个星期前" → "2周前"); not weekday names like 星期二.
    (re.compile(r"[两兩二](?=[个個]?(周|週|星期|礼拜|禮拜|天|日|月))"), "2"),
    (re.compile(r"[一](?=[个個]?(周|週|星期|礼拜|禮拜|月))"), "1"),
    (re.compile(r"三(?=[个個]?(周|週|星期|礼拜|禮拜|天|日|月))"), "3"),
    (re.compile(r"(?<=\d)[个個](?=(星期|礼拜|禮拜|月))"), ""),
    (re.compile(r"(?<=\d)(星期|礼拜|禮拜)(?=前)"), "周"),
)


@dataclass(frozen=True)
class DateRange:
    """A parsed answer: the range it covers (inclusive) and whether it was approximate."""

    start: dt.date
    end: dt.date
    approximate: bool


def _strip_hedges(text: str) -> tuple[str, bool]:
    lowered = text.lower().strip()
    hedged = False
    for hedge in _HEDGES:
        if hedge in lowered:
            lowered = lowered.replace(hedge, " ")
            hedged = True
    return " ".join(lowered.split()), hedged


def parse_when(text: str, language: str | None, today: dt.date | None = None) -> DateRange | None:
    """Parses a fuzzy answer to "when did it happen?".

    Args:
        text: What the person wrote, e.g. "last Friday", "about two weeks ago", "March", "昨天".
        language: Our language code of the conversation (None: English only).
        today: The reference day (tests pass a fixed one).

    Returns:
        The date range, or None when the text is not a date we understand. Dates in the future are
        moved to the past (an incident has happened already).
    """
    today = today or dt.date.today()
    cleaned, hedged = _strip_hedges(text)
    if not cleaned:
        return None
    langs = ["en"]
    locale = _DATEPARSER_LANGS.get(language or "en")
    if locale and locale != "en":
        langs.insert(0, locale)
    base = dt.datetime.combine(today, dt.time(12, 0))
    parser = DateDataParser(
        languages=langs,
        settings={
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": base,
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    candidates = [cleaned]
    rewritten = cleaned
    for pattern, replacement in _REWRITES:
        rewritten = pattern.sub(replacement, rewritten)
    rewritten = " ".join(rewritten.split())
    for text_form in (cleaned, rewritten):
        stripped = _TRAILING_LAST.sub("", _LAST_WORDS.sub("", text_form)).strip()
        for candidate in (text_form, stripped):
            if candidate and candidate not in candidates:
                candidates.append(candidate)
    for candidate in candidates:
        data = parser.get_date_data(candidate)
        if data.date_obj is not None:
            return _to_range(data.date_obj.date(), data.period or "day", hedged, today)
    return None


def _to_range(day: dt.date, period: str, hedged: bool, today: dt.date) -> DateRange:
    if period == "month":
        if day > today:
            day = day.replace(year=day.year - 1)
        start = day.replace(day=1)
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        approximate = True
    elif period == "year":
        start, end, approximate = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), True
    elif period == "week":
        start, end, approximate = day - dt.timedelta(days=3), day + dt.timedelta(days=3), True
    else:
        if day > today:
            day = day - dt.timedelta(days=7) if (day - today).days < 7 else day.replace(year=day.year - 1)
        start = end = day
        approximate = hedged
        if hedged:
            start, end = day - dt.timedelta(days=2), day + dt.timedelta(days=2)
    return DateRange(start=start, end=min(end, today), approximate=approximate)


def describe_when(start: dt.date, end: dt.date, language: str | None) -> str:
    """The understood date or range, in the person's language, for reading it back.

    One day names its weekday ("Friday, 27 November 2026", "2026年11月27日星期五"), a whole month
    or year is named as such ("November 2026"), any other range is a Babel interval
    ("24–30 Nov 2026", "2026年11月24日至30日"). Formats come from the locale (CLDR skeletons).
    """
    from bot.datefmt import format_range

    return format_range(start, end, language)
