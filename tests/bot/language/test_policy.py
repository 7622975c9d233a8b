"""Tests for bot.language.policy: non-linguistic messages and the switching rules."""

from __future__ import annotations

import pytest

from bot.language import Decision, choose_language, is_non_linguistic


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ok",
        "OK",
        "okay",
        "k",
        "yes",
        "No",
        "thx",
        "👍",
        "1",
        "12:30",
        "?!",
        "haha",
        "ㅋㅋㅋ",
        "555",
        "哈哈",
        "ok lah",
        "bus",
        "https://example.org/x",
        "a@b.co",
        "😡😡 !!",
    ],
)
def test_non_linguistic_messages(text: str) -> None:
    assert is_non_linguistic(text)


@pytest.mark.parametrize("text", ["hôm qua", "semalam", "在公交车上", "지난 금요일", "on the bus"])
def test_linguistic_messages(text: str) -> None:
    assert not is_non_linguistic(text)


@pytest.mark.parametrize("text", ["ok", "1", "👍", "yes", "k", "thx", "bus"])
@pytest.mark.parametrize("current", ["en", "vi", "zh-Hant"])
def test_non_linguistic_never_switches(text: str, current: str) -> None:
    assert choose_language(text, current=current, locked=False, hint="ko") == Decision(
        current, changed=False, ask=False
    )


@pytest.mark.parametrize("text", ["semalam", "kemarin", "昨天", "kahapon"])
def test_one_word_never_switches(text: str) -> None:
    assert choose_language(text, current="en", locked=False, hint=None) == Decision(
        "en", changed=False, ask=False
    )


def test_clear_sentence_switches_unlocked_language() -> None:
    decision = choose_language("tôi bị đánh trên xe buýt", current="en", locked=False, hint=None)
    assert decision == Decision("vi", changed=True, ask=False)


def test_script_decided_sentence_switches() -> None:
    decision = choose_language("지난 금요일 버스에서", current="en", locked=False, hint=None)
    assert decision == Decision("ko", changed=True, ask=False)


def test_low_confidence_does_not_switch() -> None:
    # Han text with no distinguishing character: not enough to move a Traditional speaker.
    decision = choose_language("有人吐口水", current="zh-Hant", locked=False, hint=None)
    assert decision == Decision("zh-Hant", changed=False, ask=False)


def test_locked_language_ignores_detection() -> None:
    decision = choose_language("지난 금요일 버스에서", current="en", locked=True, hint="ko")
    assert decision == Decision("en", changed=False, ask=False)


def test_locked_language_changes_on_explicit_choice() -> None:
    assert choose_language("한국어", current="en", locked=True, hint=None) == Decision(
        "ko", changed=True, ask=False
    )
    assert choose_language('/inform{"choice":"lang:vi"}', current="en", locked=True, hint=None) == (
        Decision("vi", changed=True, ask=False)
    )


def test_choosing_current_language_is_not_a_change() -> None:
    assert choose_language("English", current="en", locked=True, hint=None) == Decision(
        "en", changed=False, ask=False
    )


def test_no_current_and_no_signal_asks_using_hint() -> None:
    assert choose_language("👍", current=None, locked=False, hint="zh-TW") == Decision(
        "zh-Hant", changed=True, ask=True
    )
    assert choose_language("ok", current=None, locked=False, hint="vi") == Decision(
        "vi", changed=True, ask=True
    )


def test_no_current_no_signal_no_hint_asks_with_nothing() -> None:
    assert choose_language("ok", current=None, locked=False, hint=None) == Decision(
        None, changed=False, ask=True
    )


def test_no_current_and_confident_text_sets_without_asking() -> None:
    assert choose_language("在公交车上被人骂", current=None, locked=False, hint=None) == Decision(
        "zh-Hans", changed=True, ask=False
    )


def test_no_current_and_weak_text_asks_with_best_guess() -> None:
    decision = choose_language("有人吐口水", current=None, locked=False, hint="zh-HK")
    assert decision.ask is True
    assert decision.language == "zh-Hant"
