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
