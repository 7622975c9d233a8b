"""Small helpers shared by the action modules (not actions themselves)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n import DEFAULT_LANGUAGE, payload_choice
from bot.intake.engine import Answer
from bot.language.render import render

logger = logging.getLogger(__name__)


def language_of(tracker: Tracker) -> str:
    """The conversation's language code (English until known)."""
    return tracker.get_slot("language") or DEFAULT_LANGUAGE


def metadata_of(tracker: Tracker) -> dict[str, Any]:
    """Channel metadata of the latest message (language hints, channel name)."""
    meta = (tracker.latest_message or {}).get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def channel_of(tracker: Tracker) -> str:
    """The channel name, from our metadata or Rasa's input channel."""
    meta = metadata_of(tracker)
    return str(meta.get("channel") or tracker.get_latest_input_channel() or "rest")


def answer_of(tracker: Tracker) -> Answer:
    """The latest user message as the intake engine sees it."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    choice = None
    for entity in message.get("entities") or []:
        if entity.get("entity") == "choice" and isinstance(entity.get("value"), str):
            choice = entity["value"]
    if choice is None and text.startswith("/"):
        choice = payload_choice(text)
        if choice is None:
            choice = "__unknown_payload__"
    intent = (message.get("intent") or {}).get("name")
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    if choice is not None:
        text = ""
    return Answer(text=text, choice=choice, intent=intent, intent_confidence=confidence)


def say(dispatcher: CollectingDispatcher, responses: list[tuple[str, dict[str, Any]]]) -> None:
    """Sends domain responses (never literal text)."""
    for name, variables in responses:
        dispatcher.utter_message(response=name, **variables)


def fresh_answer(tracker: Tracker) -> bool:
    """Whether a form's validation is answering the latest user message (not a form run again
    by a follow-up action, or activated, after that message was already handled).

    Rasa calls the validation with the events so far plus the form's own `ActionExecuted` (and
    the slots extracted from the message): after the latest user message there is no other action.
    """
    actions_after: list[str] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            break
        if kind == "action":
            actions_after.append(str(event.get("name") or ""))
    else:
        return False
    form = (tracker.active_loop or {}).get("name")
    others = [name for name in actions_after if name not in (form, "action_extract_slots")]
    return not others


def render_in_language(
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    slots: dict[str, Any],
    start: int = 0,
) -> None:
    """Renders the domain responses sent since message ``start`` for ``slots`` (their new
    language) here, as Rasa's NLG would (:mod:`bot.language.render`).

    Rasa renders an action's responses with the tracker before the action's events; when the
    action itself changed the language, they would come out in the old one.
    """
    for index in range(start, len(dispatcher.messages)):
        message = dispatcher.messages[index]
        name = message.get("response")
        if not name:
            continue
        values = {key: value for key, value in message.items() if key != "response"}
        rendered = render(domain, name, slots, values)
        if rendered is None:
            continue
        extra = {
            key: value
            for key, value in message.items()
            if value and key not in ("response", "buttons")
        }
        dispatcher.messages[index] = {
            **rendered,
            **extra,
            "buttons": [*(rendered.get("buttons") or []), *(message.get("buttons") or [])],
            "response": None,
        }

