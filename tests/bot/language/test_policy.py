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


# --- The language stays the person's (history) and a switch is offered, never imposed -----------

ZH_HISTORY = ["我在公交车上被两个人骂了，他们一直跟着我到车站"]
KO_HISTORY = ["지난주에 버스에서 어떤 남자가 저한테 소리를 질렀어요"]
VI_HISTORY = ["tôi bị hai người đàn ông chửi bới trên xe buýt"]


@pytest.mark.parametrize(
    ("current", "history", "text"),
    [
        ("zh-Hans", ZH_HISTORY, "last week"),
        ("zh-Hans", ZH_HISTORY, "about two weeks ago"),
        ("zh-Hans", ZH_HISTORY, "Manchester Piccadilly station"),
        ("zh-Hans", ZH_HISTORY, "skip"),
        ("zh-Hans", ZH_HISTORY, "I don't know"),
        ("zh-Hans", ZH_HISTORY, "on the bus near Chinatown"),
        ("ko", KO_HISTORY, "I don't know"),
        ("ko", KO_HISTORY, "last Friday"),
        ("ko", KO_HISTORY, "Oxford Street, London"),
        ("vi", VI_HISTORY, "not sure"),
        ("vi", VI_HISTORY, "in the park near my house"),
        ("en", ["I was shouted at on the bus by a man"], "hôm qua"),
        ("en", ["I was shouted at on the bus by a man"], "上周五"),
    ],
)
def test_a_few_words_of_another_language_never_switch(current: str, history: list[str], text: str) -> None:
    assert choose_language(text, current=current, locked=False, hint=None, history=history) == (
        Decision(current, changed=False, ask=False)
    )


def test_one_long_message_in_another_language_is_not_enough() -> None:
    decision = choose_language(
        "I was followed from the station by a group of teenagers", current="zh-Hans",
        locked=False, hint=None, history=ZH_HISTORY,
    )
    assert decision == Decision("zh-Hans", changed=False, ask=False)


def test_several_long_messages_in_another_language_offer_the_switch() -> None:
    history = [*ZH_HISTORY, "They shouted at me and told me to go back to my country"]
    decision = choose_language(
        "Then they followed me from the station all the way to my house", current="zh-Hans",
        locked=False, hint=None, history=history,
    )
    assert decision == Decision("zh-Hans", changed=False, ask=False, offer="en")


def test_the_offer_is_made_once_per_language() -> None:
    history = [*KO_HISTORY, "tôi bị hai người đàn ông chửi bới trên xe buýt hôm qua"]
    text = "họ đi theo tôi từ nhà ga về đến tận nhà của tôi"
    assert choose_language(text, current="ko", locked=False, hint=None, history=history).offer == "vi"
    again = choose_language(text, current="ko", locked=False, hint=None, history=history, offered=["vi"])
    assert again == Decision("ko", changed=False, ask=False)


def test_an_explicit_choice_or_a_lock_always_wins_over_evidence() -> None:
    history = [*ZH_HISTORY, "They shouted at me and told me to go back to my country"]
    text = "Then they followed me from the station all the way to my house"
    assert choose_language(text, current="zh-Hans", locked=True, hint=None, history=history) == (
        Decision("zh-Hans", changed=False, ask=False)
    )
    assert choose_language("English", current="zh-Hans", locked=True, hint=None, history=history) == (
        Decision("en", changed=True, ask=False)
    )
    assert choose_language("Tiếng Việt", current="zh-Hans", locked=False, hint=None,
                           history=history) == Decision("vi", changed=True, ask=False)


def test_a_language_from_the_channel_hint_still_follows_the_first_real_message() -> None:
    # Nothing written yet (the language came from the phone's locale): a clear sentence decides.
    decision = choose_language("tôi bị đánh trên xe buýt", current="en", locked=False, hint="en",
                               history=["ok", "👍"])
    assert decision == Decision("vi", changed=True, ask=False)


@pytest.mark.parametrize("text", ["last week", "I don't know", "Oxford Street", "not sure", "hôm qua"])
def test_short_latin_replies_never_switch_even_before_the_person_has_typed(text: str) -> None:
    # The language came from the phone's locale and the person has only pressed buttons so far.
    assert choose_language(text, current="zh-Hans", locked=False, hint="zh-CN", history=[]) == (
        Decision("zh-Hans", changed=False, ask=False)
    )
