"""Makes the lexicon's commands and danger words decide the intent, in every language.

Runs after the intent classifier: when `bot.commands.command` recognises the message (a whole
short message such as "stop", "帮助", "dừng lại", or danger words anywhere), the intent is set with
full confidence so rules outside the form react the same way in every language.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import commands

_INTENT_OF_COMMAND = {
    "emergency": "emergency",
    "stop": "stop",
    "erase": "stop",  # exit/delete: the stop rules and the form tell it apart by its words
    "my_report": "my_report",
    "help": "help",
    "human": "human",
    "skip": "skip",
    "done": "done",
    "change_language": "change_language",
    "change_answer": "change_answer",
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CommandIntentOverride(GraphComponent):
    """Overrides the predicted intent for lexicon commands and danger words."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CommandIntentOverride:
        """Creates the component."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent of messages the lexicon recognises."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # button payloads already name their intent
            name = _INTENT_OF_COMMAND.get(commands.command(text) or "")
            predicted = message.get(INTENT) or {}
            said = predicted.get("name")
            # "What should I do IF I'm in danger?" is that question, not an emergency — whether
            # the lexicon's danger words or the model alone took it for one. The answer leads
            # with 999 all the same; danger said now (not conditional) stays an emergency.
            ranking = message.get(INTENT_RANKING_KEY) or []
            close = max(
                (
                    float(r.get("confidence") or 0.0)
                    for r in ranking
                    if r.get("name") == "ask_danger"
                ),
                default=0.0,
            )
            if (name == "emergency" or (name is None and said == "emergency")) and (
                commands.asks_about_danger(
                    text,
                    said,
                    float(predicted.get("confidence") or 0.0),
                    ask_danger_confidence=close,
                )
            ):
                name = "ask_danger"
            if name:
                message.set(INTENT, {"name": name, "confidence": 1.0}, add_to_output=True)
                message.set(
                    INTENT_RANKING_KEY,
                    [{"name": name, "confidence": 1.0}]
                    + [r for r in ranking if r.get("name") != name],
                    add_to_output=True,
                )
        return messages
