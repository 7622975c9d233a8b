"""Action-server calls carry the recent events only (bot/reliability.py), and nothing an
action needs is lost."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from actions.session import HISTORY_MESSAGES
from bot import reliability

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  language: {type: text, mappings: [{type: custom}]}
  description: {type: text, mappings: [{type: custom}]}
forms:
  report_form: {required_slots: [description]}
actions: [validate_report_form]
""")


def _call_format() -> tuple[Any, Any]:
    """(Rasa's own call format, ours) — whether or not the guard is installed yet."""
    installed = RemoteAction._action_call_format
    rasa = getattr(installed, "rasa_call_format", None)
    if rasa is None:
        class Probe(RemoteAction):
            pass

        reliability._install_recent_events_for_actions(Probe)
        return installed, Probe._action_call_format
    return rasa, installed


def _conversation(typed: int, buttons_every: int = 0) -> list[Event]:
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted(),
                           ActionExecuted("action_listen"),
                           UserUttered("hello", {"name": "greet", "confidence": 1.0}),
                           ActionExecuted("report_form"), ActiveLoop("report_form"),
                           SlotSet("requested_slot", "description"),
                           BotUttered("What happened?"), ActionExecuted("action_listen")]
    for n in range(typed):
        if buttons_every and n % buttons_every == 0:
            events += [UserUttered('/inform{"choice":"x"}', {"name": "inform"}),
                       ActionExecuted("report_form"), ActionExecuted("action_listen")]
        events += [UserUttered(f"detail number {n}", {"name": "inform", "confidence": 0.9}),
                   SlotSet("language", "en"), SlotSet("description", f"text {n}"),
                   ActionExecuted("report_form"), BotUttered("Anything else?"),
                   ActionExecuted("action_listen")]
    return events


def _tracker(events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", events, DOMAIN.slots)


def _bodies(events: list[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    rasa, ours = _call_format()
    action = RemoteAction("validate_report_form",
                          EndpointConfig("http://127.0.0.1:1/webhook"))
    tracker = _tracker(events)
    return rasa(action, tracker, DOMAIN), ours(action, tracker, DOMAIN)


def test_a_short_conversation_is_sent_exactly_as_rasa_sends_it() -> None:
    """Rasa's call format reads only what the view offers (a Rasa upgrade that reads more of
    the tracker fails here)."""
    rasa_body, our_body = _bodies(_conversation(3))
    assert our_body == rasa_body


@pytest.mark.parametrize("buttons_every", [0, 2])
def test_a_long_conversation_sends_its_recent_events_and_the_same_state(
    buttons_every: int,
) -> None:
    rasa_body, our_body = _bodies(_conversation(80, buttons_every))
    rasa_state, our_state = rasa_body["tracker"], our_body["tracker"]
    assert {k: v for k, v in our_state.items() if k != "events"} == {
        k: v for k, v in rasa_state.items() if k != "events"}
    sent = our_state["events"]
    assert sent == rasa_state["events"][-len(sent):]  # the tail, unchanged
    assert len(sent) < len(rasa_state["events"]) / 4
    typed = [e["text"] for e in sent if e["event"] == "user" and not e["text"].startswith("/")]
    assert typed[0] == "detail number 71"  # the language policy's 8 + the one being handled
    assert len(typed) == reliability.ACTION_TYPED_MESSAGES


def test_the_sent_events_are_bounded_whatever_the_length() -> None:
    sizes = [len(_bodies(_conversation(n))[1]["tracker"]["events"]) for n in (20, 60, 200)]
    assert sizes[0] == sizes[1] == sizes[2] <= reliability.ACTION_EVENTS_CAP
    only_buttons = _conversation(0) + [
        e for _ in range(400) for e in (UserUttered("/affirm", {"name": "affirm"}),
                                        ActionExecuted("action_listen"))]
    assert len(reliability.recent_events(only_buttons)) == reliability.ACTION_EVENTS_CAP


def test_a_new_session_starts_what_is_sent() -> None:
    events = _conversation(20) + [ActionExecuted("action_session_start"), SessionStarted(),
                                  ActionExecuted("action_listen"),
                                  UserUttered("hi again", {"name": "greet"})]
    sent = reliability.recent_events(events)
    assert isinstance(sent[1], SessionStarted) and len(sent) == 4


def test_the_language_policy_sees_every_message_it_looks_at() -> None:
    assert reliability.ACTION_TYPED_MESSAGES == HISTORY_MESSAGES + 1


def test_start_up_objects_are_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    calls: list[str] = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setitem(reliability._state, "frozen", False)
    reliability.freeze_loaded_objects()
    reliability.freeze_loaded_objects()
    assert calls == ["collect", "freeze"]  # collected first, then frozen, once per process
