"""Admission control: how many messages this Rasa process works on at once, across channels.

Under a surge (50 people writing at once) Rasa would otherwise start every message's turn at the
same time. Each turn is mostly CPU work on Rasa's one event loop (NLU, policies, serialising the
tracker for the action server), so starting more turns than there are cores makes no turn finish
sooner; it only lengthens the queue of ready work in front of everything else on that loop —
Twilio and Telegram webhook acknowledgements, socket.io pings, health checks. Twilio retries a
webhook that is not answered within 15 s, and a slow health check restarts a healthy pod.

So every channel hands its messages to the bot through :func:`bounded`: at most
``TURN_CONCURRENCY`` turns (default 8) run at once, the rest wait their turn in arrival order
(asyncio's semaphore is FIFO). Eight keeps both cores busy while some turns wait on the action
server. Measured with `make bench` (docs/benchmark.md): Twilio acknowledgement p99 under 50
concurrent reports 1,011 ms without the bound, 160 ms with 4, 266 ms with 8; throughput within the
run-to-run noise (8.3–10.5 turns/s). Nothing is dropped or reordered within a conversation: each
channel still awaits its turn before the next message of that person.

Why not a library: what is bounded is one coroutine call per message inside Rasa's own Sanic
app; an ``asyncio.Semaphore`` is the library (the standard one).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_TURN_CONCURRENCY = 8

# One per event loop (tests run several loops in one process), dropped with its loop.
_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def turn_concurrency() -> int:
    """``TURN_CONCURRENCY`` from the environment (1 to 256; default 8); 0 turns the bound off."""
    raw = os.environ.get("TURN_CONCURRENCY", "").strip()
    if not raw:
        return DEFAULT_TURN_CONCURRENCY
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_TURN_CONCURRENCY
    return 0 if value <= 0 else min(value, 256)


def _semaphore(limit: int) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    known = _semaphores.get(loop)
    if known is None or known[0] != limit:
        known = _semaphores[loop] = (limit, asyncio.Semaphore(limit))
    return known[1]


def bounded(handler: Callable[[Any], Awaitable[T]]) -> Callable[[Any], Awaitable[T | None]]:
    """Wraps a channel's ``on_new_message`` so turns share the process-wide bound."""
    limit = turn_concurrency()
    if not limit:
        return handler

    async def run(message: Any) -> T | None:
        async with _semaphore(limit):
            return await handler(message)

    return run
