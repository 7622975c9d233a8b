"""bot/applied_events.py gives exactly Rasa's `applied_events`, in linear time."""

from __future__ import annotations

import random
import time

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import applied_events as fast

FORMS = ("report_form", "access_form")
ACTIONS = ("action_listen", "action_extract_slots", "action_detect_language", *FORMS)


def _tracker(events: list[Event]) -> DialogueStateTracker:
    tracker = DialogueStateTracker("someone", slots=[])
    tracker.events.extend(events)  # as stored: the fold is over the events alone
    return tracker


def _rasa(events: list[Event]) -> list[int]:
    return [id(e) for e in fast.RASA_APPLIED_EVENTS(_tracker(events))]


def _ours(events: list[Event]) -> list[int]:
    return [id(e) for e in fast.applied_events(events)]


def _random_event(rng: random.Random) -> Event:
    kind = rng.choices(
        ["action", "user", "bot", "slot", "loop", "loop_off", "rejected", "action_reverted",
         "user_reverted", "restart", "session", "prev_featurization", "interrupted"],
        weights=[30, 14, 6, 6, 6, 2, 6, 2, 2, 1, 1, 2, 2],
    )[0]
    if kind == "action":
        return ActionExecuted(rng.choice(ACTIONS))
    if kind == "user":
        return UserUttered("text", {"name": "inform"})
    if kind == "bot":
        return BotUttered("reply")
    if kind == "slot":
        return SlotSet("requested_slot", rng.choice(["a", "b", None]))
    if kind == "loop":
        return ActiveLoop(rng.choice(FORMS))
    if kind == "loop_off":
        return ActiveLoop(None)
    if kind == "rejected":
        return ActionExecutionRejected(rng.choice(ACTIONS))
    if kind == "action_reverted":
        return ActionReverted()
    if kind == "user_reverted":
        return UserUtteranceReverted()
    if kind == "restart":
        return Restarted()
    if kind == "session":
        return SessionStarted()
    if kind == "prev_featurization":
        return DefinePrevUserUtteredFeaturization(rng.random() < 0.5)
    return LoopInterrupted(rng.random() < 0.5)


def _form_turns(rng: random.Random, turns: int) -> list[Event]:
    """A report as Rasa records it: the form asks, the person answers, over many turns, with
    now and then a rejection, a question answered outside the form, a revert."""
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted(),
                           ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
                           ActionExecuted("report_form"), ActiveLoop("report_form"),
                           SlotSet("requested_slot", "a"), BotUttered("q"),
                           ActionExecuted("action_listen")]
    for _ in range(turns):
        # (Rasa 3.6 records the slots extracted from the message, not an action for it)
        events += [UserUttered("answer", {"name": "inform"}), SlotSet("language", "en")]
        roll = rng.random()
        if roll < 0.1:
            events += [ActionExecutionRejected("report_form"), ActionExecuted("utter_faq"),
                       BotUttered("faq"), ActionExecuted("report_form")]
        elif roll < 0.13:
            events += [UserUtteranceReverted()]
            continue
        else:
            events += [ActionExecuted("report_form")]
        events += [SlotSet("a", "x"), SlotSet("requested_slot", "b"), BotUttered("q"),
                   ActionExecuted("action_listen")]
    events += [ActiveLoop(None), SlotSet("requested_slot", None), ActionExecuted("action_listen")]
    return events


@pytest.mark.parametrize("seed", range(40))
def test_random_event_sequences_give_rasas_result(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        events = [_random_event(rng) for _ in range(rng.randint(0, 80))]
        assert _ours(events) == _rasa(events)


@pytest.mark.parametrize("seed", range(10))
def test_long_reports_give_rasas_result(seed: int) -> None:
    rng = random.Random(seed)
    events = _form_turns(rng, rng.randint(1, 120))
    if seed % 2:
        events += _form_turns(rng, 20)  # a second report in the same session
    applied = fast.applied_events(events)
    assert [id(e) for e in applied] == _rasa(events)
    # the happy path's turns are folded into the form's first execution
    assert sum(isinstance(e, ActionExecuted) and e.action_name == "report_form"
               for e in applied) < sum(isinstance(e, ActionExecuted)
                                       and e.action_name == "report_form" for e in events)


def test_the_patched_tracker_answers_with_the_linear_fold() -> None:
    events = _form_turns(random.Random(1), 30)
    tracker = _tracker(events)
    before = [id(e) for e in tracker.applied_events()]
    fast.install()
    try:
        assert DialogueStateTracker.applied_events is not fast.RASA_APPLIED_EVENTS
        assert [id(e) for e in tracker.applied_events()] == before
    finally:
        DialogueStateTracker.applied_events = fast.RASA_APPLIED_EVENTS  # type: ignore[method-assign]


def test_cost_grows_linearly_not_quadratically() -> None:
    """Ten times the turns cost well under a hundred times as much (a ratio, not a timing)."""
    short = _form_turns(random.Random(2), 40)
    long = _form_turns(random.Random(2), 400)

    def cost(events: list[Event]) -> float:
        started = time.perf_counter()
        for _ in range(5):
            fast.applied_events(events)
        return time.perf_counter() - started

    cost(short)
    assert cost(long) / cost(short) < 30
