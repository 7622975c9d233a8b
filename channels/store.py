"""The case store as the channels see it: :class:`ChannelStore`, an async facade for pseudonyms,
addresses, channel state, evidence and delivery claims (the cross-process dedup of a provider's
retried deliveries), and :class:`ServiceChannelStore` over ``bot.store.service``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.settings import Settings
    from bot.store.uow import Store

T = TypeVar("T")


class ChannelStore(Protocol):
    """What the channels need from the case store and crypto, as coroutines."""

    def pseudonymise(self, channel: str, address: str) -> str:
        """Returns the keyed-hash pseudonym used as Rasa sender id."""

    async def claim_delivery(self, provider: str, delivery_id: str) -> bool:
        """Returns True the first time a delivery id is seen (across processes)."""

    async def remember_address(self, channel: str, pseudonym: str, address: str) -> None:
        """Stores the real address encrypted."""

    async def lookup_address(self, channel: str, pseudonym: str) -> str | None:
        """Returns the real address for a pseudonym, or None."""

    async def get_state(self, channel: str, pseudonym: str, key: str) -> Any:
        """Returns a JSON-able channel state value, or None."""

    async def set_state(self, channel: str, pseudonym: str, key: str, value: Any) -> None:
        """Stores a JSON-able channel state value (None clears it)."""

    async def add_evidence(self, conversation_key: str, content_type: str, data: bytes) -> int:
        """Stores an encrypted evidence file and returns its id."""


class ServiceChannelStore:
    """:class:`ChannelStore` over ``bot.store.service`` and ``bot.crypto``.

    The store is synchronous SQLAlchemy; every call runs in a worker thread as one unit of work
    of the process's :class:`~bot.store.uow.Store`, so the Sanic event loop is never blocked.
    """

    def __init__(self, store: Store) -> None:
        """Creates the facade.

        Args:
            store: The case store (its keyring encrypts addresses and evidence; its settings give
                the evidence directory and limits).
        """
        self._store = store
        self._keyring = store.keyring
        self._settings = store.settings

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceChannelStore:
        """Builds the facade over the process's case store (made from ``settings`` if the process
        has none yet): every channel of the Rasa process shares its engine."""
        from bot.store.uow import process_store

        return cls(process_store(settings))

    @classmethod
    def from_env(cls) -> ServiceChannelStore:
        """Builds the facade from ``Settings.from_env()`` (called at channel start-up)."""
        from bot.settings import Settings

        return cls.from_settings(Settings.from_env())

    async def _run(self, fn: Callable[[Any], T]) -> T:
        """Runs ``fn(session)`` in a thread, as one unit of work (committed on success)."""

        def work() -> T:
            with self._store.unit_of_work() as session:
                return fn(session)

        return await asyncio.to_thread(work)

    def pseudonymise(self, channel: str, address: str) -> str:
        """Returns ``bot.crypto.pseudonymise(channel, address, keyring=...)``."""
        pseudonym: str = self._keyring.pseudonymise(channel, address)
        return pseudonym

    async def claim_delivery(self, provider: str, delivery_id: str) -> bool:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(lambda s: bool(service.claim_delivery(s, provider, delivery_id)))

    async def remember_address(self, channel: str, pseudonym: str, address: str) -> None:
        """See :class:`ChannelStore`."""
        from bot.store import service

        await self._run(
            lambda s: service.remember_address(s, self._keyring, channel, pseudonym, address)
        )

    async def lookup_address(self, channel: str, pseudonym: str) -> str | None:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(
            lambda s: service.lookup_address(s, self._keyring, channel, pseudonym)
        )

    async def get_state(self, channel: str, pseudonym: str, key: str) -> Any:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(lambda s: service.get_channel_state(s, channel, pseudonym, key))

    async def set_state(self, channel: str, pseudonym: str, key: str, value: Any) -> None:
        """See :class:`ChannelStore`."""
        from bot.store import service

        await self._run(lambda s: service.set_channel_state(s, channel, pseudonym, key, value))

    async def add_evidence(self, conversation_key: str, content_type: str, data: bytes) -> int:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(
            lambda s: int(
                service.add_evidence(
                    s, self._keyring, self._settings, conversation_key, content_type, data
                )
            )
        )
