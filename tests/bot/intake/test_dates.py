"""Fuzzy dates in every language parse to the right range (reference day: Sunday 22 Nov 2026)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.intake.dates import parse_when

TODAY = dt.date(2026, 11, 22)
YESTERDAY = ("2026-11-21", "2026-11-21")
FRIDAY = ("2026-11-20", "2026-11-20")  # the most recent Friday ("Friday", "noong Biyernes")
# "last Friday" is the Friday of the previous (Monday-first) week: on Sunday 22 Nov, the 13th.
LAST_FRIDAY = ("2026-11-13", "2026-11-13")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "yesterday", YESTERDAY),
        ("en", "last Friday", LAST_FRIDAY),
        ("en", "March", ("2026-03-01", "2026-03-31")),
        ("zh-Hans", "昨天", YESTERDAY),
        ("zh-Hans", "上周五", LAST_FRIDAY),
        ("zh-Hant", "昨天", YESTERDAY),
        ("zh-Hant", "上星期五", LAST_FRIDAY),
        ("vi", "hôm qua", YESTERDAY),
        ("vi", "hom qua", YESTERDAY),
        ("ko", "어제", YESTERDAY),
        ("ko", "지난 금요일", LAST_FRIDAY),
        ("ja", "昨日", YESTERDAY),
        ("ja", "金曜日", FRIDAY),
        ("th", "เมื่อวาน", YESTERDAY),
        ("tl", "kahapon po", YESTERDAY),
        ("tl", "noong Biyernes po", FRIDAY),
        ("ms", "semalam", YESTERDAY),
        ("ms", "Jumaat lepas", LAST_FRIDAY),
        ("id", "kemarin", YESTERDAY),
        ("id", "Jumat lalu", LAST_FRIDAY),
    ],
)
def test_single_days(language: str, text: str, expected: tuple[str, str]) -> None:
    parsed = parse_when(text, language, TODAY)
    assert parsed is not None, f"{language}: {text!r} not understood"
    assert (parsed.start.isoformat(), parsed.end.isoformat()) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "about two weeks ago"), ("ms", "2 minggu lepas"), ("id", "dua minggu lalu"),
     ("tl", "2 linggo ang nakalipas"), ("zh-Hans", "两周前"), ("vi", "2 tuần trước")],
)
def test_weeks_ago_is_an_approximate_range(language: str, text: str) -> None:
    parsed = parse_when(text, language, TODAY)
    assert parsed is not None, f"{language}: {text!r}"
    assert parsed.approximate and parsed.start < parsed.end <= TODAY
    assert dt.date(2026, 11, 4) <= parsed.start <= dt.date(2026, 11, 12)


def test_nonsense_and_future_dates() -> None:
    assert parse_when("purple elephant", "en", TODAY) is None
    tomorrow = parse_when("tomorrow", "en", TODAY)
    assert tomorrow is None or tomorrow.end <= TODAY


# --- Reading the understood date back (describe_when) -----------------------------------------

from bot.intake.dates import describe_when  # noqa: E402

FRI = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Friday, 27 November 2026"),
        ("zh-Hans", "2026年11月27日星期五"),
        ("zh-Hant", "2026年11月27日星期五"),
        ("vi", "Thứ Sáu, 27 tháng 11, 2026"),
        ("ko", "2026년 11월 27일 금요일"),
        ("ja", "2026年11月27日金曜日"),
        ("th", "วันศุกร์ที่ 27 พฤศจิกายน 2026"),
        ("tl", "Biyernes, Nobyembre 27, 2026"),
        ("ms", "Jumaat, 27 November 2026"),
        ("id", "Jumat, 27 November 2026"),
        ("my", "2026 နိုဝင်ဘာ 27 သောကြာ"),
        ("km", "សុក្រ 27 វិច្ឆិកា 2026"),
    ],
)
def test_describe_one_day_in_each_language(language: str, expected: str) -> None:
    assert describe_when(FRI, FRI, language) == expected


@pytest.mark.parametrize(
    ("language", "month", "span"),
    [
        ("en", "November 2026", "24–30 Nov 2026"),
        ("zh-Hans", "2026年11月", "2026年11月24日至30日"),
        ("ko", "2026년 11월", "2026년 11월 24일~30일"),
        ("vi", "tháng 11 năm 2026", "24 – 30 thg 11, 2026"),
        ("ja", "2026年11月", "2026年11月24日～30日"),
    ],
)
def test_describe_month_and_span(language: str, month: str, span: str) -> None:
    assert describe_when(dt.date(2026, 11, 1), dt.date(2026, 11, 30), language) == month
    assert describe_when(dt.date(2026, 11, 24), dt.date(2026, 11, 30), language) == span
    assert describe_when(dt.date(2025, 1, 1), dt.date(2025, 12, 31), language).startswith("2025")


def test_describe_never_uses_english_word_order_or_names() -> None:
    for language in ("zh-Hans", "zh-Hant", "ko", "ja", "th", "km", "my", "vi"):
        text = describe_when(FRI, FRI, language)
        assert "Friday" not in text and "November" not in text and "Nov" not in text, text
    assert describe_when(FRI, FRI, "unknown") == "Friday, 27 November 2026"


# --- Every example the bot gives parses in its language ----------------------------------------

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

DOMAIN_DIR = Path(__file__).resolve().parents[3] / "domain"
# Quotation marks the 12 languages use around the examples.
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|«([^»]+)»')


def _examples() -> list[tuple[str, str]]:
    responses: dict = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    found: list[tuple[str, str]] = []
    for variation in responses["utter_ask_incident_date"]:
        language = "en"
        for condition in variation.get("condition") or []:
            if condition.get("name") == "language":
                language = condition["value"]
        quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(variation["text"])]
        assert len(quoted) >= 3, f"{language}: examples not found in {variation['text']!r}"
        found.extend((language, example) for example in quoted)
    return found


EXAMPLES = _examples()


def test_examples_cover_all_languages() -> None:
    from bot import languages

    assert {language for language, _ in EXAMPLES} == set(languages.codes())


# A Saturday, a Sunday, a Monday and a Wednesday: the weekday examples must work on any day.
@pytest.mark.parametrize("today", [dt.date(2026, 12, 5), dt.date(2026, 12, 6), dt.date(2026, 12, 7),
                                   dt.date(2026, 3, 18)])
@pytest.mark.parametrize(("language", "example"), EXAMPLES)
def test_every_example_the_bot_gives_parses(language: str, example: str, today: dt.date) -> None:
    parsed = parse_when(example, language, today)
    assert parsed is not None, f"{language}: the bot's own example {example!r} is refused"
    assert parsed.start <= parsed.end <= today
    assert (today - parsed.start).days <= 400


SATURDAY = dt.date(2026, 12, 5)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "last Friday"), ("en", "Friday last week"), ("en", "last fri"),
        ("zh-Hans", "上周五"), ("zh-Hans", "上星期五"), ("zh-Hans", "上礼拜五"),
        ("zh-Hant", "上星期五"), ("zh-Hant", "上週五"), ("zh-Hant", "上禮拜五"),
        ("vi", "thứ Sáu tuần trước"), ("vi", "thu sau tuan truoc"), ("vi", "thứ 6 tuần trước"),
        ("ko", "지난 금요일"), ("ko", "지난주 금요일"),
        ("ja", "先週の金曜日"), ("ja", "先週金曜日"),
        ("th", "วันศุกร์ที่แล้ว"), ("th", "ศุกร์ที่แล้ว"),
        ("km", "ថ្ងៃសុក្រមុន"), ("km", "ថ្ងៃសុក្រ មុន"),
        ("my", "ပြီးခဲ့တဲ့ သောကြာနေ့"), ("my", "ပြီးခဲ့တဲ့သောကြာနေ့"),
        ("ms", "Jumaat lalu"), ("ms", "Jumaat lepas"),
        ("id", "Jumat lalu"), ("tl", "noong nakaraang Biyernes"),
    ],
)
def test_last_friday_on_a_saturday_is_the_previous_weeks_friday(language: str, text: str) -> None:
    parsed = parse_when(text, language, SATURDAY)
    assert parsed is not None, f"{language}: {text!r}"
    assert (parsed.start, parsed.end) == (dt.date(2026, 11, 27), dt.date(2026, 11, 27))


@pytest.mark.parametrize(
    ("language", "text", "start", "end"),
    [
        ("vi", "khoảng hai tuần trước", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("vi", "2 tuần trước", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("vi", "hồi tháng Ba", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("vi", "tháng 3", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("km", "ប្រហែលពីរសប្ដាហ៍មុន", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("km", "ក្នុងខែមីនា", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("my", "နှစ်ပတ်လောက်က", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("my", "မတ်လမှာ", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("th", "ประมาณสองสัปดาห์ก่อน", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("th", "2 สัปดาห์ก่อน", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("zh-Hant", "大約兩星期前", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("zh-Hant", "兩個星期前", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("zh-Hans", "三天前", dt.date(2026, 12, 2), dt.date(2026, 12, 2)),
        ("ko", "3일 전", dt.date(2026, 12, 2), dt.date(2026, 12, 2)),
        ("en", "3 days ago", dt.date(2026, 12, 2), dt.date(2026, 12, 2)),
        ("en", "in March", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("en", "december", dt.date(2026, 12, 1), SATURDAY),
        ("en", "two months ago", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("id", "2 bulan lalu", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    ],
)
def test_variants_on_a_saturday(language: str, text: str, start: dt.date, end: dt.date) -> None:
    parsed = parse_when(text, language, SATURDAY)
    assert parsed is not None, f"{language}: {text!r}"
    assert (parsed.start, parsed.end) == (start, end)


def test_a_bare_weekday_is_the_most_recent_one() -> None:
    assert parse_when("Friday", "en", SATURDAY).start == dt.date(2026, 12, 4)
    assert parse_when("金曜日", "ja", SATURDAY).start == dt.date(2026, 12, 4)
    assert parse_when("thứ Sáu", "vi", SATURDAY).start == dt.date(2026, 12, 4)
    assert parse_when("ថ្ងៃសុក្រ", "km", SATURDAY).start == dt.date(2026, 12, 4)


def test_plain_words_are_not_dates() -> None:
    for language, text in [("en", "skip"), ("en", "I don't know"), ("vi", "không biết"),
                           ("en", "na"), ("tl", "na"), ("km", "មុន"), ("en", "a")]:
        assert parse_when(text, language, SATURDAY) is None, (language, text)


def test_last_week_is_the_previous_monday_to_sunday() -> None:
    for language, text in [("en", "last week"), ("zh-Hans", "上周"), ("ko", "지난주"),
                           ("vi", "tuần trước"), ("th", "สัปดาห์ที่แล้ว"), ("id", "minggu lalu")]:
        parsed = parse_when(text, language, SATURDAY)
        assert parsed is not None, (language, text)
        assert (parsed.start, parsed.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
        assert parsed.approximate


@pytest.mark.parametrize(
    ("language", "text", "start", "end"),
    [
        ("en", "last night", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
        ("vi", "tối qua", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
        ("zh-Hans", "昨晚", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
        ("ko", "어젯밤", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
        ("th", "เมื่อคืน", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
        ("tl", "kagabi", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
        ("en", "this morning", SATURDAY, SATURDAY),
        ("ja", "今朝", SATURDAY, SATURDAY),
        ("en", "a few days ago", dt.date(2026, 11, 30), dt.date(2026, 12, 4)),
        ("zh-Hans", "几天前", dt.date(2026, 11, 30), dt.date(2026, 12, 4)),
        ("en", "the week before last", dt.date(2026, 11, 16), dt.date(2026, 11, 22)),
        ("en", "01/12/2026", dt.date(2026, 12, 1), dt.date(2026, 12, 1)),  # UK: day first
        ("en", "3/11", dt.date(2026, 11, 3), dt.date(2026, 11, 3)),
        ("ja", "2026/11/03", dt.date(2026, 11, 3), dt.date(2026, 11, 3)),
        ("zh-Hans", "2026年11月3日", dt.date(2026, 11, 3), dt.date(2026, 11, 3)),
        ("en", "last month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("ko", "지난달", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ],
)
def test_everyday_variants(language: str, text: str, start: dt.date, end: dt.date) -> None:
    parsed = parse_when(text, language, SATURDAY)
    assert parsed is not None, f"{language}: {text!r}"
    assert (parsed.start, parsed.end) == (start, end)
