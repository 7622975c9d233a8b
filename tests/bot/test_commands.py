"""Stop, help, skip, done and danger words work in every language (held-out messages written by
each language's translator in tests/data/commands/<code>.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import commands
from bot.commands import command, is_danger
from bot.languages import codes

DATA = Path(__file__).resolve().parents[1] / "data" / "commands"
CASES = [
    (path.stem, kind, message)
    for path in sorted(DATA.glob("*.yml"))
    for kind, messages in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()
    for message in messages or []
]


def test_every_language_has_command_examples() -> None:
    present = {p.stem for p in DATA.glob("*.yml")}
    assert set(codes()) <= present, f"missing: {sorted(set(codes()) - present)}"


@pytest.mark.parametrize(("language", "kind", "message"), CASES)
def test_command_is_recognised(language: str, kind: str, message: str) -> None:
    if kind == "not_emergency":
        assert not is_danger(message), f"{language}: false alarm on {message!r}"
    elif kind == "emergency":
        assert command(message) == "emergency", f"{language}: missed danger in {message!r}"
    else:
        assert command(message) == kind, f"{language}: {message!r} → {command(message)}"


def test_a_long_report_is_never_a_short_command() -> None:
    assert command("they told me to stop and go back to my country, then they left") is None


@pytest.mark.parametrize(
    "text",
    [
        "what should I do if I'm in danger?",
        "如果我有危险怎么办？",
        "nếu tôi gặp nguy hiểm thì sao?",
        "もし身の危険を感じたらどうすればいい？",
    ],
)
def test_a_question_about_what_to_do_if_in_danger_is_not_an_emergency(text: str) -> None:
    assert commands.asks_about_danger(text, "ask_danger", 0.9)
    assert commands.asks_about_danger(text, "emergency", 0.9)  # it reads as a question
    unasked = text.rstrip("?？")  # no question mark: the model must say it is the question
    assert commands.asks_about_danger(unasked, "ask_danger", 0.9)
    assert not commands.asks_about_danger(unasked, "ask_danger", 0.2)
    assert not commands.asks_about_danger(unasked, "emergency", 0.9)


@pytest.mark.parametrize(
    "text",
    ["I'm in danger", "he is here now?", "我现在有危险", "tôi đang gặp nguy hiểm?", "help me, he is here now"],
)
def test_danger_said_plainly_stays_an_emergency_whatever_the_model_says(text: str) -> None:
    assert commands.command(text) == "emergency"
    assert not commands.asks_about_danger(text, "ask_danger", 0.99)
