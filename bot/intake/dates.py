"""Fuzzy "when did it happen" answers → a date range.

Two layers:

1. A small table of the forms the bot itself suggests and their everyday variants, in every
   language: "last <weekday>" (the weekday of the *previous calendar week*, Monday-first as in the
   UK and in the languages' own "上周五", "thứ Sáu tuần trước", "先週の金曜日": said on Saturday,
   "last Friday" is the Friday eight days before, not yesterday; dateparser would return the most
   recent Friday), "<n> <unit> ago" with number words ("hai tuần trước", "ពីរសប្ដាហ៍មុន",
   "နှစ်ပတ်က", "สองสัปดาห์ก่อน", "兩星期前"), a bare weekday (the most recent one) and a month name
   ("hồi tháng Ba", "ក្នុងខែមីនា", "မတ်လမှာ"). Weekday and month names come from Babel's CLDR data
   for the locale, plus the spoken forms CLDR lacks.
2. `dateparser` (multilingual) for everything else; its *period* (day/week/month/year) becomes a
   range.

Hedges ("about", "大概", "khoảng" ...) widen a day to a few days and mark the answer approximate.
Every example the bot gives in `utter_ask_incident_date` is parsed by a test in its language.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterable
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
    "mga", "siguro", "humigit-kumulang", "ခန့်", "လောက်", "ប្រហែល", "chắc", "tầm", "정도",
    "くらい", "约", "約",
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


# --- Layer 1: the forms we suggest ----------------------------------------------------------------

# Spoken weekday names CLDR (via Babel) does not list, Monday = 0.
_EXTRA_WEEKDAYS: dict[str, int] = {
    # Chinese: 周/星期/礼拜 + 一..六, 日/天
    **{f"{prefix}{num}": i for prefix in ("周", "週", "星期", "礼拜", "禮拜")
       for i, num in enumerate("一二三四五六")},
    **{f"{prefix}{sun}": 6 for prefix in ("周", "週", "星期", "礼拜", "禮拜") for sun in "日天"},
    # Japanese short forms
    **{f"{d}曜": i for i, d in enumerate("月火水木金土日")},
    # Vietnamese: "thứ 6", unaccented "thu sau", "t6", "chủ nhật"/"cn"
    **{f"thứ {n}": n - 2 for n in range(2, 8)}, **{f"thu {n}": n - 2 for n in range(2, 8)},
    **{f"t{n}": n - 2 for n in range(2, 8)},
    "thu hai": 0, "thu ba": 1, "thu tu": 2, "thu nam": 3, "thu sau": 4, "thu bay": 5,
    "chủ nhật": 6, "chu nhat": 6,
    # Khmer: with the "day" word
    "ថ្ងៃច័ន្ទ": 0, "ថ្ងៃអង្គារ": 1, "ថ្ងៃពុធ": 2, "ថ្ងៃព្រហស្បតិ៍": 3, "ថ្ងៃសុក្រ": 4,
    "ថ្ងៃសៅរ៍": 5, "ថ្ងៃអាទិត្យ": 6, "ចន្ទ": 0,
    # Thai without "วัน"
    "จันทร์": 0, "อังคาร": 1, "พุธ": 2, "พฤหัส": 3, "พฤหัสบดี": 3, "ศุกร์": 4, "เสาร์": 5,
    # Malay / Indonesian / Tagalog spellings
    "jumat": 4, "jumaat": 4, "jum'at": 4, "ahad": 6, "minggu": 6, "biyernes": 4,
    # English short forms
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
    "sat": 5, "sun": 6,
}
# Words that put a weekday in the previous calendar week ("last Friday", "上周五", "tuần trước").
_LAST_MARKERS = (
    "last", "previous", "last week", "上", "the week before", "上周", "上週", "上星期", "上礼拜",
    "上禮拜", "先週の", "先週", "지난주", "지난 주", "저번 주", "저번주", "지난", "저번",
    "tuần trước", "tuan truoc", "tuần rồi", "tuan roi", "ที่แล้ว", "สัปดาห์ที่แล้ว",
    "อาทิตย์ที่แล้ว", "ก่อน", "មុន", "សប្ដាហ៍មុន", "សប្តាហ៍មុន", "ပြီးခဲ့တဲ့", "ပြီးခဲ့သည့်",
    "အရင်အပတ်", "lalu", "lepas", "yang lalu", "minggu lalu", "minggu lepas", "nakaraang",
    "noong nakaraang", "nakaraang linggo",
)
# Words that end "<n> <unit> ago".
_AGO_MARKERS = (
    "ago", "before", "前", "전", "trước", "truoc", "ก่อน", "ที่แล้ว", "មុន", "က", "lalu", "lepas",
    "yang lalu", "nakalipas", "na", "ang nakalipas",
)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "a couple of": 2, "couple of": 2,
    "một": 1, "mot": 1, "hai": 2, "ba": 3, "bốn": 4, "bon": 4,
    "一": 1, "两": 2, "兩": 2, "二": 2, "三": 3, "四": 4, "한": 1, "두": 2, "세": 3, "네": 4,
    "หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "មួយ": 1, "ពីរ": 2, "បី": 3, "បួន": 4,
    "တစ်": 1, "နှစ်": 2, "သုံး": 3, "လေး": 4, "satu": 1, "dua": 2, "tiga": 3, "empat": 4,
    "isa": 1, "isang": 1, "dalawa": 2, "dalawang": 2, "tatlo": 3, "tatlong": 3,
}
# Units → (period, days). Longest first when matching.
_UNITS = {
    "days": ("day", 1), "day": ("day", 1), "weeks": ("week", 7), "week": ("week", 7),
    "months": ("month", 30), "month": ("month", 30), "years": ("year", 365), "year": ("year", 365),
    "天": ("day", 1), "日": ("day", 1), "周": ("week", 7), "週": ("week", 7), "週間": ("week", 7),
    "星期": ("week", 7), "礼拜": ("week", 7), "禮拜": ("week", 7), "个月": ("month", 30),
    "個月": ("month", 30), "ヶ月": ("month", 30), "か月": ("month", 30), "年": ("year", 365),
    "일": ("day", 1), "주": ("week", 7), "주일": ("week", 7), "달": ("month", 30),
    "개월": ("month", 30), "년": ("year", 365),
    "ngày": ("day", 1), "ngay": ("day", 1), "tuần": ("week", 7), "tuan": ("week", 7),
    "tháng": ("month", 30), "thang": ("month", 30), "năm": ("year", 365), "nam": ("year", 365),
    "วัน": ("day", 1), "สัปดาห์": ("week", 7), "อาทิตย์": ("week", 7), "เดือน": ("month", 30),
    "ปี": ("year", 365), "ថ្ងៃ": ("day", 1), "សប្ដាហ៍": ("week", 7), "សប្តាហ៍": ("week", 7),
    "អាទិត្យ": ("week", 7), "ខែ": ("month", 30), "ឆ្នាំ": ("year", 365),
    "ရက်": ("day", 1), "ပတ်": ("week", 7), "လ": ("month", 30), "နှစ်": ("year", 365),
    "hari": ("day", 1), "minggu": ("week", 7), "bulan": ("month", 30), "tahun": ("year", 365),
    "araw": ("day", 1), "linggo": ("week", 7), "buwan": ("month", 30), "taon": ("year", 365),
}
# Month names CLDR lacks in the form people type them.
_EXTRA_MONTHS: dict[str, int] = {
    **{f"tháng {w}": i + 1 for i, w in enumerate(
        ("một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một",
         "mười hai"))},
    "tháng giêng": 1, "tháng chạp": 12,
    **{f"{w}月": i + 1 for i, w in enumerate(
        ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"))},
    "မတ်လ": 3,
}
# Filler around a month or weekday: "in March", "hồi tháng Ba", "ក្នុងខែមីនា", "မတ်လမှာ", "เดือน".
_FILLERS = re.compile(
    r"^(in|on|in the month of|hồi|hoi|vào|vao|ក្នុង|នៅ|ខែ|เดือน|ใน|noong|pada|pd|di|bulan|"
    r"sa)\s*|\s*(မှာ|တုန်းက|က|နေ့|에|に|の時|ぐらい|に)$",
    re.IGNORECASE,
)


@functools.cache
def _names(language: str) -> tuple[dict[str, int], dict[str, int]]:
    """Weekday (Monday = 0) and month (1-12) names for a language: CLDR's plus the spoken extras."""
    from bot.datefmt import babel_locale

    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for locale in {babel_locale(language), babel_locale("en")}:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for index, name in locale.days[context][width].items():
                    weekdays[name.lower().rstrip(".")] = index
                for index, name in locale.months[context][width].items():
                    months[name.lower().rstrip(".")] = index
    weekdays.update(_EXTRA_WEEKDAYS)
    months.update(_EXTRA_MONTHS)
    # Burmese weekdays and months are often followed by နေ့ ("day") / လ ("month").
    for name, index in list(weekdays.items()):
        weekdays.setdefault(name + "နေ့", index)
    for name, index in list(months.items()):
        months.setdefault(name + "လ", index)
        months.setdefault("ខែ" + name, index)
    return weekdays, months


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@functools.cache
def _patterns(language: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    weekdays, months = _names(language)
    day = _alternation(weekdays)
    last = _alternation(_LAST_MARKERS)
    sep = r"[\s,の的]*"
    last_weekday = re.compile(
        rf"^(?:(?:{last}){sep}(?P<a>{day})|(?P<b>{day}){sep}(?:{last}))$", re.IGNORECASE
    )
    bare_weekday = re.compile(rf"^(?P<d>{day})$", re.IGNORECASE)
    number = rf"\d+|{_alternation(_NUMBER_WORDS)}"
    ago = re.compile(
        rf"^(?P<n>{number})?\s*[个個]?\s*(?P<u>{_alternation(_UNITS)})\s*(?:{_alternation(_AGO_MARKERS)})$",
        re.IGNORECASE,
    )
    month = re.compile(rf"^(?P<m>{_alternation(months)})$", re.IGNORECASE)
    return last_weekday, bare_weekday, ago, month


# "last week" on its own: the previous Monday-to-Sunday week.
_LAST_WEEK = re.compile(
    r"^(last week|the week before|上周|上週|上星期|上礼拜|上禮拜|先週|지난주|지난 주|저번 주|저번주|"
    r"tuần trước|tuan truoc|tuần rồi|สัปดาห์ที่แล้ว|อาทิตย์ที่แล้ว|សប្ដាហ៍មុន|សប្តាហ៍មុន|"
    r"អាទិត្យមុន|အရင်အပတ်|ပြီးခဲ့တဲ့အပတ်|ပြီးခဲ့တဲ့ အပတ်|minggu lalu|minggu lepas|"
    r"noong nakaraang linggo|nakaraang linggo|noong isang linggo)$",
    re.IGNORECASE,
)


# Parts of a day dateparser does not take ("last night" is yesterday; "this morning" today), and
# "a few days ago" (a range of the last few days), as people type them.
_YESTERDAY_PARTS = frozenset({
    "last night", "yesterday evening", "yesterday morning", "yesterday afternoon",
    "yesterday night", "tối qua", "toi qua", "đêm qua", "dem qua", "sáng qua", "chiều qua",
    "昨晚", "昨夜", "昨天晚上", "昨天早上", "昨天下午", "昨日の夜", "昨日の朝", "昨晩", "어젯밤",
    "어제 저녁", "어제 밤", "어제 아침", "เมื่อคืน", "เมื่อคืนนี้", "เมื่อวานตอนเย็น", "kagabi",
    "kahapon ng gabi", "tadi malam", "semalam malam", "malam tadi", "kemarin malam",
    "malam semalam", "យប់មិញ", "ម្សិលមិញ", "မနေ့ညက", "မနေ့ည",
})
_TODAY_PARTS = frozenset({
    "this morning", "this afternoon", "this evening", "earlier today", "tonight", "sáng nay",
    "chiều nay", "tối nay", "sang nay", "今天早上", "今天上午", "今天下午", "今早", "今朝",
    "今日の朝", "오늘 아침", "오늘 오후", "เมื่อเช้า", "เช้านี้", "บ่ายนี้", "tadi pagi",
    "pagi tadi", "pagi ini", "kaninang umaga", "kanina", "ព្រឹកនេះ", "ဒီမနက်", "ဒီနေ့မနက်",
})
_FEW_DAYS = frozenset({
    "a few days ago", "few days ago", "a couple of days ago", "some days ago", "vài ngày trước",
    "mấy ngày trước", "vai ngay truoc", "几天前", "幾天前", "前几天", "前幾天", "며칠 전", "數天前",
    "数日前", "ไม่กี่วันก่อน", "beberapa hari lalu", "beberapa hari lepas", "beberapa hari yang lalu",
    "ilang araw na", "ilang araw na ang nakalipas", "ពីរបីថ្ងៃមុន", "ប៉ុន្មានថ្ងៃមុន",
    "ရက်အနည်းငယ်က", "လွန်ခဲ့တဲ့ရက်အနည်းငယ်က",
})
_WEEK_BEFORE_LAST = frozenset({"the week before last", "week before last", "上上周", "上上週",
                               "上上星期", "先々週", "지지난주"})


def _strip_fillers(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _FILLERS.sub("", text).strip()
    return text


def _known_form(text: str, language: str, today: dt.date, hedged: bool) -> DateRange | None:
    """Layer 1: the forms we suggest, or None to let dateparser try."""
    last_weekday, bare_weekday, ago, month = _patterns(language)
    weekdays, months = _names(language)
    text = text.strip(" .!?。！？၊။។")
    candidates = [text, _strip_fillers(text)]
    for form in candidates:
        if form in _YESTERDAY_PARTS:
            return _to_range(today - dt.timedelta(days=1), "day", hedged, today)
        if form in _TODAY_PARTS:
            return _to_range(today, "day", hedged, today)
        if form in _FEW_DAYS:
            return DateRange(today - dt.timedelta(days=5), today - dt.timedelta(days=1), True)
        if form in _WEEK_BEFORE_LAST:
            monday = today - dt.timedelta(days=today.weekday() + 14)
            return DateRange(start=monday, end=monday + dt.timedelta(days=6), approximate=True)
        if _LAST_WEEK.match(form):
            monday = today - dt.timedelta(days=today.weekday() + 7)
            return DateRange(start=monday, end=monday + dt.timedelta(days=6), approximate=True)
        found = last_weekday.match(form)
        if found:
            index = weekdays[(found.group("a") or found.group("b")).lower()]
            monday = today - dt.timedelta(days=today.weekday())
            return _to_range(monday - dt.timedelta(days=7 - index), "day", hedged, today)
        found = ago.match(form)
        if found and (found.group("n") or found.group("u").lower() not in ("na",)):
            raw = (found.group("n") or "1").lower()
            count = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 1)
            period, days = _UNITS[found.group("u").lower()]
            if period == "day" or (period == "week" and count == 0):
                return _to_range(today - dt.timedelta(days=count * days), "day", hedged, today)
            if period == "week":
                return _to_range(today - dt.timedelta(days=count * 7), "week", hedged, today)
            if period == "month":
                year, month_index = today.year, today.month - count
                while month_index < 1:
                    year, month_index = year - 1, month_index + 12
                return _to_range(dt.date(year, month_index, 1), "month", hedged, today)
            return _to_range(dt.date(today.year - count, 1, 1), "year", hedged, today)
        found = bare_weekday.match(form)
        if found:
            index = weekdays[found.group("d").lower()]
            back = (today.weekday() - index) % 7
            return _to_range(today - dt.timedelta(days=back), "day", hedged, today)
        found = month.match(form)
        if found:
            index = months[found.group("m").lower()]
            year = today.year if index <= today.month else today.year - 1
            return _to_range(dt.date(year, index, 1), "month", hedged, today)
    return None


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
    if len(cleaned) < 2:  # "", "a", "?": dateparser reads a lone letter as a month
        return None
    known = _known_form(cleaned, language or "en", today, hedged)
    if known is not None:
        return known
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
            # Numeric dates are day-first in the UK ("01/12" is 1 December); CJK keep their
            # year-first order from their own locale.
            **({"DATE_ORDER": "DMY"} if language not in ("zh-Hans", "zh-Hant", "ja", "ko") else {}),
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
