"""The operator/caseworker console: pages under ``/console``, JSON under ``/api``.

Register it with :func:`setup_console` from :func:`service.app.create_app`. See
``docs/operators.md`` for roles, the admin command and the live handoff.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.handoff.partners import load_partners
from bot.handoff.rasa import RasaClient, TrackerTranscript
from bot.settings import Settings
from service.console.api import setup_api
from service.console.config import ConsoleConfig
from service.console.errors import errors
from service.console.hub import Hub
from service.console.pages import setup_pages
from service.console.security import guard
from service.console.state import CONSOLE_KEY, ConsoleState
from service.settings import SETTINGS_KEY

logger = logging.getLogger(__name__)


def setup_console(
    app: web.Application,
    config: ConsoleConfig | None = None,
    store_settings: Settings | None = None,
    *,
    start_loop: bool = True,
) -> ConsoleState:
    """Adds the console's routes, its error and guard middlewares and its lifetime (Rasa client,
    loop).

    Args:
        app: The application from :func:`service.app.create_app`.
        config: Console settings; read from the environment when omitted.
        store_settings: Case store settings; read from the environment when omitted.
        start_loop: Run the live-chat background loop (tests drive ``hub.tick()`` themselves).

    Returns:
        The console state (tests use it to reach the store).
    """
    config = config or ConsoleConfig.from_env()
    state = ConsoleState(
        config=config,
        store_settings=store_settings or Settings.from_env(),
        partners=load_partners(config.partners_file),
    )
    state.hub = Hub(state)
    app[CONSOLE_KEY] = state
    app.middlewares.append(errors)  # outside the guard: its errors get the one shape too
    app.middlewares.append(guard)
    setup_pages(app)
    setup_api(app)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as client:
            if state.rasa is None:
                state.rasa = RasaClient(app[SETTINGS_KEY].rasa_url, client, config.rasa_token)
            if state.transcript is None:
                state.transcript = TrackerTranscript(state.rasa)
            if start_loop:
                state.hub.start()
            yield
            await state.hub.stop()
        state.close_store()

    app.cleanup_ctx.append(lifetime)
    return state
