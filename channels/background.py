"""Fire-and-forget tasks (a webhook's work after it has been acknowledged), kept referenced and
logged by exception type only when they fail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

logger = logging.getLogger(__name__)


class BackgroundTasks:
    """Keeps references to fire-and-forget tasks so they are not garbage-collected mid-run."""

    def __init__(self) -> None:
        """Creates an empty task set."""
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Schedules ``coro`` and logs (without content) if it fails.

        Args:
            coro: The coroutine to run.
            name: A task name for logs (must not contain personal data).

        Returns:
            The task.
        """
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.error("Background task %s failed: %s", name, type(t.exception()).__name__)

        task.add_done_callback(done)
        return task

    async def join(self) -> None:
        """Waits for every pending task (tests, graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
