"""The bot's own example dates are understood over REST in the languages that refused them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import i18n
from tests.e2e.conftest import RestChat, Stack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

# opener, a description, and examples from utter_ask_incident_date that used to be refused.
CASES = {
    "vi": ("Xin chào, tôi muốn báo cáo một chuyện", "Có người đàn ông chửi tôi trên xe buýt.",
           "thứ Sáu tuần trước"),
    "km": ("សួស្តី ខ្ញុំចង់រាយការណ៍រឿងមួយ", "មានបុរសម្នាក់ជេរខ្ញុំនៅលើឡានក្រុង។", "ថ្ងៃសុក្រមុន"),
    "my": ("မင်္ဂလာပါ၊ ကျွန်တော် တိုင်ကြားချင်ပါတယ်", "ဘတ်စ်ကားပေါ်မှာ လူတစ်ယောက်က ကျွန်တော့်ကို ဆဲခဲ့တယ်။",
           "နှစ်ပတ်လောက်က"),
    "zh-Hant": ("你好，我想舉報", "琴日喺巴士上面有個男人鬧我。", "大約兩星期前"),
}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}}
    for path in (ROOT / "domain").glob("*.yml"):
        merged["responses"].update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return merged


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_bots_own_example_date_is_understood(stack: Stack, domain: dict, code: str) -> None:
    opener, description, example = CASES[code]
    chat = RestChat(stack, f"dt-{code}-{uuid.uuid4().hex[:8]}")
    replies = chat.say(opener)
    if any("lang:" in p for p in chat.payloads(replies)):
        chat.choose(f"lang:{code}")
    chat.choose("victim")
    chat.say(description)
    chat.choose("done")
    chat.choose("verbal_abuse")
    replies = chat.choose("done")
    assert i18n.text(domain, "utter_ask_incident_date", code)[:12] in chat.text(replies)
    replies = chat.say(example)
    said = chat.text(replies)
    refused = i18n.text(domain, "utter_date_not_understood", code)
    assert refused[:15] not in said, f"{code}: {example!r} refused"
    assert i18n.text(domain, "utter_ask_location", code)[:10] in said, said
