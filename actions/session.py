"""Session start and the language of the conversation (decided on every message)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker, ValidationAction
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import answer_of, metadata_of
from bot.language import choose_language, menu, parse_language_choice
from bot.languages import codes

logger = logging.getLogger(__name__)

#: Slots carried into a new session (the person's language choice), everything else is fresh.
CARRY_OVER = ("language", "language_locked", "last_reference")


class ActionSessionStart(Action):
    """Starts a session with the language hint of the channel, before anything is said."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        for name in CARRY_OVER:
            value = tracker.get_slot(name)
            if value is not None:
                events.append(SlotSet(name, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        hint = metadata.get("language_hint") if isinstance(metadata, dict) else None
        if not tracker.get_slot("language") and hint in codes():
            events.append(SlotSet("language", hint))
        events.append(ActionExecuted("action_listen"))
        return events


class ValidateSlotMappings(ValidationAction):
    """Runs on every message: keeps the `language` slot right (custom slot mapping)."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Detects the language; never switches on "ok"/numbers; an explicit choice sticks."""
        answer = answer_of(tracker)
        current = tracker.get_slot("language")
        locked = bool(tracker.get_slot("language_locked"))
        if answer.choice and answer.choice.startswith("lang:"):
            code = answer.choice[5:]
            if code in codes():
                return {"language": code, "language_locked": True, "language_ask": False}
            return {}
        if answer.choice is not None:
            return {}
        if tracker.get_slot("requested_slot") == "language_choice" and answer.text.strip().isdigit():
            menu_codes = [code for code, _name in menu()]
            index = int(answer.text.strip()) - 1
            if 0 <= index < len(menu_codes):
                return {"language": menu_codes[index], "language_locked": True, "language_ask": False}
        explicit = parse_language_choice(answer.text)
        if explicit:
            return {"language": explicit, "language_locked": True, "language_ask": False}
        hint = metadata_of(tracker).get("language_hint")
        decision = choose_language(answer.text, current=current, locked=locked, hint=hint)
        updates: dict[str, Any] = {}
        if decision.language and decision.language != current:
            updates["language"] = decision.language
        if decision.ask and not current and not decision.language:
            updates["language_ask"] = True
        return updates
