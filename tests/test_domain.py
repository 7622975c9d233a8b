"""The domain: every response in every language, and every response really used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.languages import codes
from scripts.build_domain import build

ROOT = Path(__file__).resolve().parents[1]


def _responses() -> dict[str, list[dict]]:
    merged: dict[str, list[dict]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        merged.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return merged


RESPONSES = _responses()
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _by_language(variations: list[dict]) -> dict[str, dict]:
    found = {}
    for v in variations:
        conds = [c for c in v.get("condition") or [] if c.get("name") == "language"]
        found[conds[0]["value"] if conds else "en"] = v
    return found


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_exists_in_every_language(name: str) -> None:
    langs = _by_language(RESPONSES[name])
    missing = [code for code in codes() if code not in langs]
    assert not missing, f"{name} has no text in: {', '.join(missing)}"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_translations_keep_placeholders_and_buttons(name: str) -> None:
    langs = _by_language(RESPONSES[name])
    english = langs["en"]
    want = sorted(PLACEHOLDER.findall(english["text"]))
    for code, variation in langs.items():
        assert sorted(PLACEHOLDER.findall(variation["text"])) == want, f"{name}/{code} placeholders"
        payloads = [b["payload"] for b in variation.get("buttons") or []]
        assert payloads == [b["payload"] for b in english.get("buttons") or []], f"{name}/{code} buttons"
        assert all(b["title"].strip() for b in variation.get("buttons") or []), f"{name}/{code} empty title"


def test_domain_is_in_sync_with_locales() -> None:
    assert build(check=True) == [], "run `make domain` after editing locales/"


def test_every_response_is_used_somewhere() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("actions", "bot", "data")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in (".py", ".yml")
    )
    slots = {
        name
        for path in (ROOT / "domain").glob("*.yml")
        for name in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("slots") or {}
    }
    used_by_rasa = {"utter_default"}  # sent by Rasa's action_default_fallback
    unused = [
        name for name in RESPONSES
        if name not in code and name not in used_by_rasa
        and not (name.startswith("utter_ask_") and name[len("utter_ask_"):] in slots)
    ]
    assert not unused, f"responses nobody sends: {unused}"


def test_language_menu_matches_the_language_list() -> None:
    payloads = [b["payload"] for b in RESPONSES["utter_ask_language_choice"][0]["buttons"]]
    assert payloads == [f'/inform{{"choice":"lang:{c}"}}' for c in codes()]
