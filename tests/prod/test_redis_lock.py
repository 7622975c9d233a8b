"""AtomicRedisLockStore against the real Redis: tickets stay unique under concurrent servers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from rasa.core.lock_store import RedisLockStore

from bot.redis_lock import AtomicRedisLockStore
from tests.prod.conftest import REDIS_DB

pytestmark = pytest.mark.prod


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique key prefix, its keys deleted afterwards."""
    value = f"locktest{uuid.uuid4().hex[:10]}"
    yield value
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    for key in client.scan_iter(f"{value}:*"):
        client.delete(key)
    client.close()


def issue_many(store_a: RedisLockStore, store_b: RedisLockStore, n: int) -> list[int]:
    """Issues ``n`` tickets for one conversation from two stores (two servers) at once."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit((store_a if i % 2 else store_b).issue_ticket, "conv", 60)
                   for i in range(n)]
        return [f.result(timeout=30) for f in futures]


def make(cls: type[RedisLockStore], prefix: str) -> RedisLockStore:
    """A store on the test Redis database."""
    return cls(host="127.0.0.1", port=6379, db=REDIS_DB, key_prefix=prefix)


def test_concurrent_tickets_from_two_servers_are_unique_and_all_kept(prefix: str) -> None:
    a, b = make(AtomicRedisLockStore, prefix), make(AtomicRedisLockStore, prefix)
    tickets = issue_many(a, b, 40)
    assert sorted(tickets) == list(range(40))
    lock = a.get_lock("conv")
    assert lock is not None and len(lock.tickets) == 40


def test_lock_serialises_holders_and_is_deleted_when_nobody_waits(prefix: str) -> None:
    a, b = make(AtomicRedisLockStore, prefix), make(AtomicRedisLockStore, prefix)
    inside = 0
    most = 0

    async def hold(store: RedisLockStore) -> None:
        nonlocal inside, most
        async with store.lock("conv", wait_time_in_seconds=0.01):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.02)
            inside -= 1

    async def run() -> None:
        await asyncio.gather(*(hold(a if i % 2 else b) for i in range(10)))

    asyncio.run(run())
    assert most == 1
    assert a.get_lock("conv") is None


def test_endpoint_config_strings_from_environment_are_accepted(prefix: str) -> None:
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(url="127.0.0.1", port="6379", db=str(REDIS_DB), password="",
                            key_prefix=prefix, type="bot.redis_lock.AtomicRedisLockStore")
    store = AtomicRedisLockStore(endpoint_config=config)
    assert store.issue_ticket("conv") == 0
    assert store.key_prefix.startswith(prefix)
