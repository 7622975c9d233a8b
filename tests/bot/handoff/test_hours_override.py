"""The admin's "open now until …" / "closed now until …": it decides whether someone answers now
(live chat or a callback), ends by itself, and never moves a due date promised to a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from rasa_sdk import Tracker

import actions.people as people
from bot.handoff import live
from bot.handoff.accounts import create_user
from bot.handoff.hours import (
    add_working_days,
    clear_override,
    current_override,
    load_hours,
    set_override,
)
from bot.handoff.partners import load_partners
from bot.handoff.queue import queue_view, sync_queue
from bot.hours import LONDON, OpeningHours, Override
from tests.bot.handoff.test_people_actions import store
from tests.bot.handoff.test_queue import OPERATOR
from tests.service.console.cases import add_case

__all__ = ["store"]  # the actions' store fixture, shared with test_people_actions

MONDAY_10 = dt.datetime(2025, 3, 10, 10, 0, tzinfo=LONDON)
SATURDAY_10 = dt.datetime(2025, 3, 8, 10, 0, tzinfo=LONDON)
FRIDAY_18 = dt.datetime(2025, 3, 7, 18, 0, tzinfo=LONDON)


def test_closed_override_closes_standard_hours_and_reopens_at_its_end() -> None:
    until = dt.datetime(2025, 3, 10, 13, 0, tzinfo=LONDON)
    hours = OpeningHours(override=Override(open=False, until=until))
    assert OpeningHours().is_open(MONDAY_10)
    assert not hours.is_open(MONDAY_10)
    assert hours.next_opening(MONDAY_10) == until
    # It stops applying by itself: at its end the standard hours decide again.
    assert hours.is_open(until)
    assert hours.is_open(dt.datetime(2025, 3, 10, 16, 59, tzinfo=LONDON))
    assert not hours.is_open(dt.datetime(2025, 3, 10, 17, 0, tzinfo=LONDON))


def test_closed_override_ending_after_hours_points_to_the_next_standard_opening() -> None:
    hours = OpeningHours(
        override=Override(open=False, until=dt.datetime(2025, 3, 10, 20, 0, tzinfo=LONDON))
    )
    assert hours.next_opening(MONDAY_10) == dt.datetime(2025, 3, 11, 9, 0, tzinfo=LONDON)


def test_open_override_opens_a_saturday_until_its_end_only() -> None:
    until = dt.datetime(2025, 3, 8, 14, 0, tzinfo=LONDON)
    hours = OpeningHours(override=Override(open=True, until=until))
    assert not OpeningHours().is_open(SATURDAY_10)
    assert hours.is_open(SATURDAY_10)
    assert not hours.is_open(until)
    assert hours.next_opening(until) == dt.datetime(2025, 3, 10, 9, 0, tzinfo=LONDON)


def test_working_days_ignore_any_override() -> None:
    standard = OpeningHours()
    for override in (
        Override(open=True, until=dt.datetime(2025, 3, 9, 23, 0, tzinfo=LONDON)),
        Override(open=False, until=dt.datetime(2025, 3, 14, 17, 0, tzinfo=LONDON)),
    ):
        hours = OpeningHours(override=override)
        assert hours.standard() == standard
        assert add_working_days(hours, FRIDAY_18, 3) == add_working_days(standard, FRIDAY_18, 3)
    assert add_working_days(standard, FRIDAY_18, 3) == dt.datetime(
        2025, 3, 12, 17, 0, tzinfo=LONDON
    )


def _due_dates(session_factory: Any, keyring: Any) -> dict[str, str]:
    with session_factory() as session:
        sync_queue(
            session, keyring, hours=load_hours(session, OpeningHours()), partners=load_partners()
        )
        view = queue_view(session, keyring, OPERATOR, now=MONDAY_10)
    work = view["casework"][0]
    return {"first": work["first_contact_due"], "caseworker": work["caseworker_due"]}


def test_a_case_created_during_an_open_override_keeps_the_standard_due_dates(
    session_factory: Any, keyring: Any
) -> None:
    """The issue's report: opening every day to test moved a promised first-contact date."""
    with session_factory() as session:
        set_override(
            session,
            mode="open",
            until=dt.datetime(2025, 3, 9, 22, 0, tzinfo=LONDON),
            user_id=None,
            now=FRIDAY_18,
        )
        session.commit()
        assert load_hours(session, OpeningHours()).is_open(FRIDAY_18)
    with time_machine.travel(FRIDAY_18, tick=False):
        add_case(session_factory, keyring, "during-override", language="vi", location="E1 6AN")
    due = _due_dates(session_factory, keyring)
    # Friday evening + 3 working days = Wednesday closing, as if no override had been set.
    assert due["first"].startswith("2025-03-12T17:00")
    assert due["caseworker"].startswith("2025-03-14T18:00")
    # Changing or clearing the override later does not move the promise either.
    with session_factory() as session:
        set_override(
            session,
            mode="closed",
            until=dt.datetime(2025, 3, 14, 17, 0, tzinfo=LONDON),
            user_id=None,
            now=MONDAY_10,
        )
        session.commit()
    assert _due_dates(session_factory, keyring) == due
    with session_factory() as session:
        assert clear_override(session)
        session.commit()
    assert _due_dates(session_factory, keyring) == due


def test_stored_override_expires_by_itself(session_factory: Any) -> None:
    until = dt.datetime(2025, 3, 10, 12, 0, tzinfo=LONDON)
    with session_factory() as session:
        set_override(session, mode="closed", until=until, user_id=None, now=MONDAY_10)
        session.commit()
    with session_factory() as session:
        hours = load_hours(session, OpeningHours())
        assert not hours.is_open(MONDAY_10)
        assert current_override(session, MONDAY_10) is not None
        later = until + dt.timedelta(minutes=1)
        assert hours.is_open(later)
        assert current_override(session, later) is None
        assert current_override(session, until) is None


@pytest.mark.parametrize(
    ("mode", "until", "message"),
    [
        ("maybe", MONDAY_10 + dt.timedelta(hours=1), "open or closed"),
        ("open", MONDAY_10 - dt.timedelta(minutes=1), "later than now"),
        ("open", MONDAY_10, "later than now"),
        ("closed", MONDAY_10 + dt.timedelta(days=15), "at most 14 days"),
        ("closed", dt.datetime(2025, 3, 10, 12, 0), "time zone"),
    ],
)
def test_unusable_overrides_are_refused(
    session_factory: Any, mode: str, until: dt.datetime, message: str
) -> None:
    with session_factory() as session:
        with pytest.raises(ValueError, match=message):
            set_override(session, mode=mode, until=until, user_id=None, now=MONDAY_10)
        session.rollback()
        assert current_override(session, MONDAY_10) is None


# -- the actions: live chat or "people are available from …" --------------------------------------


def _tracker() -> Tracker:
    return Tracker(
        "web-sid-override",
        {"language": "en", "requested_slot": "location"},
        {"text": "talk to a person", "metadata": {"channel": "socketio"}},
        [],
        False,
        None,
        {"name": "report_form"},
        "action_listen",
    )


def _operator_online_with(
    session_factory: Any, now: dt.datetime, mode: str, until: dt.datetime
) -> None:
    with session_factory() as session:
        user = create_user(
            session, email="op@example.org", password="a long test password", role="operator"
        )
        live.heartbeat(session, user.id, now=now)
        set_override(session, mode=mode, until=until, user_id=user.id, now=now)
        session.commit()


def test_closed_override_sends_people_to_a_callback_even_in_hours(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_NOW", MONDAY_10.isoformat())
    _operator_online_with(
        store, MONDAY_10, "closed", dt.datetime(2025, 3, 10, 13, 0, tzinfo=LONDON)
    )
    [(name, values)] = people.expand_responses([("utter_human_hours", {})], _tracker())
    assert name == "utter_human_closed"
    assert "13:00" in values["next_open"]
    with store() as session:
        assert live.place_of(session, "web-sid-override") is None


def test_open_override_lets_people_join_the_live_queue_on_a_saturday(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_NOW", SATURDAY_10.isoformat())
    _operator_online_with(store, SATURDAY_10, "open", dt.datetime(2025, 3, 8, 14, 0, tzinfo=LONDON))
    assert people.expand_responses([("utter_human_hours", {})], _tracker()) == [
        ("utter_handoff_queued", {"position": 1})
    ]


def test_after_an_open_override_ends_the_standard_hours_decide_again(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    until = dt.datetime(2025, 3, 8, 11, 0, tzinfo=LONDON)
    _operator_online_with(store, SATURDAY_10, "open", until)
    later = until + dt.timedelta(minutes=5)
    monkeypatch.setenv("HOURS_NOW", later.isoformat())
    with store() as session:
        live.heartbeat(session, 1, now=later)
    [(name, _)] = people.expand_responses([("utter_human_hours", {})], _tracker())
    assert name == "utter_human_closed"
