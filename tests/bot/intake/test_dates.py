"""Fuzzy dates in every language parse to the right range (reference day: Sunday 22 Nov 2026)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.intake.dates import parse_when

TODAY = dt.date(2026, 11, 22)
YESTERDAY = ("2026-11-21", "2026-11-21")
FRIDAY = ("2026-11-20", "2026-11-20")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "yesterday", YESTERDAY),
        ("en", "last Friday", FRIDAY),
        ("en", "March", ("2026-03-01", "2026-03-31")),
        ("zh-Hans", "昨天", YESTERDAY),
        ("zh-Hans", "上周五", FRIDAY),
        ("zh-Hant", "昨天", YESTERDAY),
        ("zh-Hant", "上星期五", FRIDAY),
        ("vi", "hôm qua", YESTERDAY),
        ("vi", "hom qua", YESTERDAY),
        ("ko", "어제", YESTERDAY),
        ("ko", "지난 금요일", FRIDAY),
        ("ja", "昨日", YESTERDAY),
        ("ja", "金曜日", FRIDAY),
        ("th", "เมื่อวาน", YESTERDAY),
        ("tl", "kahapon po", YESTERDAY),
        ("tl", "noong Biyernes po", FRIDAY),
        ("ms", "semalam", YESTERDAY),
        ("ms", "Jumaat lepas", FRIDAY),
        ("id", "kemarin", YESTERDAY),
        ("id", "Jumat lalu", FRIDAY),
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
        ("zh-Hant", "2026年11月27日 星期五"),
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
