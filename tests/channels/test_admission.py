"""The process-wide bound on turns: never more than the limit at once, arrival order kept,
configurable, and the REST channel keeps Rasa's name and URL. Fairness: one sender's flood
never holds the shared slots, and each conversation's queue is capped with a kind reply."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from channels import admission
from channels.rest_channel import RestInput


async def test_no_more_turns_than_the_limit_run_at_once_and_they_start_in_arrival_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "2")
    running = 0
    peak = 0
    started: list[int] = []

    async def turn(message: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        started.append(message)
        await asyncio.sleep(0.01)
        running -= 1
        return message * 10

    handler = admission.bounded(turn)
    results = await asyncio.gather(*(handler(n) for n in range(7)))
    assert results == [n * 10 for n in range(7)]
    assert peak == 2
    assert started == list(range(7))


async def test_a_failing_turn_frees_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "1")

    async def turn(message: int) -> int:
        if message == 0:
            raise RuntimeError("invented failure")
        return message

    handler = admission.bounded(turn)
    with pytest.raises(RuntimeError):
        await handler(0)
    assert await asyncio.wait_for(handler(1), timeout=2) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", 8), ("3", 3), ("0", 0), ("-2", 0), ("many", 8), ("100000", 256)],
)
def test_turn_concurrency_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", raw)
    assert admission.turn_concurrency() == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", 10), ("3", 3), (" 4 ", 4), ("0", 10), ("-1", 10), ("lots", 10), ("5000", 1000)],
)
def test_conversation_queue_cap_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    monkeypatch.setenv("CONVERSATION_QUEUE_CAP", raw)
    assert admission.conversation_queue_cap() == expected


def test_admission_settings_are_typed_and_read_from_a_mapping() -> None:
    settings = admission.AdmissionSettings.from_env(
        {"TURN_CONCURRENCY": "300", "CONVERSATION_QUEUE_CAP": "7"}
    )
    assert settings == admission.AdmissionSettings(turn_concurrency=256, conversation_queue_cap=7)
    assert admission.AdmissionSettings.from_env({}) == admission.AdmissionSettings(8, 10)


def test_zero_turns_the_bound_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "0")

    async def turn(message: int) -> int:
        return message

    assert admission.bounded(turn) is turn


def test_rest_channel_keeps_rasas_name_and_url() -> None:
    assert RestInput.name() == "rest"
    assert RestInput().url_prefix() == "rest"


@dataclass
class FakeOutput:
    """Records what a channel would have sent (Rasa's OutputChannel.send_response)."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent.append((recipient_id, message))


@dataclass
class Msg:
    """The parts of Rasa's UserMessage that admission reads."""

    sender_id: str
    n: int
    output_channel: FakeOutput = field(default_factory=FakeOutput)


def rasa_like_turn(delay: float, started: dict[tuple[str, int], float]) -> Any:
    """A fake turn of fixed length that, like Rasa's lock store, runs one sender's turns
    one after another."""
    locks: dict[str, asyncio.Lock] = {}

    async def turn(message: Msg) -> int:
        async with locks.setdefault(message.sender_id, asyncio.Lock()):
            started[(message.sender_id, message.n)] = time.monotonic()
            await asyncio.sleep(delay)
        return message.n

    return turn


@pytest.mark.parametrize("cap", ["1000", "10"])
async def test_a_flood_of_200_from_one_sender_does_not_delay_anothers_first_turn(
    monkeypatch: pytest.MonkeyPatch, cap: str
) -> None:
    # cap 1000: fairness alone (all 200 queued); cap 10: the default, most are refused.
    monkeypatch.setenv("TURN_CONCURRENCY", "2")
    monkeypatch.setenv("CONVERSATION_QUEUE_CAP", cap)
    started: dict[tuple[str, int], float] = {}
    handler = admission.bounded(rasa_like_turn(0.02, started))
    flood = [asyncio.ensure_future(handler(Msg("flooder", n))) for n in range(200)]
    await asyncio.sleep(0)  # the flood is queued first
    sent_at = time.monotonic()
    other = asyncio.ensure_future(handler(Msg("someone-else", 0)))
    try:
        await asyncio.wait_for(other, timeout=3)  # bounded: today's code needs about 4 s
        assert started[("someone-else", 0)] - sent_at < 1.0
    finally:
        for task in flood:
            task.cancel()
        await asyncio.gather(*flood, return_exceptions=True)


async def test_one_conversations_messages_keep_their_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "4")
    started: dict[tuple[str, int], float] = {}
    order: list[int] = []
    turn = rasa_like_turn(0.001, started)

    async def recording(message: Msg) -> int:
        order.append(message.n)
        return await turn(message)

    handler = admission.bounded(recording)
    assert await asyncio.gather(*(handler(Msg("a", n)) for n in range(8))) == list(range(8))
    assert order == list(range(8))


async def test_beyond_the_cap_the_person_is_told_and_the_rest_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "2")
    monkeypatch.setenv("CONVERSATION_QUEUE_CAP", "3")
    rendered: list[str] = []

    async def render(message: Msg, name: str) -> dict[str, Any]:
        rendered.append(name)
        return {"text": f"busy for {message.sender_id}"}

    admission.set_refusal(render)
    gate = asyncio.Event()
    handled: list[int] = []

    async def turn(message: Msg) -> int:
        await gate.wait()
        handled.append(message.n)
        return message.n

    handler = admission.bounded(turn)
    try:
        messages = [Msg("a", n) for n in range(6)]
        tasks = [asyncio.ensure_future(handler(m)) for m in messages]
        await asyncio.sleep(0.05)
        refused = messages[3:]
        for m in refused:  # told at once, while the first three still wait
            assert m.output_channel.sent == [("a", {"text": "busy for a"})]
        assert rendered == [admission.BUSY_RESPONSE]  # rendered once for the whole episode
        gate.set()
        results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=2)
        assert results == [0, 1, 2, None, None, None]
        assert handled == [0, 1, 2]
        for m in messages[:3]:
            assert m.output_channel.sent == []
        # The queue has drained: the next message is taken again.
        assert await asyncio.wait_for(handler(Msg("a", 9)), timeout=2) == 9
    finally:
        admission.set_refusal(None)


async def test_without_a_renderer_the_busy_reply_is_still_kind_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "1")
    monkeypatch.setenv("CONVERSATION_QUEUE_CAP", "1")
    admission.set_refusal(None)
    gate = asyncio.Event()

    async def turn(message: Msg) -> int:
        await gate.wait()
        return message.n

    handler = admission.bounded(turn)
    first = asyncio.ensure_future(handler(Msg("b", 0)))
    await asyncio.sleep(0.01)
    second = Msg("b", 1)
    assert await asyncio.wait_for(handler(second), timeout=2) is None
    assert second.output_channel.sent == [("b", {"text": admission.FALLBACK_BUSY_TEXT})]
    gate.set()
    assert await first == 0

