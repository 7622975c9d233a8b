"""Accuracy floor on the held-out eval set, so a regression fails the build."""

from __future__ import annotations

from typing import Any

import pytest

from bot import languages
from scripts.eval_language import evaluate, load_eval

SHORT_FLOOR = 0.95
LONG_FLOOR = 0.95


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return evaluate(latency_rounds=1)


def test_eval_set_covers_every_language_with_enough_messages() -> None:
    data = load_eval()
    assert list(data) == languages.codes()
    for sections in data.values():
        assert len(sections["short"]) >= 25
        assert len(sections["long"]) >= 15


def test_short_message_accuracy_floor(result: dict[str, Any]) -> None:
    assert result["overall"]["ours_short"] >= SHORT_FLOOR


def test_long_message_accuracy_floor(result: dict[str, Any]) -> None:
    assert result["overall"]["ours_long"] >= LONG_FLOOR


def test_beats_plain_langdetect_on_short_messages(result: dict[str, Any]) -> None:
    assert result["overall"]["ours_short"] > result["overall"]["langdetect_short"]
