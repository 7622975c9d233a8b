"""Talking to a person: says when the helpline team is available.

The live handoff itself is built on the operator service; until a conversation can be handed
over, the bot says whether people are available now and when the service next opens.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from babel.dates import format_datetime
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import language_of
from bot.hours import OpeningHours

#: Our language codes → Babel locales for dates and times in the person's own format.
BABEL_LOCALES = {
    "en": "en_GB", "zh-Hans": "zh_Hans_CN", "zh-Hant": "zh_Hant_HK", "vi": "vi", "ko": "ko",
    "ja": "ja", "th": "th", "tl": "fil", "ms": "ms", "id": "id", "my": "my", "km": "km",
}


@functools.lru_cache(maxsize=1)
def opening_hours() -> OpeningHours:
    """Opening hours from the environment, read once."""
    return OpeningHours.from_env()


def format_when(moment: dt.datetime, language: str) -> str:
    """A date and time written the way the person's language writes it."""
    locale = BABEL_LOCALES.get(language, "en_GB")
    return format_datetime(moment, format="full", locale=locale).split(" GMT")[0].split(" Greenwich")[0]


def hours_responses(language: str, now: dt.datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The response saying whether people are available now, or when they next are."""
    hours = opening_hours()
    if hours.is_open(now):
        return [("utter_human_open_now", {})]
    nxt = hours.next_opening(now)
    locale = BABEL_LOCALES.get(language, "en_GB")
    when = format_datetime(nxt, format="EEEE d MMMM, HH:mm", locale=locale)
    return [("utter_human_closed", {"next_open": when})]


def expand_responses(
    responses: list[tuple[str, dict[str, Any]]], tracker: Tracker
) -> list[tuple[str, dict[str, Any]]]:
    """Replaces placeholder responses that need live values (opening hours)."""
    result: list[tuple[str, dict[str, Any]]] = []
    for name, variables in responses:
        if name == "utter_human_hours":
            result += hours_responses(language_of(tracker))
        else:
            result.append((name, variables))
    return result


class ActionHumanHours(Action):
    """Answers "talk to a person" outside the form."""

    def name(self) -> str:
        return "action_human_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        for name, variables in hours_responses(language_of(tracker)):
            dispatcher.utter_message(response=name, **variables)
        return []
