"""The web service's scheduled retention job, with a fake clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import sqlalchemy as sa
from aiohttp import web

from bot.privacy.config import PrivacySettings
from bot.privacy.models import StatisticalRecord
from bot.settings import Settings
from bot.store.db import upgrade
from bot.store.uow import Store
from service.jobs import RETENTION_TASK_KEY, setup_jobs
from tests.bot.privacy.factories import submit_at


async def test_job_runs_retention_with_its_clock_and_stops_with_the_app(
    settings: Settings, aiohttp_client: object
) -> None:
    upgrade(settings.database_url)
    handle = Store(settings)
    sessions, keyring = handle.unit_of_work, handle.keyring
    submit_at(sessions, keyring, datetime(2023, 1, 1, tzinfo=timezone.utc), "old")
    submit_at(sessions, keyring, datetime(2025, 6, 1, tzinfo=timezone.utc), "young")
    privacy = PrivacySettings(
        tracker_url=f"sqlite:///{settings.var_dir / 'tracker.db'}", retention_interval_hours=1
    )
    app = web.Application()
    setup_jobs(
        app, settings, privacy, first_delay_s=0,
        clock=lambda: datetime(2025, 7, 1, tzinfo=timezone.utc),
    )
    client = await aiohttp_client(app)  # type: ignore[operator]
    for _ in range(100):
        with sessions() as session:
            if session.scalar(sa.select(sa.func.count()).select_from(StatisticalRecord)):
                break
        await asyncio.sleep(0.05)
    with sessions() as session:
        months = session.scalars(sa.select(StatisticalRecord.month)).all()
    assert months == ["2023-01"]  # only the case older than 24 months at the fake "now"
    task = app[RETENTION_TASK_KEY]
    await client.close()  # type: ignore[attr-defined]
    assert task.done()
    handle.dispose()


def test_job_is_off_when_the_interval_is_zero(settings: Settings) -> None:
    app = web.Application()
    setup_jobs(app, settings, PrivacySettings(tracker_url="sqlite://", retention_interval_hours=0))
    assert len(app.cleanup_ctx) == 0


def test_a_run_uses_the_store_it_is_given_and_opens_no_other(settings: Settings) -> None:
    from bot.store.uow import use_process_store
    from service.jobs import run_retention_once

    upgrade(settings.database_url)
    handle = Store(settings)
    submit_at(handle.unit_of_work, handle.keyring, datetime(2023, 1, 1, tzinfo=timezone.utc), "old")
    privacy = PrivacySettings(tracker_url=f"sqlite:///{settings.var_dir / 'tracker.db'}")
    run_retention_once(settings, privacy, datetime(2025, 7, 1, tzinfo=timezone.utc), handle)
    assert use_process_store(None) is None  # no second handle (engine) was made
    with handle.reading() as session:
        assert session.scalars(sa.select(StatisticalRecord.month)).all() == ["2023-01"]
    handle.dispose()
