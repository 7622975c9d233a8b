"""actions/people.py: joining the live queue in hours with an operator online, the opening hours
otherwise (fake clock), leaving the queue, and re-asking the open question after a handoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.people as people
from bot.handoff import live
from bot.handoff.accounts import create_user
from bot.settings import Settings

MONDAY_10 = "2025-03-10T10:00:00+00:00"
SATURDAY_10 = "2025-03-08T10:00:00+00:00"


@pytest.fixture
def store(
    settings: Settings, session_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ALLOW_FAKE_CLOCK", "1")
    people._store.cache_clear()
    yield session_factory
    people._store.cache_clear()


def tracker(sender: str = "web-sid-1", **slots: Any) -> Tracker:
    values = {"language": "vi", "requested_slot": "location", **slots}
    return Tracker(
        sender,
        values,
        {"text": "nói chuyện với người", "metadata": {"channel": "socketio"}},
        [],
        False,
        None,
        {"name": "report_form"},
        "action_listen",
    )


def _online_operator(session_factory: Any, now: dt.datetime) -> None:
    with session_factory() as session:
        user = create_user(
            session, email="op@example.org", password="a long test password", role="operator"
        )
        live.heartbeat(session, user.id, now=now)


def test_in_hours_with_an_operator_online_the_person_joins_the_queue(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_NOW", MONDAY_10)
    _online_operator(store, dt.datetime.fromisoformat(MONDAY_10))
    out = people.expand_responses([("utter_human_hours", {})], tracker())
    assert out == [("utter_handoff_queued", {"position": 1})]
    second = people.expand_responses([("utter_human_hours", {})], tracker("web-sid-2"))
    assert second == [("utter_handoff_queued", {"position": 2})]
    assert people.expand_responses([("utter_handoff_leave", {})], tracker()) == [
        ("utter_handoff_left", {})
    ]
    with store() as session:
        assert live.place_of(session, "web-sid-2").position == 1
        assert live.interpreter_needed(session, "vi", now=dt.datetime.fromisoformat(MONDAY_10))


def test_in_hours_without_operators_the_bot_says_people_work_now(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_NOW", MONDAY_10)
    assert people.expand_responses([("utter_human_hours", {})], tracker()) == [
        ("utter_human_open_now", {})
    ]


def test_out_of_hours_the_bot_gives_the_next_opening_in_the_persons_language(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_NOW", SATURDAY_10)
    _online_operator(store, dt.datetime.fromisoformat(SATURDAY_10))
    [(name, values)] = people.expand_responses([("utter_human_hours", {})], tracker())
    assert name == "utter_human_closed"
    # Vietnamese order and widths from CLDR ("9:00 Thứ Hai, 10 tháng 3"), never English order.
    assert values["next_open"] == "9:00 Thứ Hai, 10 tháng 3"


def test_fake_clock_is_ignored_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.handoff import clock

    env = {"HOURS_NOW": SATURDAY_10}
    assert clock.now(env).year >= 2025 and clock.now(env) != dt.datetime.fromisoformat(SATURDAY_10)
    assert clock.now({**env, "ALLOW_FAKE_CLOCK": "1"}) == dt.datetime.fromisoformat(SATURDAY_10)


async def test_handoff_returned_clears_the_open_slot_and_asks_again() -> None:
    dispatcher = CollectingDispatcher()
    domain = {"responses": {"utter_ask_location": [{"text": "Where?"}]}, "actions": []}
    events = await people.ActionHandoffReturned().run(
        dispatcher, tracker(location="text written to the operator"), domain
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_handoff_returned",
        "utter_ask_location",
    ]
    assert events == [{"event": "slot", "timestamp": None, "name": "location", "value": None}]


async def test_handoff_returned_uses_the_custom_ask_action() -> None:
    dispatcher = CollectingDispatcher()
    await people.ActionHandoffReturned().run(
        dispatcher, tracker(requested_slot="description"), {"responses": {}}
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_handoff_returned",
        "utter_ask_description",
    ]
