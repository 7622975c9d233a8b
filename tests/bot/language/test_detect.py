"""Tests for bot.language.detect: script rules, Han split, Latin cues, hints."""

from __future__ import annotations

import pytest

from bot.language import detect
from bot.language.hanzi import (
    _PAIRS_SIMPLIFIED,
    _PAIRS_TRADITIONAL,
    SIMPLIFIED_ONLY,
    TRADITIONAL_ONLY,
)

from .dev_cases import DEV_CASES


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        ("지난 금요일에 버스에서", "ko", "script:hangul"),
        ("駅で殴られた", "ja", "script:kana"),
        ("バス", "ja", "script:kana"),
        ("เมื่อวานบนรถเมล์", "th", "script:thai"),
        ("မနေ့က ဘတ်စ်ကားပေါ်မှာ", "my", "script:myanmar"),
        ("ម្សិលមិញនៅលើឡានក្រុង", "km", "script:khmer"),
    ],
)
def test_script_decides_language(text: str, code: str, reason: str) -> None:
    result = detect(text)
    assert (result.language, result.reason) == (code, reason)
    assert result.confidence >= 0.95


def test_kana_beats_han() -> None:
    assert detect("昨日の夜、電車で男に殴られた").language == "ja"


def test_script_rule_ignores_hint() -> None:
    assert detect("버스에서", hint="vi").language == "ko"


def test_hanzi_tables_are_aligned_and_disjoint() -> None:
    assert len(_PAIRS_SIMPLIFIED) == len(_PAIRS_TRADITIONAL)
    assert all(s != t for s, t in zip(_PAIRS_SIMPLIFIED, _PAIRS_TRADITIONAL, strict=True))
    assert not SIMPLIFIED_ONLY & TRADITIONAL_ONLY


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("我在公交车上被人骂了", "zh-Hans"),
        ("他们说我们传播病毒", "zh-Hans"),
        ("我在公車上被人罵了", "zh-Hant"),
        ("他們說我們傳播病毒", "zh-Hant"),
    ],
)
def test_traditional_vs_simplified_by_character_set(text: str, code: str) -> None:
    result = detect(text)
    assert result.language == code
    assert result.reason in ("hanzi:simplified", "hanzi:traditional")
    assert result.confidence >= 0.8


@pytest.mark.parametrize("text", ["佢唔係好人", "我冇事", "喺度", "佢哋鬧我", "嗰個人好惡"])
def test_written_cantonese_is_traditional(text: str) -> None:
    result = detect(text)
    assert result.language == "zh-Hant"
    assert result.reason == "hanzi:cantonese"


def test_ambiguous_han_defaults_to_simplified_with_low_confidence() -> None:
    result = detect("有人吐口水")
    assert (result.language, result.reason) == ("zh-Hans", "hanzi:ambiguous")
    assert result.confidence <= 0.6


def test_ambiguous_han_follows_traditional_hint() -> None:
    assert detect("有人吐口水", hint="zh-TW").language == "zh-Hant"
    assert detect("有人吐口水", hint="zh-Hant").language == "zh-Hant"


def test_japanese_only_kanji_without_kana_is_japanese() -> None:
    assert detect("先週").language == "ja"


@pytest.mark.parametrize(
    "text",
    [
        "toi bi danh hom qua",
        "hom qua",
        "khong biet",
        "tren xe buyt",
        "nguoi ta chui toi",
        "toi khong duoc",
    ],
)
def test_romanised_vietnamese_without_diacritics(text: str) -> None:
    assert detect(text).language == "vi"


def test_vietnamese_only_letters_decide() -> None:
    result = detect("tôi bị đánh")
    assert (result.language, result.reason) == ("vi", "diacritics:vi")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("saya nak report", "ms"),
        ("saya tak tahu", "ms"),
        ("semalam dalam bas", "ms"),
        ("kerana saya cina", "ms"),
        ("saya tidak tahu kenapa", "id"),
        ("kemarin di bus", "id"),
        ("karena saya cina", "id"),
        ("saya nggak bisa", "id"),
        ("gak tau", "id"),
    ],
)
def test_malay_vs_indonesian_cue_words(text: str, code: str) -> None:
    assert detect(text).language == code


@pytest.mark.parametrize(
    "text",
    ["sinigawan ako sa bus", "kasi yung guy nang-away", "ako po yung victim", "sa may station po"],
)
def test_taglish_is_filipino(text: str) -> None:
    assert detect(text).language == "tl"


@pytest.mark.parametrize(
    "text", ["on the bus lah", "dunno leh", "damn scary sia", "he scold me lor"]
)
def test_singlish_is_english(text: str) -> None:
    assert detect(text).language == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345", "👍", "!!!", "😡😡"])
def test_no_letters_gives_no_language(text: str) -> None:
    result = detect(text)
    assert result.language is None
    assert result.confidence == 0.0


def test_unsupported_script_gives_no_language() -> None:
    result = detect("вчера в автобусе")
    assert result.language is None
    assert result.reason.startswith("unsupported_script")


def test_hint_breaks_latin_tie_between_malay_and_indonesian() -> None:
    text = "dia pukul saya"
    assert detect(text, hint="ms").language == "ms"
    assert detect(text, hint="id").language == "id"


def test_hint_accepts_locale_tag() -> None:
    assert detect("dia pukul saya", hint="ms-MY").language == "ms"


def test_confidence_is_between_zero_and_one() -> None:
    for _, text in DEV_CASES:
        assert 0.0 <= detect(text).confidence <= 1.0


@pytest.mark.parametrize(("code", "text"), DEV_CASES)
def test_dev_cases(code: str, text: str) -> None:
    assert detect(text).language == code
