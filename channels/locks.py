"""Per-conversation locks: one person's messages are handled one at a time, in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Held:
    """One key's lock and how many tasks hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    count: int = 0


class KeyedLocks:
    """One FIFO lock per key (a person's pseudonym), dropped when nobody holds or waits for it.

    The count is explicit (asyncio's ``Lock._waiters`` is private). The place is taken before the
    first ``await``, so one person's messages run in arrival order.
    """

    def __init__(self) -> None:
        """Creates an empty table."""
        self._held: dict[str, _Held] = {}

    def __len__(self) -> int:
        """How many keys are held or waited for."""
        return len(self._held)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Holds ``key``'s lock for the block, after everyone who asked for it before."""
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = _Held()
        held.count += 1
        try:
            async with held.lock:
                yield
        finally:
            held.count -= 1
            if held.count == 0 and self._held.get(key) is held:
                del self._held[key]
