"""Stop, help, skip, done and danger words work in every language (held-out messages written by
each language's translator in tests/data/commands/<code>.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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
