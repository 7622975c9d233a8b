"""The console's shared state (one per application) and running store work off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from bot.crypto import Keyring
from bot.handoff import clock
from bot.handoff.hours import load_hours
from bot.handoff.partners import Partner
from bot.handoff.rasa import RasaClient, Transcript
from bot.hours import OpeningHours
from bot.settings import Settings
from service.console.config import ConsoleConfig

T = TypeVar("T")


@dataclass
class ConsoleState:
    """Everything the console's handlers share.

    The store is opened lazily (first use), so building the app does no I/O; the Rasa client and
    the background loop exist only while the app runs (``cleanup_ctx``).
    """

    config: ConsoleConfig
    store_settings: Settings
    partners: list[Partner]
    sessions: Any = None
    keyring: Keyring | None = None
    rasa: RasaClient | None = None
    transcript: Transcript | None = None
    hub: Any = None
    env: dict[str, str] | None = None
    _engine: Any = field(default=None, repr=False)

    def open_store(self) -> None:
        """Creates the engine, session factory and keyring once."""
        if self.sessions is not None:
            return
        from bot.store.db import make_engine, make_session_factory

        self._engine = make_engine(
            self.store_settings.database_url,
            busy_timeout_s=self.store_settings.sqlite_busy_timeout_s,
        )
        self.sessions = make_session_factory(self._engine)
        if self.keyring is None:
            self.keyring = Keyring.load(self.store_settings)

    def close_store(self) -> None:
        """Disposes of the engine."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine, self.sessions = None, None

    def now(self) -> dt.datetime:
        """The current time (fake clock honoured only with ALLOW_FAKE_CLOCK=1)."""
        return clock.now(self.env)

    def hours(self, session: Session) -> OpeningHours:
        """Opening hours in force (database, else environment)."""
        return load_hours(session)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs ``work(session)`` with a fresh session in a worker thread (argon2 and SQLite block)."""
        self.open_store()
        factory = self.sessions

        def call() -> T:
            with factory() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(call))


CONSOLE_KEY: Final = web.AppKey("console", ConsoleState)


def state_of(request: web.Request) -> ConsoleState:
    """The console state of the request's application."""
    return request.app[CONSOLE_KEY]
