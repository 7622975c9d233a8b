"""Writes tests/stories/test_intake.yml: one Rasa test story per scenario.

Each scenario is a list of messages (typed text or `=value` for a button). They are run through
the real intake engine to know which question the form asks after each message; the story then
states what Rasa must predict (start the report, keep the form looping, finish it), and
`rasa test` checks the trained policies against it.

    python -m scripts.make_test_stories
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from bot.commands import command
from bot.intake.engine import Answer, handle_answer, required_slots

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "stories" / "test_intake.yml"
TODAY = dt.date(2026, 11, 22)

COMMON_END = ["=no", "=no", "=confirm"]
SCENARIOS: dict[str, tuple[str, list[str]]] = {
    "victim happy path": ("hello", [
        "=victim", "A man spat at me on the bus.", "=done", "=verbal_abuse", "=done", "yesterday",
        "Leeds", "=public_transport", "=race", "=done", "=skip", "=emotional", "=done", "=anonymous",
        *COMMON_END,
    ]),
    "witness": ("I want to report something", [
        "=witness", "I saw a woman being shouted at.", "=done", "=verbal_abuse", "=done",
        "last Friday", "M1", "=street", "=not_sure", "Two teenagers", "=no_support", "=none",
        *COMMON_END,
    ]),
    "police named with contact details": ("hi", [
        "=victim", "My neighbour threatened me.", "=done", "=threats", "=done", "2 weeks ago",
        "Croydon", "=home", "=race", "=done", "=skip", "=police_help", "=done", "=named", "=no",
        "Sam Example", "020 7946 0123", "sam@example.com", "=yes", "evenings", "=confirm",
    ]),
    "police anonymous": ("hello", [
        "=victim", "Someone wrote slurs on my car.", "=done", "=property_damage", "=done",
        "in March", "Bristol", "=street", "=race", "=done", "=skip", "=no_support", "=anonymous",
        *COMMON_END,
    ]),
    "no police": ("hello", [
        "=on_behalf", "My mum was refused service.", "=done", "=discrimination", "=done",
        "=not_sure", "=skip", "=shop", "=race", "=done", "=skip", "=no_support", "=none",
        *COMMON_END,
    ]),
    "caseworker yes": ("hello", [
        "=victim", "I am harassed at work.", "=done", "=discrimination", "=done", "this week",
        "Glasgow", "=workplace", "=race", "=gender", "=done", "=skip", "=workplace_advice", "=done",
        "=none", "=yes", "=yes", "=skip", "020 7946 0123", "=skip", "=skip", "=confirm",
    ]),
    "caseworker no": ("hello", [
        "=victim", "Online abuse on my video.", "=done", "=online_abuse", "=done", "yesterday",
        "on TikTok", "=race", "=done", "=skip", "=emotional", "=done", "=none", "=no", "=no",
        "=confirm",
    ]),
    "correct an answer at the summary": ("hello", [
        "=victim", "I was pushed.", "=done", "=physical_assault", "=done", "yesterday", "Leeds",
        "=street", "=race", "=done", "=skip", "=no_support", "=none", "=no", "=no", "=change",
        "=incident_date", "last Friday", "=confirm",
    ]),
    "skip optional questions": ("hello", [
        "=victim", "Shouted at in a park.", "=done", "=verbal_abuse", "=done", "=not_sure",
        "=skip", "=street", "skip", "=skip", "skip", "=none", *COMMON_END,
    ]),
    "stop midway": ("hello", ["=victim", "Something happened", "stop", "=yes"]),
    "emergency midway": ("hello", [
        "=victim", "He follows me.", "he is here now", "=done", "=threats", "=done", "today",
        "Leeds", "=home", "=not_sure", "=skip", "=no_support", "=none", *COMMON_END,
    ]),
}


def _answer(message: str) -> Answer:
    if message.startswith("="):
        return Answer(text="", choice=message[1:], intent="inform", intent_confidence=1.0)
    return Answer(text=message, intent="inform", intent_confidence=0.9)


def _user(message: str) -> dict[str, Any]:
    if message.startswith("="):
        return {"user": f'/inform{{"choice":"{message[1:]}"}}', "intent": "inform"}
    return {"user": message, "intent": command(message) or "inform"}


def story(name: str, opener: str, messages: list[str], domain: dict[str, Any]) -> dict[str, Any]:
    """A test story: the opener starts the report, each message keeps the form looping."""
    intent = "report_incident" if "report" in opener else "greet"
    slots: dict[str, Any] = {"language": "en"}
    steps: list[dict[str, Any]] = [
        {"user": opener, "intent": intent},
        {"action": "action_start_report"},
        {"action": "report_form"},
        {"active_loop": "report_form"},
    ]
    requested = next(s for s in required_slots(slots) if slots.get(s) is None)
    steps.append({"slot_was_set": [{"requested_slot": requested}]})
    for message in messages:
        turn = handle_answer(slots, requested, _answer(message), domain, "en", TODAY)
        slots.update(turn.updates)
        steps.append(_user(message))
        steps.append({"action": "report_form"})
        remaining = [s for s in required_slots(slots) if slots.get(s) is None]
        if not remaining:
            steps += [
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": "action_finish_report"},
            ]
            return {"story": name, "steps": steps}
        requested = remaining[0]
        steps.append({"slot_was_set": [{"requested_slot": requested}]})
    raise ValueError(f"scenario {name!r} did not finish (still asking {requested})")


def main() -> None:
    """Writes the test stories file."""
    domain: dict[str, Any] = {"responses": {}}
    for path in (ROOT / "domain").glob("*.yml"):
        domain["responses"].update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    stories = [story(name, opener, msgs, domain) for name, (opener, msgs) in SCENARIOS.items()]
    header = "# Generated by `python -m scripts.make_test_stories` from its SCENARIOS; do not edit.\n"
    body = yaml.safe_dump(
        {"version": "3.1", "stories": stories}, allow_unicode=True, sort_keys=False, width=200
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(header + body, encoding="utf-8")
    print(f"wrote {len(stories)} stories to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
