"""Background jobs of the web service: the retention run (see :mod:`bot.privacy.retention`).

Registered with :func:`setup_jobs` in :func:`service.app.create_app`. The job lives in the app's
``cleanup_ctx``: it starts with the app, runs once after a short delay and then every
``RETENTION_INTERVAL_HOURS`` (0 turns it off), in a worker thread so the event loop never waits on
the database, and is cancelled when the app stops. Several service instances may run it: every
step is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Final

from aiohttp import web

from bot.privacy.config import PrivacySettings
from bot.settings import Settings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.store.uow import Store

logger = logging.getLogger(__name__)

RETENTION_TASK_KEY: Final = web.AppKey("retention_task", asyncio.Task)
DEFAULT_FIRST_DELAY_S: Final = 300.0


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def setup_jobs(
    app: web.Application,
    store_settings: Settings | None = None,
    privacy: PrivacySettings | None = None,
    *,
    first_delay_s: float = DEFAULT_FIRST_DELAY_S,
    clock: Callable[[], datetime] = _utcnow,
    store: Store | None = None,
) -> None:
    """Adds the scheduled retention run to ``app``.

    Args:
        app: The web application.
        store_settings: Case store settings; :meth:`Settings.from_env` when omitted.
        privacy: Retention settings; :meth:`PrivacySettings.from_env` when omitted.
        first_delay_s: Seconds after start-up before the first run (at most the interval).
        clock: Gives "now" for each run (tests use a fake clock).
        store: The case store the web service already holds (the console's); the process's
            store (:func:`bot.store.uow.process_store`) when omitted.
    """
    settings = store_settings or Settings.from_env()
    privacy = privacy or PrivacySettings.from_env(settings=settings)
    interval_s = privacy.retention_interval_hours * 3600
    if interval_s <= 0:
        logger.info("Scheduled retention is off (RETENTION_INTERVAL_HOURS=0)")
        return

    async def retention_job(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            await asyncio.sleep(min(first_delay_s, interval_s))
            while True:
                try:
                    await asyncio.to_thread(
                        run_retention_once, settings, privacy, clock(), store
                    )
                except Exception as exc:  # noqa: BLE001 - keep the job alive; no data in the log
                    logger.error("Scheduled retention run failed (%s)", type(exc).__name__)
                await asyncio.sleep(interval_s)

        app[RETENTION_TASK_KEY] = asyncio.create_task(loop())
        yield
        app[RETENTION_TASK_KEY].cancel()
        try:
            await app[RETENTION_TASK_KEY]
        except asyncio.CancelledError:
            pass

    app.cleanup_ctx.append(retention_job)


def run_retention_once(
    settings: Settings, privacy: PrivacySettings, now: datetime, store: Store | None = None
) -> None:
    """One retention run on the case store (``store``, else the process's) and its own tracker
    engine (blocking: call it in a worker thread)."""
    from bot.privacy.retention import run_retention
    from bot.privacy.tracker_events import tracker_engine
    from bot.store.uow import process_store

    tracker = tracker_engine(privacy.tracker_url, settings.sqlite_busy_timeout_s)
    if tracker is None:
        logger.warning("No tracker database at TRACKER_DB/TRACKER_DB_URL; transcripts not purged")
    try:
        run_retention(store or process_store(settings), privacy, now=now, tracker=tracker)
    finally:
        if tracker is not None:
            tracker.dispose()
