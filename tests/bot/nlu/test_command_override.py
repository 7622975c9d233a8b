"""The command override: a question about danger gets its answer, danger said now stays an
emergency — also when only the model (no lexicon phrase) took the message for an emergency."""

from __future__ import annotations

from typing import Any

from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.commands import CommandIntentOverride


def _run(text: str, intent: str, confidence: float = 0.9) -> Any:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    CommandIntentOverride().process([message])
    return message.get(INTENT)["name"]


def test_a_conditional_question_the_model_took_for_an_emergency_is_the_danger_question() -> None:
    # Invented phrasing; no lexicon danger phrase in it, the model alone said "emergency".
    assert _run("if something bad happens to me one day, who should I ring?", "emergency") == (
        "ask_danger"
    )


def test_danger_said_now_stays_an_emergency() -> None:
    assert _run("someone is hitting me right now", "emergency") == "emergency"
    # A question, but not conditional: still an emergency.
    assert _run("they are outside my door, what do I do?", "emergency") == "emergency"


def test_a_conditional_statement_without_a_question_stays_an_emergency() -> None:
    assert _run("if you don't help me they will hurt me", "emergency") == "emergency"


def test_other_intents_are_left_alone() -> None:
    assert _run("if I report it, who will see it?", "ask_who_sees") == "ask_who_sees"
