"""The webhook channel base (channels/webhook) through a small invented provider, "probe".

The probe signs its JSON body with HMAC-SHA256 in ``X-Probe-Signature`` and sends
``{"id", "from", "text"}``; the channel hands the text to the bot. What is tested is what Twilio and
Telegram inherit: the signature hook's refusal, the per-person order, the dedup of a replayed
delivery id, and failures in the background logged without message text.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.background import BackgroundTasks
from channels.credentials import CredentialSettings
from channels.metadata import build_metadata
from channels.render import Option
from channels.store import ChannelStore, ServiceChannelStore
from channels.webhook import Delivery, Turn, WebhookInput, WebhookOutput
from tests.channels.conftest import Recorder, serve_channel

SECRET = "probe-secret-0042"
ADDRESS = "probe-person-7700900123"
OTHER = "probe-person-7700900456"
Event = dict[str, Any]


@dataclass(frozen=True)
class ProbeConfig(CredentialSettings):
    """The probe's settings."""

    MISSING = "secret not configured"
    ALIASES = {"secret": "signing_key"}

    secret: str
    limit: int = 7


class ProbeOutput(WebhookOutput[str]):
    """Records what would be sent; a text "fail" makes the provider refuse with the text."""

    @classmethod
    def name(cls) -> str:
        return "probe"

    def __init__(self, store: ChannelStore, sent: list[tuple[str, str]]) -> None:
        self._store = store
        self._sent = sent

    async def recipient(self, recipient_id: str) -> str | None:
        return await self._store.lookup_address("probe", recipient_id)

    async def deliver_text(self, to: str, recipient_id: str, text: str) -> None:
        if text.startswith("fail"):
            raise RuntimeError(f"provider refused {text!r} for {to}")
        self._sent.append((to, text))

    async def deliver_prompt(
        self, to: str, recipient_id: str, text: str, options: list[Option]
    ) -> None:
        self._sent.append((to, text + " | " + " / ".join(o.title for o in options)))

    async def deliver_image(self, to: str, recipient_id: str, image: str) -> None:
        self._sent.append((to, image))


class ProbeInput(WebhookInput[ProbeConfig, Event]):
    """The smallest webhook channel: a signed JSON event with one text."""

    provider = "probe"
    settings = ProbeConfig

    def __init__(self, config: ProbeConfig | None, store: ChannelStore | None) -> None:
        super().__init__(config, store)
        self.sent: list[tuple[str, str]] = []
        self.events_read = 0
        self.gates: dict[str, asyncio.Event] = {}

    @classmethod
    def name(cls) -> str:
        return "probe"

    def authentic(self, request: Request) -> bool:
        assert self.config is not None
        return hmac.compare_digest(
            request.headers.get("X-Probe-Signature", ""), sign(request.body, self.config.secret)
        )

    def events(self, request: Request) -> list[Event]:
        self.events_read += 1
        event = request.json
        return [event] if isinstance(event, dict) and event.get("id") else []

    def acknowledgement(self) -> HTTPResponse:
        return response.json({"ok": True})

    def identify(self, event: Event) -> Delivery | None:
        return Delivery(event["id"], "probe", event["from"]) if event.get("from") else None

    def metadata(self, event: Event, delivery: Delivery) -> dict[str, Any]:
        return build_metadata("probe", None, "probe")

    def output_for(self, channel: str) -> OutputChannel:
        assert self.store is not None
        return ProbeOutput(self.store, self.sent)

    async def handle(self, event: Event, turn: Turn) -> None:
        gate = self.gates.get(event["text"])
        if gate is not None:  # a slow step before the bot is told (a media download, say)
            await gate.wait()
        await turn.tell(event["text"])


def sign(body: bytes, secret: str = SECRET) -> str:
    """The probe's signature of a body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(delivery_id: str, text: str, sender: str = ADDRESS) -> Event:
    """One probe event."""
    return {"id": delivery_id, "from": sender, "text": text}


async def post(url: str, payload: Event, signature: str | None = None) -> int:
    """POSTs an event, signed unless a signature is given; returns the HTTP status."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Probe-Signature": sign(body) if signature is None else signature,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/webhook", data=body, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


def probe(store: ServiceChannelStore) -> ProbeInput:
    """An enabled probe channel over the test case store."""
    return ProbeInput(ProbeConfig(secret=SECRET), store)


@pytest.mark.parametrize("signature", ["", "0" * 64, sign(b"another body")])
async def test_a_request_failing_the_signature_hook_gets_403_and_nothing_is_read(
    store: ServiceChannelStore, signature: str
) -> None:
    channel = probe(store)
    recorder = Recorder(reply=lambda m: [{"text": "hi"}])
    async with serve_channel(channel, recorder) as url:
        status = await post(url, event("d-1", "hello"), signature=signature)
        await channel.tasks.join()
        assert await post(url, event("d-1", "hello")) == 200  # the id was not used up
        await channel.tasks.join()
    assert status == 403
    assert channel.events_read == 1  # only the signed request's body was read
    assert recorder.texts == ["hello"]
    assert channel.sent == [(ADDRESS, "hi")]


async def test_the_webhook_answers_before_the_bot_and_the_bot_sees_a_pseudonym(
    store: ServiceChannelStore,
) -> None:
    gate = asyncio.Event()
    channel = probe(store)
    recorder = Recorder(
        reply=lambda m: [{"text": "Thank you.", "buttons": [{"title": "Yes", "payload": "/yes"}]}],
        gate=gate,
    )
    async with serve_channel(channel, recorder) as url:
        assert await post(url, event("d-2", "hello")) == 200
        assert recorder.messages == []  # acknowledged while the bot is still waiting
        gate.set()
        await channel.tasks.join()
    [message] = recorder.messages
    assert message.sender_id == store.pseudonymise("probe", ADDRESS)
    assert ADDRESS not in message.sender_id
    assert message.input_channel == "probe"
    assert message.metadata == {"channel": "probe", "language_hint": None, "hint_source": "probe"}
    assert await store.lookup_address("probe", message.sender_id) == ADDRESS
    assert channel.sent == [(ADDRESS, "Thank you. | Yes")]


async def test_one_persons_messages_reach_the_bot_in_arrival_order_without_holding_up_others(
    store: ServiceChannelStore,
) -> None:
    channel = probe(store)
    channel.gates["first, slow"] = asyncio.Event()
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        for n, text in enumerate(["first, slow", "second", "third"]):
            assert await post(url, event(f"d-order-{n}", text)) == 200
        assert await post(url, event("d-order-other", "someone else", OTHER)) == 200
        for _ in range(200):  # the other person's message goes through meanwhile
            if recorder.texts:
                break
            await asyncio.sleep(0.01)
        assert recorder.texts == ["someone else"]
        channel.gates["first, slow"].set()
        await channel.tasks.join()
    assert recorder.texts == ["someone else", "first, slow", "second", "third"]


async def test_a_replayed_delivery_id_is_handled_once(store: ServiceChannelStore) -> None:
    channel = probe(store)
    recorder = Recorder(reply=lambda m: [{"text": "ok"}])
    async with serve_channel(channel, recorder) as url:
        statuses = [await post(url, event("d-3", "hello")), await post(url, event("d-3", "hello"))]
        await channel.tasks.join()
        # Replayed later, even with another sender and text: the id has been used.
        statuses.append(await post(url, event("d-3", "changed", OTHER)))
        await channel.tasks.join()
    assert statuses == [200, 200, 200]
    assert recorder.texts == ["hello"]
    assert channel.sent == [(ADDRESS, "ok")]


async def test_failures_in_the_background_are_logged_without_text_address_or_id(
    store: ServiceChannelStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def bot(message: Any) -> list[dict[str, Any]]:
        if message.text == "crash secret words":
            raise ValueError(f"the bot failed on {message.text!r}")
        return [{"text": "fail: reply words"}]  # the provider refuses this one

    channel = probe(store)
    recorder = Recorder(reply=bot)
    async with serve_channel(channel, recorder) as url:
        assert await post(url, event("d-crash-4242", "crash secret words")) == 200
        assert await post(url, event("d-send-4343", "send secret words")) == 200
        await channel.tasks.join()
        assert await post(url, event("d-after-4444", "still here", OTHER)) == 200
        await channel.tasks.join()
    assert recorder.texts == ["crash secret words", "send secret words", "still here"]
    assert "Failed to handle a probe message: ValueError" in caplog.text
    assert "Failed to handle a probe message: RuntimeError" in caplog.text
    for needle in ("secret words", "reply words", ADDRESS, OTHER, "4242", "4343", SECRET):
        assert needle not in caplog.text


async def test_a_background_task_that_fails_is_logged_by_type_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()

    async def failing() -> None:
        raise RuntimeError("secret words")

    tasks.spawn(failing(), "probe-event")
    await tasks.join()
    await asyncio.sleep(0)  # the done callback runs after the task
    assert "Background task probe-event failed: RuntimeError" in caplog.text
    assert "secret words" not in caplog.text


async def test_a_reply_to_a_pseudonym_without_an_address_is_not_sent(
    store: ServiceChannelStore,
) -> None:
    channel = probe(store)
    output = channel.output_for("probe")
    await output.send_text_message("no-such-pseudonym", "hello")
    await output.send_custom_json("no-such-pseudonym", {"any": "thing"})
    assert channel.sent == []


def test_settings_read_keys_aliases_and_numbers_and_refuse_unexpanded_variables() -> None:
    assert ProbeConfig.from_credentials({"secret": " s1 ", "limit": "12"}) == ProbeConfig("s1", 12)
    assert ProbeConfig.from_credentials({"secret": "", "signing_key": "s2"}) == ProbeConfig("s2")
    assert ProbeConfig.from_credentials({"secret": "s3", "limit": 0}) == ProbeConfig("s3", 0)
    assert ProbeConfig.from_credentials({"secret": "${PROBE_SECRET}"}) is None
    assert ProbeConfig.from_credentials({}) is None


async def test_without_settings_or_store_the_channel_is_disabled_and_answers_503(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    channel = ProbeInput.from_credentials({"secret": "${PROBE_SECRET}"})
    assert isinstance(channel, ProbeInput) and not channel.enabled
    assert "Probe channel disabled: secret not configured" in caplog.text

    def unreachable() -> ServiceChannelStore:
        raise ConnectionError("database at db.internal:5432 refused")

    monkeypatch.setattr(ServiceChannelStore, "from_env", staticmethod(unreachable))
    channel = ProbeInput.from_credentials({"secret": SECRET})
    assert isinstance(channel, ProbeInput) and not channel.enabled
    assert "Probe channel disabled: case store unavailable (ConnectionError)" in caplog.text
    assert SECRET not in caplog.text and "db.internal" not in caplog.text
    async with serve_channel(channel, Recorder()) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/") as health:
            assert health.status == 503
        assert await post(url, event("d-5", "hello")) == 503
