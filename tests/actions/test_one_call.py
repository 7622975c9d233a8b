"""One action-server call per report turn: the language decided inside the form's validation.

Outside a form the `language` slot's custom mapping runs `action_detect_language`; inside
`report_form`/`access_form` their validation decides first, and when it changes the language its
own replies are rendered by the action exactly as Rasa's NLG renders them for the new language.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._common import fresh_answer, render_in_language
from actions.access import ValidateAccessForm
from actions.intake import ValidateReportForm
from bot import i18n, languages

ROOT = Path(__file__).resolve().parents[2]
VI_TEXT = "Tôi bị hai người đàn ông chửi trên xe buýt hôm qua"


def _domain_files() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) or {} for p in sorted((ROOT / "domain").glob("*.yml"))]


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}, "forms": {}, "slots": {}, "actions": []}
    for data in _domain_files():
        for key in ("responses", "forms", "slots"):
            merged[key].update(data.get(key) or {})
        # an action is a name, or {name: {send_domain: false}}
        merged["actions"] += [a if isinstance(a, str) else next(iter(a))
                              for a in data.get("actions") or []]
    return merged


def _tracker(text: str, slots: dict[str, Any], after_user: list[str], form: str = "report_form",
             earlier: tuple[str, ...] = ("hello",)) -> Tracker:
    events: list[dict[str, Any]] = [{"event": "session_started"}]
    for said in earlier:
        events += [{"event": "action", "name": "action_listen"}, {"event": "user", "text": said}]
    events += [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
    events += [{"event": "action", "name": name} for name in after_user]
    latest = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    return Tracker("test", slots, latest, events, False, None, {"name": form}, after_user[-1])


def test_no_validation_action_runs_on_every_message(domain: dict) -> None:
    # Rasa calls `action_validate_slot_mappings` after every message whenever the domain lists it.
    assert "action_validate_slot_mappings" not in domain["actions"]
    assert "action_detect_language" in domain["actions"]
    mappings = domain["slots"]["language"]["mappings"]
    assert mappings == [{"type": "custom", "action": "action_detect_language",
                         "conditions": [{"active_loop": None}]}]


def test_the_mapping_condition_keeps_the_language_action_outside_forms() -> None:
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.shared.core.events import ActiveLoop
    from rasa.shared.core.trackers import DialogueStateTracker

    mapping = {"type": "custom", "action": "action_detect_language",
               "conditions": [{"active_loop": None}]}
    outside = DialogueStateTracker.from_events("s", [])
    inside = DialogueStateTracker.from_events("s", [ActiveLoop("report_form")])
    assert ActionExtractSlots._verify_mapping_conditions(mapping, outside, "language")
    assert not ActionExtractSlots._verify_mapping_conditions(mapping, inside, "language")


def test_a_fresh_answer_is_told_from_a_form_run_again() -> None:
    assert fresh_answer(_tracker("x", {}, ["report_form"]))
    assert fresh_answer(_tracker("x", {}, ["action_extract_slots", "report_form"]))
    assert not fresh_answer(_tracker("x", {}, ["action_start_report", "report_form"]))
    assert not fresh_answer(_tracker("x", {}, ["action_finish_report", "report_form"]))


def test_a_switch_inside_the_report_is_decided_and_answered_in_one_call(domain: dict) -> None:
    slots = {"language": "en", "requested_slot": "reporter_role", "reporter_role": VI_TEXT}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm().run(
        dispatcher, _tracker(VI_TEXT, slots, ["report_form"]), domain))
    assert events[0] == {"event": "slot", "timestamp": None, "name": "language", "value": "vi"}
    assert dispatcher.messages, "the form answers the unclear reply"
    for message in dispatcher.messages:
        assert message["response"] is None  # rendered here, in the new language
        name = message["utter_action"]
        assert message["text"] == i18n.text(domain, name, "vi") != i18n.text(domain, name, "en")


def test_without_a_switch_the_replies_stay_responses_for_rasa(domain: dict) -> None:
    slots = {"language": "vi", "requested_slot": "reporter_role", "reporter_role": VI_TEXT}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm().run(
        dispatcher, _tracker(VI_TEXT, slots, ["report_form"]), domain))
    assert not [e for e in events if e["name"] == "language"]
    assert dispatcher.messages and all(m["response"] for m in dispatcher.messages)


def test_no_second_decision_when_the_form_runs_again_after_an_action(domain: dict) -> None:
    slots = {"language": "en", "requested_slot": "reporter_role", "reporter_role": VI_TEXT}
    events = asyncio.run(ValidateReportForm().run(
        CollectingDispatcher(), _tracker(VI_TEXT, slots, ["action_finish_report", "report_form"]),
        domain))
    assert not [e for e in events if e["name"].startswith("language")]


def test_the_access_form_decides_the_language_too(domain: dict) -> None:
    slots = {"language": "zh-Hans", "requested_slot": "access_reference"}
    t = _tracker("English please", slots, ["access_form"], form="access_form")
    dispatcher = CollectingDispatcher()

    class _NoStore(ValidateAccessForm):
        async def get_validation_events(self, *_args: Any) -> list[Any]:
            return []  # the answer needs the case store; the language does not

    events = asyncio.run(_NoStore().run(dispatcher, t, domain))
    assert {e["name"]: e["value"] for e in events[:3]} == {
        "language": "en", "language_locked": True, "language_ask": False}


def _rasa_uttered(messages: list[dict[str, Any]], slots: dict[str, Any], domain_dir: Path) -> list:
    """What Rasa 3.6 makes of an action's messages (RemoteAction._utter_responses)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_domain = _rasa_domain(domain_dir)
    tracker = DialogueStateTracker.from_events(
        "s", [SlotSet(k, v) for k, v in slots.items()], slots=rasa_domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    uttered = asyncio.run(RemoteAction._utter_responses(
        [dict(m) for m in messages], CollectingOutputChannel(), nlg, tracker))
    return [{k: v for k, v in u.as_dict().items() if k != "timestamp"} for u in uttered]


_RASA_DOMAIN: dict[str, Any] = {}


def _rasa_domain(domain_dir: Path) -> Any:
    from rasa.shared.core.domain import Domain

    if "domain" not in _RASA_DOMAIN:
        _RASA_DOMAIN["domain"] = Domain.load(str(domain_dir))
    return _RASA_DOMAIN["domain"]


# English (no condition), and three others of different scripts: every language's variations are
# written by the same script (scripts/build_domain.py), so these cover their shapes.
@pytest.mark.parametrize("language", ["en", "vi", "zh-Hans", "th"])
def test_replies_rendered_here_are_what_rasa_renders_in_that_language(
    domain: dict, language: str
) -> None:
    """Every response of the domain, with the values actions pass: the same bot message."""
    assert language in languages.codes()
    values = {"reference": "ABCD-2345", "days": 30, "selected": "a, b", "offered": "English",
              "place": "3rd", "when": "Monday 10:00", "summary": "x"}
    names = sorted(domain["responses"])
    # Rasa sends every slot of the domain (None when unset), as the action sees them.
    slots_before = {**{name: None for name in domain["slots"]},
                    "language": "en" if language != "en" else "vi", "requested_slot": "police"}
    slots_after = {**slots_before, "language": language}
    sent = []
    for name in names:
        dispatcher = CollectingDispatcher()
        dispatcher.utter_message(response=name, **values)
        dispatcher.utter_message(response=name, buttons=[{"title": "t", "payload": "/x"}])
        sent += dispatcher.messages
    ours = CollectingDispatcher()
    ours.messages = [dict(m) for m in sent]
    render_in_language(ours, domain, slots_after)
    assert all(m["response"] is None for m in ours.messages)
    # Rasa rendering the original messages with the new language in the tracker, against Rasa
    # passing on the messages rendered here (rendered with the old language in the tracker).
    expected = _rasa_uttered(sent, slots_after, ROOT / "domain")
    got = _rasa_uttered(ours.messages, slots_before, ROOT / "domain")
    assert len(got) == len(expected) == 2 * len(names)
    assert got == expected


# ------------------------------------------------------------------ the questions, without a call


def test_no_report_question_costs_a_call_of_its_own(domain: dict) -> None:
    from actions.asks import ASKED_FOR, SENT_BY_VALIDATION

    asks_in_domain = {a for a in domain["actions"] if a.startswith("action_ask_")}
    # Left: the consents still held, asked in the "my report" form (they come from the store).
    assert asks_in_domain == {"action_ask_access_withdraw"}
    form = domain["forms"]["report_form"]["required_slots"]
    for slot in ASKED_FOR:
        assert slot in form
        assert domain["slots"][slot]["mappings"] == [{"type": "from_text", "conditions": [
            {"active_loop": "report_form", "requested_slot": slot}]}]
        asked_by_rasa = f"utter_ask_{slot}" in domain["responses"]
        assert asked_by_rasa == (slot not in SENT_BY_VALIDATION), slot


def test_each_wording_is_requested_under_its_own_slot() -> None:
    from actions.asks import ask_slot

    assert ask_slot({}, "description") == "description"
    assert ask_slot({"description_parts": ["x"]}, "description") == "description_more"
    assert ask_slot({}, "incident_types") == "incident_types"
    assert ask_slot({"pending_choices": ["verbal_abuse"]}, "motivations") == "motivations_more"
    assert ask_slot({"caseworker": "yes"}, "contact_phone") == "contact_phone_needed"
    assert ask_slot({"police": "named"}, "contact_email") == "contact_email_needed"
    assert ask_slot({}, "contact_email") == "contact_email"


def _turn(domain: dict, text: str, slots: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """One answer to the form, as Rasa runs it: the asked slot filled from the text, then the
    validation; returns the slots after it and what it sent."""
    requested = slots["requested_slot"]
    slots = {**{name: None for name in domain["slots"]}, **slots, requested: text}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm().run(
        dispatcher, _tracker(text, slots, ["report_form"]), domain))
    for event in events:
        slots[event["name"]] = event["value"]
    return slots, dispatcher.messages


def test_a_multi_select_asks_for_more_in_the_same_call(domain: dict) -> None:
    slots = {"language": "en", "reporter_role": "victim", "description": "x",
             "requested_slot": "incident_types"}
    slots, sent = _turn(domain, '/inform{"choice":"verbal_abuse"}', slots)
    assert slots["requested_slot"] == "incident_types_more"
    assert slots["incident_types"] is None and slots["pending_choices"] == ["verbal_abuse"]
    assert sent[-1]["response"] == "utter_ask_more_choices"
    offered = [b["payload"] for b in sent[-1]["buttons"]]
    assert offered and not [p for p in offered if "verbal_abuse" in p]
    slots, sent = _turn(domain, '/inform{"choice":"done"}', slots)
    assert slots["incident_types"] == ["verbal_abuse"] and slots["incident_types_more"] is None
    assert slots["requested_slot"] == "incident_date"
    assert not [m for m in sent if m["response"] == "utter_ask_more_choices"]


def test_telling_more_is_asked_by_its_own_response(domain: dict) -> None:
    slots = {"language": "en", "reporter_role": "victim", "requested_slot": "description"}
    slots, sent = _turn(domain, "Two men shouted at me outside the station.", slots)
    assert slots["requested_slot"] == "description_more"  # Rasa: utter_ask_description_more
    assert slots["description"] is None and slots["description_parts"]
    slots, _ = _turn(domain, "One of them threw a drink at me.", slots)
    assert slots["requested_slot"] == "description_more" and len(slots["description_parts"]) == 2
    assert slots["description_more"] is None
    slots, _ = _turn(domain, '/inform{"choice":"done"}', slots)
    assert slots["description"] and slots["requested_slot"] == "incident_types"


def test_the_summary_comes_before_the_question_in_the_same_call(domain: dict) -> None:
    from bot.intake import engine

    slots: dict[str, Any] = {"language": "en", "reporter_role": "victim", "description": "x",
                             "incident_types": ["verbal_abuse"], "incident_date": "2026-11-30",
                             "location": "Leeds", "place_type": "street", "motivations": ["race"],
                             "perpetrator": "skipped", "support_needs": ["no_support"],
                             "police": "no", "caseworker": "no"}
    missing = [s for s in engine.required_slots(slots) if slots.get(s) is None]
    assert missing[:2] == ["contact_wanted", "summary_confirmed"]
    slots["requested_slot"] = "contact_wanted"
    slots, sent = _turn(domain, '/inform{"choice":"no"}', slots)
    assert slots["requested_slot"] == "summary_confirmed"
    assert sent[-1]["response"] == "utter_summary"  # then Rasa: utter_ask_summary_confirmed
    assert sent[-1]["s_description"] == "x"  # read back from the slots after this answer


def test_the_language_offer_is_asked_in_the_same_call(domain: dict) -> None:
    zh = "我在公交车上被两个人骂了，他们一直跟着我到车站"
    en_1 = "They shouted at me and told me to go back to my country"
    en_2 = "Then they followed me from the station all the way to my house"
    slots = {**{name: None for name in domain["slots"]}, "language": "zh-Hans",
             "reporter_role": "victim", "description": "x", "incident_types": ["verbal_abuse"],
             "requested_slot": "incident_date", "incident_date": en_2}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm().run(
        dispatcher, _tracker(en_2, slots, ["report_form"], earlier=(zh, en_1)), domain))
    for event in events:
        slots[event["name"]] = event["value"]
    assert slots["language"] == "zh-Hans" and slots["pending_control"] == "language_choice"
    assert slots["requested_slot"] == "language_choice_offer"
    offer = dispatcher.messages[-1]
    assert "English" in offer["text"] and len(offer["buttons"]) == 2
    slots, sent = _turn(domain, '/inform{"choice":"lang:en"}', slots)
    assert slots["language"] == "en" and slots["language_locked"] is True
    assert slots["pending_control"] is None and slots["language_choice_offer"] is None
    assert slots["requested_slot"] != "language_choice_offer"
    # The menu (no offer open) is Rasa's own response: nothing sent for it here.
    from actions.asks import ask_slot

    assert ask_slot({"language": "en"}, "language_choice") == "language_choice"
