"""The process-wide bound on turns: never more than the limit at once, arrival order kept,
configurable, and the REST channel keeps Rasa's name and URL."""

from __future__ import annotations

import asyncio

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


def test_zero_turns_the_bound_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TURN_CONCURRENCY", "0")

    async def turn(message: int) -> int:
        return message

    assert admission.bounded(turn) is turn


def test_rest_channel_keeps_rasas_name_and_url() -> None:
    assert RestInput.name() == "rest"
    assert RestInput().url_prefix() == "rest"
