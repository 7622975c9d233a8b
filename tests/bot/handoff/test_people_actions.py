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
    # The actions open this process's store (bot.store.uow.process_store) from the environment
    # on first use; the suite's autouse fixture closes it after every test.
    yield session_factory


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


def _outside_report(sender: str, text: str, channel: str = "socketio", **slots: Any) -> Tracker:
    """A tracker outside any form whose latest message is ``text`` (a payload or typed)."""
    entities = []
    if text.startswith('/inform{"choice":"'):
        entities = [{"entity": "choice", "value": text.split('"')[3]}]
    message = {"text": text, "entities": entities, "intent": {"name": "inform", "confidence": 1.0}}
    events = [{"event": "user", "text": text, "input_channel": channel, "parse_data": message}]
    return Tracker(sender, {"language": "en", **slots}, message, events, False, None, {}, "action_listen")


@pytest.fixture
def case_store(store: Any) -> Iterator[Any]:
    """The action server's own case-store handle, on the test store (this process's store, made
    from the environment the ``store`` fixture set)."""
    yield store


async def test_back_to_the_assistant_outside_a_report_leaves_the_queue(
    case_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a report the button's answer starts one (rule "any answer outside a report"):
    the person must leave the queue first, and no operator can accept them any more."""
    from actions.intake import ActionStartReport

    monkeypatch.setenv("HOURS_NOW", MONDAY_10)
    _online_operator(case_store, dt.datetime.fromisoformat(MONDAY_10))
    asked = CollectingDispatcher()
    await people.ActionHumanHours().run(asked, _outside_report("web-sid-9", "a person please"), {})
    assert [m["response"] for m in asked.messages] == ["utter_handoff_queued"]
    with case_store() as session:
        assert live.place_of(session, "web-sid-9") is not None

    dispatcher = CollectingDispatcher()
    await ActionStartReport().run(
        dispatcher, _outside_report("web-sid-9", '/inform{"choice":"leave_queue"}'), {}
    )
    assert [m["response"] for m in dispatcher.messages][:2] == [
        "utter_handoff_left",
        "utter_welcome",
    ]
    with case_store() as session:
        assert live.place_of(session, "web-sid-9") is None
        assert live.operators_online(session, now=dt.datetime.fromisoformat(MONDAY_10)) == 1


@pytest.mark.parametrize("slot", ["erase_requested", "stop_confirmed"])
async def test_typed_exit_or_stop_takes_the_person_out_of_the_queue_and_marks_the_widget(
    case_store: Any, monkeypatch: pytest.MonkeyPatch, slot: str
) -> None:
    from actions.intake import ActionFinishReport

    monkeypatch.setenv("HOURS_NOW", MONDAY_10)
    now = dt.datetime.fromisoformat(MONDAY_10)
    _online_operator(case_store, now)
    with case_store() as session:
        for sender in ("web-sid-erase", "rest-erase"):
            live.enqueue(session, conversation_id=sender, channel="socketio", language="en", now=now)

    web = CollectingDispatcher()
    events = await ActionFinishReport().run(
        web, _outside_report("web-sid-erase", "exit", **{slot: True}), {}
    )
    expected = "utter_erased" if slot == "erase_requested" else "utter_stopped"
    assert [m.get("response") for m in web.messages] == [expected, None]
    assert web.messages[1]["custom"] == {"data": {"erased": True}}
    assert {"event": "slot", "timestamp": None, "name": "erase_requested", "value": True} in events

    rest = CollectingDispatcher()
    await ActionFinishReport().run(rest, _outside_report("rest-erase", "exit", "rest", **{slot: True}), {})
    assert [m.get("response") for m in rest.messages] == [expected]  # text only elsewhere
    with case_store() as session:
        assert live.place_of(session, "web-sid-erase") is None
        assert live.place_of(session, "rest-erase") is None


async def test_exit_outside_a_report_marks_the_widget_only_on_the_web(case_store: Any) -> None:
    from actions.access import ActionStopOrErase

    web = CollectingDispatcher()
    await ActionStopOrErase().run(web, _outside_report("web-sid-x", "exit"), {})
    assert [m.get("response") for m in web.messages] == ["utter_erased", None]
    assert web.messages[1]["custom"] == {"data": {"erased": True}}
    telegram = CollectingDispatcher()
    await ActionStopOrErase().run(telegram, _outside_report("tg-x", "exit", "telegram"), {})
    assert [m.get("response") for m in telegram.messages] == ["utter_erased"]
