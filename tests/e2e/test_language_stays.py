"""The conversation stays in the person's language when they type a few English words (REST)."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import RestChat, Stack
from tests.e2e.test_multilingual import bot_texts, in_language

pytestmark = pytest.mark.e2e


def _start(chat: RestChat, opener: str, code: str) -> None:
    replies = chat.say(opener)
    # Detected from the opener, not chosen: a chosen (locked) language would prove nothing here.
    assert not any("lang:" in p for p in chat.payloads(replies)), chat.text(replies)
    assert all(in_language(t, code) for t in bot_texts(replies) if len(t) > 12)


def test_a_chinese_report_stays_chinese_when_the_person_types_last_week(stack: Stack) -> None:
    chat = RestChat(stack, f"ls-zh-{uuid.uuid4().hex[:8]}")
    _start(chat, "你好，我昨天在公交车上被人骂了，我想举报这件事。", "zh-Hans")
    chat.choose("victim")
    chat.say("有个男人在公交车上一直骂我，还叫我滚回中国去。")
    chat.choose("done")
    chat.choose("verbal_abuse")
    chat.choose("done")
    for typed in ("last week", "Manchester Piccadilly"):
        replies = chat.say(typed)
        texts = [t for t in bot_texts(replies) if len(t) > 6]
        assert texts and all(in_language(t, "zh-Hans") for t in texts), (typed, texts)


def test_a_korean_report_stays_korean_on_i_dont_know(stack: Stack) -> None:
    chat = RestChat(stack, f"ls-ko-{uuid.uuid4().hex[:8]}")
    _start(chat, "안녕하세요, 어제 버스에서 있었던 일을 신고하고 싶어요", "ko")
    chat.choose("victim")
    chat.say("어떤 남자가 버스에서 저한테 바이러스라고 소리를 질렀어요.")
    chat.choose("done")
    chat.choose("verbal_abuse")
    chat.choose("done")
    replies = chat.say("I don't know")
    texts = [t for t in bot_texts(replies) if len(t) > 6]
    assert texts and all(in_language(t, "ko") for t in texts), texts
