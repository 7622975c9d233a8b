"""Tests for the language list loader (bot/languages.py, bot/languages.yml)."""

from __future__ import annotations

import pytest

from bot import languages

CONTRACT_CODES = ["en", "zh-Hans", "zh-Hant", "vi", "ko", "ja", "th", "tl", "ms", "id", "my", "km"]


def test_codes_are_the_contract_codes_in_menu_order() -> None:
    assert languages.codes() == CONTRACT_CODES


def test_languages_constant_is_the_loaded_list() -> None:
    assert [lang.code for lang in languages.LANGUAGES] == CONTRACT_CODES


def test_get_returns_own_name() -> None:
    assert languages.get("zh-Hant").own_name == "中文（繁體）"
    assert languages.get("km").own_name == "ភាសាខ្មែរ"


def test_get_unknown_code_raises_key_error() -> None:
    with pytest.raises(KeyError):
        languages.get("xx")


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh_MO", "zh-Hant"),
        ("zh-Hant-HK", "zh-Hant"),
        ("zh-Hans-HK", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("fil", "tl"),
        ("fil-PH", "tl"),
        ("vi-VN", "vi"),
        ("en-GB", "en"),
        ("ms-MY", "ms"),
        ("id", "id"),
        ("my-MM", "my"),
        ("km-KH", "km"),
        ("fr-FR", None),
        ("", None),
        (None, None),
    ],
)
def test_from_locale_tag_maps_browser_and_telegram_tags(tag: str | None, code: str | None) -> None:
    assert languages.from_locale_tag(tag) == code


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("+84 912 345 678", "vi"),
        ("+82 10 1234 5678", "ko"),
        ("+81 90 1234 5678", "ja"),
        ("+66 81 234 5678", "th"),
        ("+63 917 123 4567", "tl"),
        ("+60 12 345 6789", "ms"),
        ("+62 812 3456 789", "id"),
        ("+95 9 123 456 789", "my"),
        ("+855 12 345 678", "km"),
        ("+86 138 0013 8000", "zh-Hans"),
        ("+852 9123 4567", "zh-Hant"),
        ("+853 6612 3456", "zh-Hant"),
        ("+886 912 345 678", "zh-Hant"),
        ("whatsapp:+84912345678", "vi"),
        ("0084912345678", "vi"),
        ("+44 7700 900123", None),
        ("07700 900123", None),
        ("", None),
    ],
)
def test_from_phone_maps_calling_code_to_hint(number: str, code: str | None) -> None:
    assert languages.from_phone(number) == code


def test_every_language_has_names_and_a_script() -> None:
    for lang in languages.LANGUAGES:
        assert lang.own_name and lang.english_name and lang.script
