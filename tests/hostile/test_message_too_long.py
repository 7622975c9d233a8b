"""An over-long message is answered kindly, in the person's language, before the dialogue: the
tracker is not touched (nothing of the message stored, nothing said before lost), and a
conversation that does not exist yet is not created. The busy reply of a full conversation
queue (channels/admission) is rendered the same way."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from bot import reliability
from channels import admission
from channels.limits import MAX_MESSAGE_CHARS

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales" / "reliability"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


class FakeProcessor(SimpleNamespace):
    """What the guard uses of Rasa's MessageProcessor (weak-referenceable, like it)."""

    __slots__ = ("__weakref__",)


@pytest.fixture
def processor(domain: Domain) -> FakeProcessor:
    """A processor over an in-memory tracker store, with the guard installed."""
    reliability.install(reliability.action_timeout())
    return FakeProcessor(tracker_store=InMemoryTrackerStore(domain), domain=domain,
                         nlg=TemplatedNaturalLanguageGenerator(domain.responses))


def translation(language: str, name: str) -> str:
    import yaml

    data = yaml.safe_load((LOCALES / f"{language}.yml").read_text(encoding="utf-8"))
    return str(data["responses"][name]["text"])


async def test_overlong_message_gets_a_kind_reply_in_their_language_and_changes_nothing(
    processor: FakeProcessor, domain: Domain
) -> None:
    store = processor.tracker_store
    tracker = await store.get_or_create_tracker("invented-person")
    tracker.update(SlotSet("language", "ko"))
    tracker.update(UserUttered("제가 본 일을 말하고 싶어요"))  # invented
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    before = [e.as_dict() for e in (await store.retrieve("invented-person")).events]

    collector = CollectingOutputChannel()
    text = "긴" * (MAX_MESSAGE_CHARS + 1)
    result = await MessageProcessor.handle_message(
        processor, UserMessage(text, collector, "invented-person", input_channel="rest"))

    assert [m["text"] for m in collector.messages] == [
        translation("ko", "utter_message_too_long")]
    assert result == collector.messages
    after = [e.as_dict() for e in (await store.retrieve("invented-person")).events]
    assert after == before  # nothing of it stored, nothing before lost
    assert all(text not in str(e) for e in after)


async def test_overlong_first_message_creates_no_conversation_and_uses_the_hint(
    processor: FakeProcessor,
) -> None:
    collector = CollectingOutputChannel()
    message = UserMessage("x" * (MAX_MESSAGE_CHARS + 500), collector, "invented-new",
                          input_channel="socketio",
                          metadata={"language_hint": "vi", "channel": "web"})
    await MessageProcessor.handle_message(processor, message)
    assert [m["text"] for m in collector.messages] == [
        translation("vi", "utter_message_too_long")]
    assert await processor.tracker_store.retrieve("invented-new") is None


async def test_the_busy_reply_of_a_full_queue_is_rendered_in_their_language(
    processor: FakeProcessor,
) -> None:
    store = processor.tracker_store
    tracker = await store.get_or_create_tracker("invented-flooder")
    tracker.update(SlotSet("language", "th"))
    await store.save(tracker)
    # The guard remembers the processor of the last handled message.
    await MessageProcessor.handle_message(
        processor, UserMessage("x" * (MAX_MESSAGE_CHARS + 1), CollectingOutputChannel(),
                               "invented-flooder"))
    draft = await reliability.render_refusal(
        UserMessage("again", CollectingOutputChannel(), "invented-flooder"),
        admission.BUSY_RESPONSE)
    assert draft is not None and draft["text"] == translation("th", "utter_busy")
