"""The per-message language decision (actions/session.py): keeps, offers, never imposes a switch.

One function (`decide_language`) for the `language` slot's mapping action outside a form and the
forms' validation inside one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import (
    ActionAskLanguageChoice,
    ActionDetectLanguage,
    decide_language,
    offer_message,
)
from bot import languages

ROOT = Path(__file__).resolve().parents[3]
ZH_DESCRIPTION = "我在公交车上被两个人骂了，他们一直跟着我到车站"
EN_LONG_1 = "They shouted at me and told me to go back to my country"
EN_LONG_2 = "Then they followed me from the station all the way to my house"


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}}
    for path in (ROOT / "domain").glob("*.yml"):
        merged["responses"].update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return merged


def tracker(text: str, earlier: list[str], slots: dict[str, Any], in_report: bool = True) -> Tracker:
    events: list[dict[str, Any]] = [{"event": "session_started"}]
    for said in [*earlier, text]:
        events.append({"event": "user", "text": said})
    latest = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    if text.startswith("/"):
        latest["entities"] = []
    return Tracker(
        "test", {"requested_slot": "incident_date", **slots}, latest, events, False, None,
        {"name": "report_form"} if in_report else {}, "action_listen",
    )


def extract(domain: dict, t: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    result = decide_language(dispatcher, t, domain)
    return result, dispatcher.messages


@pytest.mark.parametrize("typed", ["last week", "I don't know", "skip", "Manchester", "Oxford Street"])
def test_a_chinese_report_stays_chinese_on_a_few_english_words(domain: dict, typed: str) -> None:
    updates, sent = extract(domain, tracker(typed, [ZH_DESCRIPTION], {"language": "zh-Hans"}))
    assert "language" not in updates and "language_offer" not in updates and sent == []


def test_korean_report_stays_korean_on_i_dont_know(domain: dict) -> None:
    updates, sent = extract(domain, tracker(
        "I don't know", ["지난주에 버스에서 어떤 남자가 저한테 소리를 질렀어요"], {"language": "ko"}))
    assert updates == {} and sent == []


def test_strong_evidence_in_a_report_asks_the_offer_as_the_next_question(domain: dict) -> None:
    updates, sent = extract(domain, tracker(EN_LONG_2, [ZH_DESCRIPTION, EN_LONG_1],
                                            {"language": "zh-Hans"}))
    assert "language" not in updates  # offered, not imposed
    assert updates["pending_control"] == "language_choice"
    assert updates["language_offer"] == {"open": "en", "made": ["en"]}
    assert sent == []  # the report asks it (action_ask_language_choice)


def test_no_offer_while_the_person_is_telling_what_happened(domain: dict) -> None:
    t = tracker(EN_LONG_2, [ZH_DESCRIPTION, EN_LONG_1],
                {"language": "zh-Hans", "requested_slot": "description"})
    updates, sent = extract(domain, t)
    assert updates == {} and sent == []


def test_the_offer_is_in_both_languages_with_a_button_in_each(domain: dict) -> None:
    message = offer_message(domain, "zh-Hans", "en")
    assert "English" in message["text"] and "继续" in message["text"]
    assert message["text"].index("Would you like") < message["text"].index("改用")
    assert [b["title"] for b in message["buttons"]] == ["Continue in English", "继续用中文"]
    assert [b["payload"] for b in message["buttons"]] == [
        '/inform{"choice":"lang:en"}', '/inform{"choice":"lang:zh-Hans"}']


@pytest.mark.parametrize("current", languages.codes())
def test_the_offer_exists_in_every_language(domain: dict, current: str) -> None:
    offered = "en" if current != "en" else "vi"
    message = offer_message(domain, current, offered)
    assert len(message["buttons"]) == 2 and "{offered}" not in message["text"]
    own = languages.get(offered).own_name
    assert message["text"].count(own) == 2, message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert len(set(titles)) == 2


def test_ask_action_shows_the_offer_when_one_is_open_else_the_menu(domain: dict) -> None:
    slots = {"language": "zh-Hans", "language_offer": {"open": "en", "made": ["en"]},
             "requested_slot": "language_choice"}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskLanguageChoice().run(dispatcher, tracker("x", [], slots), domain))
    assert len(dispatcher.messages) == 1 and len(dispatcher.messages[0]["buttons"]) == 2
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskLanguageChoice().run(
        dispatcher, tracker("x", [], {"language": "zh-Hans"}), domain))
    assert dispatcher.messages[0]["response"] == "utter_ask_language_choice"


def test_accepting_the_offer_switches_and_locks_and_closes_it(domain: dict) -> None:
    slots = {"language": "zh-Hans", "language_offer": {"open": "en", "made": ["en"]},
             "requested_slot": "language_choice"}
    updates, _ = extract(domain, tracker('/inform{"choice":"lang:en"}', [ZH_DESCRIPTION], slots))
    assert updates["language"] == "en" and updates["language_locked"] is True
    assert updates["language_offer"] == {"open": None, "made": ["en"]}


def test_passing_over_the_offer_keeps_the_language_and_never_offers_again(domain: dict) -> None:
    slots = {"language": "zh-Hans", "language_offer": {"open": "en", "made": ["en"]},
             "requested_slot": "language_choice"}
    updates, _ = extract(domain, tracker("near the station in Leeds city centre", [ZH_DESCRIPTION,
                                         EN_LONG_1, EN_LONG_2], slots))
    assert "language" not in updates and updates["language_offer"] == {"open": None, "made": ["en"]}
    slots = {"language": "zh-Hans", "language_offer": {"open": None, "made": ["en"]}}
    updates, sent = extract(domain, tracker("It was a really frightening day for my whole family",
                                            [ZH_DESCRIPTION, EN_LONG_1, EN_LONG_2], slots))
    assert updates == {} and sent == []


def test_outside_a_report_the_offer_is_sent_at_once(domain: dict) -> None:
    updates, sent = extract(domain, tracker(EN_LONG_2, [ZH_DESCRIPTION, EN_LONG_1],
                                            {"language": "zh-Hans"}, in_report=False))
    assert "language" not in updates and "pending_control" not in updates
    assert updates["language_offer"] == {"open": None, "made": ["en"]}
    assert len(sent) == 1 and len(sent[0]["buttons"]) == 2


def test_a_locked_language_is_never_offered_away(domain: dict) -> None:
    updates, sent = extract(domain, tracker(EN_LONG_2, [ZH_DESCRIPTION, EN_LONG_1],
                                            {"language": "zh-Hans", "language_locked": True}))
    assert updates == {} and sent == []


def test_an_explicit_choice_always_wins(domain: dict) -> None:
    updates, _ = extract(domain, tracker("English please", [ZH_DESCRIPTION], {"language": "zh-Hans"}))
    assert updates.get("language") == "en" and updates.get("language_locked") is True


def test_the_mapping_action_sets_what_the_decision_changes(domain: dict) -> None:
    t = tracker(EN_LONG_2, [ZH_DESCRIPTION, EN_LONG_1], {"language": "zh-Hans"}, in_report=False)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionDetectLanguage().run(dispatcher, t, domain))
    assert events == [{"event": "slot", "timestamp": None, "name": "language_offer",
                       "value": {"open": None, "made": ["en"]}}]
    assert len(dispatcher.messages) == 1  # the offer, sent at once outside a report
    dispatcher = CollectingDispatcher()
    t = tracker("English please", [ZH_DESCRIPTION], {"language": "zh-Hans"}, in_report=False)
    events = asyncio.run(ActionDetectLanguage().run(dispatcher, t, domain))
    assert {e["name"]: e["value"] for e in events} == {
        "language": "en", "language_locked": True, "language_ask": False}
