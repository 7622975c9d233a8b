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
        merged["actions"] += data.get("actions") or []
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
        @staticmethod
        def _answer_events(*_args: Any) -> list[Any]:  # the store is not needed to decide
            return []

    events = asyncio.run(_NoStore().get_validation_events(dispatcher, t, domain))
    assert {e["name"]: e["value"] for e in events} == {
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
