"""Talking to a person: the live-chat queue when operators are online, opening hours otherwise.

When the person asks for a human (the intake engine emits the placeholder ``utter_human_hours``,
or the ``human`` intent runs ``action_human_hours`` outside the form):

- in opening hours with an operator online, the conversation joins the live queue in the case
  store and the person hears their place (``utter_handoff_queued``, with a "Back to the
  assistant" button that leaves the queue); the report carries on meanwhile;
- otherwise the bot says when people are next available and that a callback can be arranged.

The console pauses the bot when an operator accepts and executes ``action_handoff_returned`` when
the conversation comes back, which re-asks the open question of the report (nothing is lost: the
form and its answers stay in the tracker). Opening hours come from the store (edited by admins),
else from the environment.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import channel_of, language_of
from actions.asks import ASK_ACTIONS
from actions.store import case_store
from bot.datefmt import DAY, format_moment
from bot.handoff import clock
from bot.handoff import responses as said
from bot.hours import OpeningHours

logger = logging.getLogger(__name__)

Responses = list[tuple[str, dict[str, Any]]]


def opening_hours() -> OpeningHours:
    """Opening hours in force: the admin's (store), else the environment's."""
    from bot.handoff.hours import load_hours

    try:
        with case_store().reading() as session:
            return load_hours(session)
    except Exception:  # the store is unreachable or not migrated: the environment still knows
        logger.warning("Opening hours not readable from the store; using the environment's")
        return OpeningHours.from_env()


def format_when(moment: dt.datetime, language: str) -> str:
    """A date and time written the way the person's language writes it (Babel, bot/datefmt.py)."""
    return format_moment(moment, language, DAY)


def hours_responses(
    language: str, now: dt.datetime | None = None, hours: OpeningHours | None = None
) -> Responses:
    """The response saying whether people are available now, or when they next are."""
    hours = hours or opening_hours()
    now = now or clock.now()
    if hours.is_open(now):
        return [("utter_human_open_now", {})]
    nxt = hours.next_opening(now)
    when = format_moment(nxt, language)  # "Monday 7 December, 09:00", "12月7日星期一 09:00"
    return [("utter_human_closed", {"next_open": when})]


def human_responses(
    tracker: Tracker, now: dt.datetime | None = None, interpreter: bool = False
) -> Responses:
    """Joins the live queue if someone can take the chat now; else says when people are available.

    `interpreter`: the person asked for someone in their own language (the engine's
    `utter_human_hours` placeholder carries `interpreter=True`): the request is flagged.
    """
    from bot.handoff import live

    language = language_of(tracker)
    now = now or clock.now()
    hours = opening_hours()
    if hours.is_open(now):
        try:
            with case_store().unit_of_work() as session:
                if live.operators_online(session, now=now) > 0:
                    place = live.enqueue(
                        session,
                        conversation_id=tracker.sender_id,
                        channel=channel_of(tracker),
                        language=language,
                        now=now,
                        resume_state={"requested_slot": tracker.get_slot("requested_slot") or ""},
                        interpreter=interpreter,
                    )
                    if place.status == "waiting":
                        return [(said.QUEUED, {"position": place.position})]
        except Exception:
            logger.exception("Could not reach the live queue; saying the opening hours instead")
    return hours_responses(language, now, hours)


def leave_responses(tracker: Tracker) -> Responses:
    """The person chose "Back to the assistant" while waiting."""
    from bot.handoff import live

    try:
        with case_store().unit_of_work() as session:
            live.leave(session, tracker.sender_id, now=clock.now())
    except Exception:
        logger.exception("Could not leave the live queue")
    return [(said.LEFT, {})]


def leave_queue_if_asked(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Outside a report, "Back to the assistant" starts one (rule "any answer outside a report"):
    the person is taken out of the live queue first and told so. True if that was the answer."""
    from actions._common import answer_of

    if answer_of(tracker).choice != said.LEAVE_CHOICE:
        return False
    for name, variables in leave_responses(tracker):
        dispatcher.utter_message(response=name, **variables)
    return True


def expand_responses(responses: Responses, tracker: Tracker) -> Responses:
    """Replaces placeholder responses of the intake engine that need live values."""
    result: Responses = []
    for name, variables in responses:
        if name == "utter_human_hours":
            result += human_responses(tracker, interpreter=bool(variables.get("interpreter")))
        elif name == said.LEAVE_PLACEHOLDER:
            result += leave_responses(tracker)
        else:
            result.append((name, variables))
    return result


class ActionHumanHours(Action):
    """Answers "talk to a person" outside the form (queue or opening hours)."""

    def name(self) -> str:
        return "action_human_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        for name, variables in human_responses(tracker):
            dispatcher.utter_message(response=name, **variables)
        return []


class ActionHandoffReturned(Action):
    """Runs when the console gives the conversation back: re-asks the report's open question.

    While the bot was paused Rasa still ran slot extraction on the person's messages to the
    operator, which can leave that text in the requested slot; it is cleared here so the next
    answer is validated as usual. Every earlier answer is untouched.
    """

    def name(self) -> str:
        return said.RETURNED_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response=said.RETURNED)
        requested = tracker.get_slot("requested_slot")
        if not requested or not tracker.active_loop.get("name"):
            return []
        events: list[EventType] = [SlotSet(requested, None)]
        ask = ASK_ACTIONS.get(f"action_ask_{requested}")
        if ask is not None:
            events += await ask.run(dispatcher, tracker, domain) or []
        elif f"utter_ask_{requested}" in (domain.get("responses") or {}):
            dispatcher.utter_message(response=f"utter_ask_{requested}")
        return events
