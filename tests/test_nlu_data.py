"""The NLU data is complete in every language and the held-out set stays held out."""

from __future__ import annotations

import collections
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot.faq import INTENTS as QUESTION_INTENTS
from bot.languages import codes
from scripts.eval import FAQ_DIR, TEST_DIR, load_test_set

ROOT = Path(__file__).resolve().parents[1]
NLU = ROOT / "data" / "nlu"
INTENTS = yaml.safe_load((ROOT / "domain" / "core.yml").read_text(encoding="utf-8"))["intents"] + [
    intent
    for path in sorted((ROOT / "domain").glob("*.yml"))
    if path.name != "core.yml"
    for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or []
]
MIN_EXAMPLES = 15  # per intent per language (issue: "≥ 15 natural ones")


def _normal(text: str) -> str:
    """Case, width, spacing and end punctuation do not make an example a different one."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split()).strip(" .!?。！？")


def _training(code: str) -> list[tuple[str, str]]:
    return [pair for path in sorted((NLU / code).glob("*.yml")) for pair in load_test_set(path)]


@pytest.mark.parametrize("code", codes())
def test_every_intent_has_enough_examples_in_every_language(code: str) -> None:
    counts = collections.Counter(intent for _, intent in _training(code))
    short = {intent: counts[intent] for intent in INTENTS if counts[intent] < MIN_EXAMPLES}
    assert not short, f"{code}: intents with fewer than {MIN_EXAMPLES} examples: {short}"


@pytest.mark.parametrize("code", codes())
def test_the_held_out_set_covers_every_intent(code: str) -> None:
    held = {intent for _, intent in load_test_set(TEST_DIR / f"{code}.yml")}
    expected = set(INTENTS) - set(QUESTION_INTENTS)  # questions have a held-out set of their own
    assert held == expected, f"{code}: {sorted(expected ^ held)}"


@pytest.mark.parametrize("code", codes())
def test_the_held_out_questions_cover_every_topic_six_times(code: str) -> None:
    counts = collections.Counter(intent for _, intent in load_test_set(FAQ_DIR / f"{code}.yml"))
    short = {i: counts[i] for i in QUESTION_INTENTS if counts[i] < 6}
    assert not short and set(counts) <= set(QUESTION_INTENTS), f"{code}: {short or dict(counts)}"


def test_no_held_out_example_is_in_the_training_data() -> None:
    training = {_normal(text) for code in codes() for text, _ in _training(code)}
    leaked = collections.Counter(
        path.stem
        for path in [*sorted(TEST_DIR.glob("*.yml")), *sorted(FAQ_DIR.glob("*.yml"))]
        for text, _ in load_test_set(path)
        if _normal(text) in training
    )
    assert not leaked, f"held-out examples also in training (counts per file): {dict(leaked)}"
