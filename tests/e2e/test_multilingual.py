"""Whole reports in the person's own language through the real stack (REST channel)."""

from __future__ import annotations

import re
import uuid

import pytest

from bot.language import detect
from bot.store import service
from tests.e2e.conftest import RestChat, Stack

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")

# opener, a description, a date answer and a place, as people would write them (invented).
SCRIPTS = {
    "zh-Hans": ("你好，我想举报一件事", "昨天在公交车上有个男人骂我是病毒，还推了我。", "昨天", "曼彻斯特"),
    "zh-Hant": ("你好，我想舉報", "琴日喺巴士上面有個男人鬧我係病毒，仲推咗我。", "昨天", "曼徹斯特"),
    "vi": ("Xin chào, tôi muốn báo cáo một chuyện", "Hôm qua có người đàn ông chửi tôi trên xe buýt.", "hôm qua", "Manchester"),
    "ko": ("안녕하세요, 신고하고 싶어요", "어제 버스에서 어떤 남자가 저에게 바이러스라고 소리쳤어요.", "어제", "맨체스터"),
    "th": ("สวัสดีค่ะ อยากแจ้งเหตุ", "เมื่อวานมีผู้ชายตะโกนด่าฉันบนรถเมล์", "เมื่อวาน", "แมนเชสเตอร์"),
    "tl": ("Hello po, gusto ko mag-report", "Kahapon sinigawan ako ng isang lalaki sa bus at tinulak niya ako.", "kahapon", "Manchester"),
}


def in_language(text: str, code: str) -> bool:
    """True when our detector reads the bot's text as `code` (Latin text needs enough words)."""
    found = detect(text).language
    if code == "tl" and found in ("tl", None):
        return True
    return found == code


def bot_texts(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies if r.get("text") and not REFERENCE.search(r["text"])]


@pytest.mark.parametrize("code", sorted(SCRIPTS))
def test_complete_report_in_own_language(stack: Stack, code: str) -> None:
    opener, description, when, where = SCRIPTS[code]
    chat = RestChat(stack, f"ml-{code}-{uuid.uuid4().hex[:8]}")
    replies = chat.say(opener)
    if any("lang:" in p for p in chat.payloads(replies)):
        replies = chat.choose(f"lang:{code}")
    answers = [
        ("=victim", None), (description, None), ("=done", None), ("=verbal_abuse", None),
        ("=done", None), (when, None), (where, None), ("=public_transport", None),
        ("=race", None), ("=done", None), ("=skip", None), ("=emotional", None), ("=done", None),
        ("=anonymous", None), ("=no", None), ("=no", None),
    ]
    seen: list[str] = bot_texts(replies)
    for message, _ in answers:
        replies = chat.choose(message[1:]) if message.startswith("=") else chat.say(message)
        seen += bot_texts(replies)
    done = chat.choose("confirm")
    reference = REFERENCE.search(chat.text(done))
    assert reference, chat.text(done)
    # Every question and message the person saw was in their language (summary aside: it
    # quotes their own words).
    questions = [t for t in seen if not t.startswith(("Here is your report",)) and len(t) > 12]
    wrong = [t for t in questions if not in_language(t, code) and description not in t]
    assert not wrong, f"{code}: replies not in the language: {wrong[:3]}"
    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference.group(1))
    assert case["language"] == code
    assert case["incident"]["description"] == description  # stored as written
    assert case["incident"]["date_from"] is not None


def test_ok_does_not_switch_and_explicit_choice_sticks(stack: Stack) -> None:
    chat = RestChat(stack, f"ml-switch-{uuid.uuid4().hex[:8]}")
    replies = chat.say("Xin chào, tôi muốn báo cáo một chuyện")
    if any("lang:" in p for p in chat.payloads(replies)):
        chat.choose("lang:vi")
    chat.choose("victim")
    replies = chat.say("ok")  # one-word reply: stays Vietnamese
    assert all(in_language(t, "vi") for t in bot_texts(replies) if len(t) > 12)
    replies = chat.say("中文")  # explicit choice: Simplified Chinese from now on
    chat.say("昨天在公交车上有人骂我。")
    replies = chat.say("Thank you so much, I have nothing else to add to this part")
    texts = [t for t in bot_texts(replies) if len(t) > 6]
    assert texts and all(in_language(t, "zh-Hans") for t in texts), texts


def test_switching_language_mid_report_keeps_every_answer(stack: Stack) -> None:
    chat = RestChat(stack, f"ml-keep-{uuid.uuid4().hex[:8]}")
    replies = chat.say("hello")
    if any("lang:" in p for p in chat.payloads(replies)):
        chat.choose("lang:en")
    chat.choose("witness")
    chat.say("I saw a man shouting at a family in the park.")
    chat.choose("done")
    chat.choose("threats")
    replies = chat.say("change language")
    assert any("lang:ko" in p for p in chat.payloads(replies))
    replies = chat.choose("lang:ko")
    assert any(in_language(t, "ko") for t in bot_texts(replies))
    chat.choose("done")
    for message in ("어제", "런던"):
        chat.say(message)
    for value in ("street", "race", "done", "skip", "no_support", "none", "no"):
        chat.choose(value)
    summary = chat.choose("no")
    text = chat.text(summary)
    assert "I saw a man shouting at a family in the park." in text
    reference = REFERENCE.search(chat.text(chat.choose("confirm")))
    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference.group(1))
    assert case["incident"]["reporter_role"] == "witness"
    assert case["incident"]["incident_types"] == ["threats"]
    assert case["language"] == "ko"
