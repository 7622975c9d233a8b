"""A Redis conversation lock that holds across several Rasa servers.

Rasa 3.6.21's ``RedisLockStore`` changes the shared ticket lock with separate GET and SET calls
(``issue_ticket``, ``finish_serving``, ``update_lock``, ``cleanup``). Two servers receiving
messages of one conversation at the same moment can both read the same lock, both add a ticket
and the second SET overwrites the first: both believe they hold the lock, handle their message on
the same tracker, and one message's events are lost. tests/prod reproduced it (two of five
concurrent description messages vanished from the report).

:class:`AtomicRedisLockStore` keeps Rasa's ticket semantics and storage format but does every
read-modify-write of the lock in a Redis optimistic transaction (WATCH/MULTI/EXEC, retried on
conflict), so concurrent servers serialise. Configure it in ``endpoints.prod.yml``::

    lock_store:
      type: bot.redis_lock.AtomicRedisLockStore
      url: ${REDIS_HOST}
      ...                     # the same keys as Rasa's `type: redis`
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose lock updates are atomic across processes."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """Creates the store from the endpoints.yml section (as Rasa does for custom stores).

        Args:
            endpoint_config: The ``lock_store`` section; its ``url`` is the Redis host.
            **kwargs: RedisLockStore arguments, when created directly (tests).
        """
        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            for key in ("port", "db", "socket_timeout"):
                if isinstance(options.get(key), str) and options[key].strip():
                    options[key] = float(options[key]) if key == "socket_timeout" \
                        else int(options[key])
            if options.get("password") == "":
                options["password"] = None
            kwargs = {"host": endpoint_config.url or "localhost", **options, **kwargs}
        super().__init__(**kwargs)

    def _key(self, conversation_id: str) -> str:
        """The Redis key of a conversation's lock (Rasa's layout)."""
        return str(self.key_prefix) + conversation_id

    def _update(self, conversation_id: str,
                change: Callable[[TicketLock | None], TicketLock | None]) -> TicketLock | None:
        """Reads, changes and writes one lock atomically.

        Args:
            conversation_id: The conversation.
            change: Gets the current lock (or None) and returns the lock to save, or None to
                delete it. Called again if another process changed the lock meanwhile.

        Returns:
            What ``change`` returned on the attempt that committed.
        """
        key = self._key(conversation_id)
        result: dict[str, TicketLock | None] = {}

        def attempt(pipe: Any) -> None:
            raw = pipe.get(key)
            current = TicketLock.from_dict(json.loads(raw)) if raw else None
            updated = change(current)
            pipe.multi()
            if updated is None:
                pipe.delete(key)
            else:
                pipe.set(key, updated.dumps())
            result["lock"] = updated

        self.red.transaction(attempt, key)
        return result.get("lock")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issues the next ticket of the conversation's lock, creating it if needed."""
        tickets: list[int] = []

        def change(lock: TicketLock | None) -> TicketLock:
            lock = lock or TicketLock(conversation_id)
            tickets[:] = [lock.issue_ticket(lock_lifetime)]
            return lock

        try:
            self._update(conversation_id, change)
        except Exception as exc:
            raise LockError(f"Error while acquiring lock: {type(exc).__name__}") from exc
        return tickets[0]

    def update_lock(self, conversation_id: str) -> None:
        """Removes expired tickets (atomically); a missing lock stays missing."""

        def change(lock: TicketLock | None) -> TicketLock | None:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock

        self._update(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a ticket (atomically)."""

        def change(lock: TicketLock | None) -> TicketLock | None:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock

        self._update(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes the ticket and deletes the lock if nobody waits, in one transaction."""

        def change(lock: TicketLock | None) -> TicketLock | None:
            if lock is None:
                return None
            lock.remove_ticket_for(ticket_number)
            return lock if lock.is_someone_waiting() else None

        self._update(conversation_id, change)
