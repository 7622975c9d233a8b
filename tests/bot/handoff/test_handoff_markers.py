"""The handoff responses carry a marker for the web widget (who is talking, whether a person is
expected), in every language; Rasa's socket.io output emits it after the text as a message of its
own, and the text channels drop it."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff import responses as said
from bot.languages import codes
from channels.telegram_channel import TelegramOutput
from channels.twilio_channel import TwilioOutput

ROOT = Path(__file__).resolve().parents[3]

MARKERS = {
    said.QUEUED: {"handoff": "waiting"},
    said.CONNECTED: {"handoff": "live"},
    said.OPERATOR_MESSAGE: {"handoff": "live", "from": "operator"},
    said.LEFT: {"handoff": "ended"},
    said.TIMEOUT: {"handoff": "ended"},
    said.CLOSED: {"handoff": "ended"},
    said.RETURNED: {"handoff": "ended"},
}


@functools.lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


def tracker(language: str, **slots: Any) -> DialogueStateTracker:
    state = DialogueStateTracker("web-session-1", domain().slots)
    state.update(SlotSet("language", language))
    for name, value in slots.items():
        state.update(SlotSet(name, value))
    return state


def generate(response: str, language: str, **slots: Any) -> dict[str, Any]:
    nlg = TemplatedNaturalLanguageGenerator(domain().responses)
    values = {"position": 2} if response == said.QUEUED else {}
    message = asyncio.run(nlg.generate(response, tracker(language, **slots), "socketio", **values))
    assert message is not None
    return message


@pytest.mark.parametrize("response", sorted(MARKERS))
def test_every_language_variation_carries_the_marker(response: str) -> None:
    variations = domain().responses[response]
    languages = {
        next((c["value"] for c in v.get("condition") or [] if c["name"] == "language"), "en")
        for v in variations
    }
    assert set(codes()) <= languages
    for variation in variations:
        assert variation.get("custom") == {"data": MARKERS[response]}, variation.get("condition")


@pytest.mark.parametrize("language", ["en", "vi", "km", "zh-Hant"])
def test_rasa_renders_the_operator_words_and_the_marker(language: str) -> None:
    message = generate(said.OPERATOR_MESSAGE, language, operator_message="Hello from the team.")
    assert message["text"] == "Hello from the team."
    assert message["custom"] == {"data": {"handoff": "live", "from": "operator"}}
    connected = generate(said.CONNECTED, language)
    assert connected["text"] and connected["custom"] == {"data": {"handoff": "live"}}


class RecordingSio:
    """What python-socketio's AsyncServer.emit was asked to send."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []

    async def emit(self, event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))


def test_socketio_emits_the_text_then_the_marker_as_its_own_message() -> None:
    sio = RecordingSio()
    output = SocketIOOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    message = generate(said.OPERATOR_MESSAGE, "vi", operator_message="Xin chào.")
    asyncio.run(output.send_response("web-session-1", dict(message)))
    assert sio.emitted == [
        ("bot_uttered", {"text": "Xin chào."}, "web-session-1"),
        ("bot_uttered", {"handoff": "live", "from": "operator"}, "web-session-1"),
    ]


def test_socketio_marker_of_a_queued_place_follows_its_button() -> None:
    sio = RecordingSio()
    output = SocketIOOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    asyncio.run(output.send_response("web-session-1", dict(generate(said.QUEUED, "en"))))
    (first, text, _), (second, marker, _) = sio.emitted
    assert "number 2 in the queue" in text["text"] and text["quick_replies"]
    assert marker == {"handoff": "waiting"}


@pytest.mark.parametrize("output_class", [TwilioOutput, TelegramOutput])
def test_text_channels_send_only_the_words(output_class: type) -> None:
    sent: list[str] = []

    class Recording(output_class):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:  # no Twilio/Telegram client: only what would be sent
            pass

        async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
            sent.append(text)

    message = generate(said.OPERATOR_MESSAGE, "th", operator_message="สวัสดี")
    asyncio.run(Recording().send_response("whatsapp-pseudonym", dict(message)))
    assert sent == ["สวัสดี"]
