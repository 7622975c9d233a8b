"""Tests for bot.language.choice: menu, typed names, payloads, change requests."""

from __future__ import annotations

import pytest

from bot import languages
from bot.language import is_change_language_request, menu, parse_language_choice


def test_menu_lists_every_language_with_own_name_in_order() -> None:
    assert menu() == [(lang.code, lang.own_name) for lang in languages.LANGUAGES]
    assert ("vi", "Tiếng Việt") in menu()


@pytest.mark.parametrize("lang", languages.all_languages(), ids=lambda lang: lang.code)
def test_own_name_is_a_choice(lang: languages.Language) -> None:
    assert parse_language_choice(lang.own_name) == lang.code


@pytest.mark.parametrize("lang", languages.all_languages(), ids=lambda lang: lang.code)
def test_english_name_is_a_choice(lang: languages.Language) -> None:
    assert parse_language_choice(lang.english_name.lower()) == lang.code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("中文", "zh-Hans"),
        ("简体", "zh-Hans"),
        ("中文(简体)", "zh-Hans"),
        ("繁體", "zh-Hant"),
        ("廣東話", "zh-Hant"),
        ("cantonese", "zh-Hant"),
        ("tieng viet", "vi"),
        ("tiếng việt", "vi"),
        ("Tiếng Việt!", "vi"),
        ("korean", "ko"),
        ("한국어", "ko"),
        ("Korean please", "ko"),
        ("in Vietnamese", "vi"),
        ("tagalog", "tl"),
        ("melayu", "ms"),
        ("bahasa melayu", "ms"),
        ("indonesia", "id"),
        ("bahasa indonesia", "id"),
        ("burmese", "my"),
        ("ខ្មែរ", "km"),
        ("日本語", "ja"),
        ("ไทย", "th"),
    ],
)
def test_common_variants_are_choices(text: str, code: str) -> None:
    assert parse_language_choice(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("lang:vi", "vi"),
        ("lang:zh-hant", "zh-Hant"),
        ('/inform{"choice":"lang:km"}', "km"),
        ('/inform{"choice": "lang:zh-Hans"}', "zh-Hans"),
    ],
)
def test_menu_payloads_are_choices(text: str, code: str) -> None:
    assert parse_language_choice(text) == code


@pytest.mark.parametrize("text", ["lang:xx", '/inform{"choice":"victim"}', "/inform{broken"])
def test_bad_payloads_are_not_choices(text: str) -> None:
    assert parse_language_choice(text) is None


def test_number_is_a_choice_only_with_menu_order() -> None:
    order = [code for code, _ in menu()]
    assert parse_language_choice("4") is None
    assert parse_language_choice("4", order) == order[3]
    assert parse_language_choice("99", order) is None


@pytest.mark.parametrize("text", ["I'm Korean", "he said go back to china", "bahasa", "yes", ""])
def test_sentences_and_ambiguous_words_are_not_choices(text: str) -> None:
    assert parse_language_choice(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "change language",
        "Language",
        "languages?",
        "语言",
        "換語言",
        "ngôn ngữ",
        "doi ngon ngu",
        "언어",
        "언어 변경",
        "言語",
        "言語を変更したい",
        "ภาษา",
        "เปลี่ยนภาษา",
        "wika",
        "palitan ang wika",
        "bahasa",
        "tukar bahasa",
        "ganti bahasa",
        "ဘာသာစကား",
        "ភាសា",
    ],
)
def test_change_language_requests(text: str) -> None:
    assert is_change_language_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "ภาษาไทย",
        "bahasa melayu",
        "they mocked my language",
        "he said I should learn the language properly before coming here",
        "ok",
        "hôm qua",
    ],
)
def test_not_change_language_requests(text: str) -> None:
    assert not is_change_language_request(text)
