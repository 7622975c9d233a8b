"""The store's key guarantees on each backend: SQLite (default) and PostgreSQL (``prod``).

The PostgreSQL runs use the server at 127.0.0.1:5432 (``PG_TEST_URL`` overrides it), each in a
schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

# The privacy tables live on the same metadata (bot/privacy/models.py): imported so the comparison
# sees every table even when this file runs alone.
import bot.privacy.models  # noqa: F401
from bot.crypto import Keyring
from bot.settings import Settings
from bot.store import service
from bot.store.db import make_engine, upgrade
from bot.store.models import Base, Case
from bot.store.uow import Store
from tests.bot.store.drafts import DESCRIPTION, PHONE, make_draft

PG_URL = os.environ.get("PG_TEST_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema (search_path), dropped after the test."""
    schema = f"test_store_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        admin.dispose()
        pytest.skip("PostgreSQL is not reachable at PG_TEST_URL")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def backend_url(request: pytest.FixtureRequest, settings: Settings) -> str:
    """The database URL of each backend, migrated to head."""
    url = (
        settings.database_url
        if request.param == "sqlite"
        else request.getfixturevalue("pg_schema_url")
    )
    upgrade(url)
    return url


@pytest.fixture
def sessions(backend_url: str, settings: Settings) -> Iterator[Any]:
    """One unit of work per ``with sessions() as session:`` block, on the backend."""
    store = Store(settings, engine=make_engine(backend_url))
    yield store.unit_of_work
    store.dispose()


def test_migrations_match_models(backend_url: str) -> None:
    engine = make_engine(backend_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_submit_get_round_trip(sessions: Any, keyring: Keyring) -> None:
    with sessions() as session:
        result = service.submit_report(session, keyring, make_draft(), submission_key="rt-1")
        again = service.submit_report(session, keyring, make_draft(), submission_key="rt-1")
    assert result.created and not again.created and again.reference == result.reference
    with sessions() as session:
        case = service.get_case(session, keyring, result.reference.lower())
        listed = service.list_cases(session)
    assert case is not None
    assert case["incident"]["description"] == DESCRIPTION
    assert case["contact"]["phone"] == PHONE
    assert len(case["consents"]) == 3
    assert case["created_at"].endswith("+00:00")
    assert [c["reference"] for c in listed] == [result.reference]


def test_concurrent_double_submit_creates_one_case(sessions: Any, keyring: Keyring) -> None:
    barrier = threading.Barrier(2)
    results: list[service.SubmitResult] = []

    def submit() -> None:
        with sessions() as session:
            barrier.wait()
            results.append(
                service.submit_report(session, keyring, make_draft(), submission_key="dbl")
            )

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.reference for r in results}) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_claim_delivery_and_channel_state(sessions: Any, keyring: Keyring) -> None:
    with sessions() as session:
        assert service.claim_delivery(session, "twilio", "SM42") is True
        assert service.claim_delivery(session, "twilio", "SM42") is False
        service.set_channel_state(session, "twilio", "tw-1", "sms_options", ["a", "b"])
        service.remember_address(session, keyring, "twilio", "tw-1", PHONE)
    with sessions() as session:
        assert service.get_channel_state(session, "twilio", "tw-1", "sms_options") == ["a", "b"]
        assert service.lookup_address(session, keyring, "twilio", "tw-1") == PHONE
