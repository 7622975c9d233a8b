"""People's questions are answered wherever they ask them, in their language, over the real stack
(REST): first thing, in the middle of describing what happened, at a question with buttons; a
person or an interpreter can be asked for at any step. Nothing asked is stored as an answer, the
pending question comes back, and no question gets the 999 message or a stop.

The phrasings are training examples (data/nlu/<code>/faq.yml): this tests the wiring end to end;
`make eval` measures how well unseen phrasings are recognised.
"""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

import pytest

from bot import i18n
from bot.store import service
from tests.e2e.conftest import RestChat, Stack

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")

#: code: (confidential?, who sees it?, police name?, interpreter, a person, description, when, where)
SCRIPTS = {
    "en": (
        "is this confidential", "who will see my report", "will the police know my name",
        "I need an interpreter", "I want to talk to a person",
        "A man on the bus shouted at me and told me to go home.", "yesterday", "Leeds",
    ),
    "zh-Hans": (
        "这是保密的吗", "谁会看到我的举报", "警察会知道我的名字吗", "我需要翻译", "我想和人说话",
        "昨天在公交车上有个男人对我大喊，叫我滚回去。", "昨天", "利兹",
    ),
    "vi": (
        "cái này có bảo mật không", "ai sẽ xem báo cáo của tôi", "cảnh sát có biết tên tôi không",
        "tôi cần phiên dịch", "gặp nhân viên",
        "Hôm qua trên xe buýt có người đàn ông quát tôi và bảo tôi cút về nước.", "hôm qua",
        "Leeds",
    ),
}


@functools.lru_cache(maxsize=1)
def _domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load("domain").as_dict()


def said(replies: list[dict[str, Any]], response: str, code: str) -> bool:
    """True when the replies hold `response` in language `code` (its first sentence)."""
    expected = i18n.text(_domain(), response, code).split("\n")[0].split("{")[0][:40].strip()
    return bool(expected) and expected in RestChat.text(replies)


def _no_alarm(replies: list[dict[str, Any]], code: str) -> None:
    assert not said(replies, "utter_emergency", code), RestChat.text(replies)
    assert not said(replies, "utter_ask_confirm_stop", code), RestChat.text(replies)


@pytest.mark.parametrize("code", sorted(SCRIPTS))
def test_questions_and_a_person_asked_for_anywhere_are_answered_and_never_stored(
    stack: Stack, code: str
) -> None:
    confidential, who_sees, police, interpreter, person, description, when, where = SCRIPTS[code]
    chat = RestChat(stack, f"faq-{code}-{uuid.uuid4().hex[:8]}")

    # Asked first, before any report: the answer, and the way on (report / talk to a person).
    replies = chat.say(confidential)
    assert said(replies, "utter_faq_confidential", code), chat.text(replies)
    assert "/report_incident" in chat.payloads(replies)
    _no_alarm(replies, code)

    chat.say("/report_incident")
    replies = chat.choose("victim")
    assert said(replies, "utter_ask_description", code)

    # Asked while describing: answered, not added to the description, the question comes back.
    replies = chat.say(who_sees)
    assert said(replies, "utter_faq_who_sees", code), chat.text(replies)
    _no_alarm(replies, code)
    chat.say(description)
    replies = chat.say(person)  # a person, asked for in natural words mid-description
    _no_alarm(replies, code)
    assert any(
        said(replies, name, code)
        for name in ("utter_human_closed", "utter_human_open_now", "utter_handoff_queued")
    ), chat.text(replies)
    if any("leave_queue" in p for p in chat.payloads(replies)):
        chat.choose("leave_queue")  # queued for an operator: back to the report for this test
    chat.choose("done")

    # Asked at a question answered with buttons: answered, and the buttons come back.
    replies = chat.say(interpreter)
    assert said(replies, "utter_faq_own_language", code), chat.text(replies)
    _no_alarm(replies, code)
    assert any("verbal_abuse" in p for p in chat.payloads(replies)), chat.text(replies)

    for step in ("verbal_abuse", "done"):
        chat.choose(step)
    chat.say(when)  # read back with a way to correct it; the next question follows
    chat.say(where)
    for step in ("public_transport", "race", "done", "skip", "emotional", "done"):
        chat.choose(step)
    replies = chat.say(police)  # at the police question itself
    assert said(replies, "utter_faq_police_name", code), chat.text(replies)
    assert any("anonymous" in p for p in chat.payloads(replies)), chat.text(replies)
    for step in ("anonymous", "no", "no"):
        replies = chat.choose(step)
    done = chat.choose("confirm")
    reference = REFERENCE.search(chat.text(done))
    assert reference, chat.text(done)
    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference.group(1))
    assert case["incident"]["description"] == description  # the questions were not stored
    assert case["language"] == code
    assert case["police_referral"] == "anonymous"
