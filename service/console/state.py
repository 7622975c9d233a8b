"""The console's shared state (one per application): its store, and each request's store work
as one unit of work, off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar, overload

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Keyring
from bot.handoff import clock
from bot.handoff.hours import load_hours
from bot.handoff.partners import Partner
from bot.handoff.rasa import RasaClient, Transcript
from bot.hours import OpeningHours
from bot.settings import Settings
from bot.store.audit import Recorded, audited
from bot.store.uow import Store
from service.console.config import ConsoleConfig

T = TypeVar("T")


@dataclass
class ConsoleState:
    """Everything the console's handlers share.

    The store is one :class:`bot.store.uow.Store` made from ``store_settings`` (no I/O: its engine
    and keyring open on first use, so building the app creates no database file); the Rasa client
    and the background loop exist only while the app runs (``cleanup_ctx``).

    Every handler's store work is one unit of work: :meth:`run` (commits when the work returns,
    rolls back if it raises), and a change worth recording goes through :meth:`audited`, which
    writes its audit row in that same unit of work. Handlers never commit and never write an
    audit row themselves.
    """

    config: ConsoleConfig
    store_settings: Settings
    partners: list[Partner]
    store: Store = field(init=False)
    rasa: RasaClient | None = None
    transcript: Transcript | None = None
    hub: Any = None
    env: dict[str, str] | None = None
    #: Each operator's choice of the language the prepared messages are listed in (account id →
    #: language code), kept for as long as the service runs; English without one.
    canned_listing: dict[int, str] = field(default_factory=dict)
    _opened: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.store = Store(self.store_settings)

    def open_store(self) -> None:
        """Opens the store (engine, session factory, keyring) on the console's first use."""
        if not self._opened:
            self.store.sessions  # noqa: B018 - creates the engine and the session factory
            self.store.keyring  # noqa: B018 - loads the key file once
            self._opened = True

    @property
    def sessions(self) -> sessionmaker | None:
        """The store's session factory once the store is open, else None (nothing opened yet)."""
        return self.store.sessions if self._opened else None

    @property
    def keyring(self) -> Keyring:
        """The store's keyring."""
        return self.store.keyring

    def close_store(self) -> None:
        """Disposes of the engine's connections."""
        self.store.dispose()
        self._opened = False

    def now(self) -> dt.datetime:
        """The current time (fake clock honoured only with ALLOW_FAKE_CLOCK=1)."""
        return clock.now(self.env)

    def hours(self, session: Session) -> OpeningHours:
        """Opening hours in force (database, else environment)."""
        return load_hours(session)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs ``work(session)`` as one unit of work in a worker thread (argon2 and SQLite block):
        committed when it returns, rolled back if it raises."""
        self.open_store()
        store = self.store

        def call() -> T:
            with store.unit_of_work() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(call))

    @overload
    async def audited(
        self, record: Recorded, work: Callable[[Session], T], *, now: dt.datetime | None = None
    ) -> T: ...

    @overload
    async def audited(
        self, record: Recorded, work: None = None, *, now: dt.datetime | None = None
    ) -> None: ...

    async def audited(
        self,
        record: Recorded,
        work: Callable[[Session], Any] | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> Any:
        """Runs ``work`` and writes its audit row in one unit of work (:func:`bot.store.audit.audited`):
        both are committed, or neither. Without ``work``, only the row (an audited read or refusal).

        Args:
            record: The row (:class:`bot.store.audit.Audit`), or a function of the work's result
                giving it, or None when the work changed nothing worth recording.
            work: The change, ``work(session) -> result``.
            now: The row's time: the one the handler gave the change (default: the clock's).
        """
        return await self.run(audited(record, work, now=now or self.now()))


CONSOLE_KEY: Final = web.AppKey("console", ConsoleState)


def state_of(request: web.Request) -> ConsoleState:
    """The console state of the request's application."""
    return request.app[CONSOLE_KEY]
