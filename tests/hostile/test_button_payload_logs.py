"""Rendering a response with buttons logs nothing and keeps the payloads exactly as written.

Before bot/reliability's fix, Rasa's NLG treated ``{"choice":"victim"}`` in every button payload
as a slot placeholder and logged an ERROR with a traceback for each button of each prompt."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import structlog
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot import reliability

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


def test_every_button_prompt_renders_without_error_logs_and_with_literal_payloads(
    domain: Domain, caplog: pytest.LogCaptureFixture
) -> None:
    reliability._install_literal_button_payloads()
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker("invented-sender", domain.slots)
    with_buttons = {
        name: variations
        for name, variations in domain.responses.items()
        if any(v.get("buttons") for v in variations)
    }
    assert with_buttons, "the domain has prompts with buttons"
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        for name, variations in with_buttons.items():
            rendered = asyncio.run(nlg.generate(name, tracker, "rest"))
            assert rendered is not None
            written = {b["payload"] for v in variations for b in v.get("buttons") or []}
            for button in rendered.get("buttons") or []:
                assert button["payload"] in written, (name, button["payload"])
    errors = [e for e in events if e.get("log_level") in ("error", "exception", "critical")]
    # Only a text placeholder this test leaves unfilled ({reference} given by an action) may
    # complain; a payload's JSON never does.
    assert errors, "rendering with missing text placeholders still logs (the check can fail)"
    from_payloads = [e for e in errors if not str(e.get("placeholder_key", "")).isidentifier()]
    assert from_payloads == [], from_payloads[:1]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_placeholders_in_text_are_still_filled() -> None:
    reliability._install_literal_button_payloads()
    nlg = TemplatedNaturalLanguageGenerator(
        {"utter_x": [{"text": "Your reference is {reference}.",
                      "buttons": [{"title": "Yes", "payload": '/inform{"choice":"yes"}'}]}]}
    )
    rendered = nlg.generate_from_slots("utter_x", {"reference": "AAAA-BBBB"}, "rest")
    assert rendered is not None
    assert rendered["text"] == "Your reference is AAAA-BBBB."
    assert rendered["buttons"] == [{"title": "Yes", "payload": '/inform{"choice":"yes"}'}]

