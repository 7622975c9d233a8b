"""Small helpers shared by the action modules (not actions themselves)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n import DEFAULT_LANGUAGE, payload_choice
from bot.intake.engine import Answer

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
