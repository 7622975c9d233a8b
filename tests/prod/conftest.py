"""The production profile against the real servers on 127.0.0.1: PostgreSQL (a database of its
own per module, dropped afterwards), Redis (a unique key prefix, keys deleted afterwards) and
RabbitMQ (a unique exchange and queue, deleted afterwards); two Rasa servers, one action server.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.secrets import production_problems
from tests.e2e.conftest import Stack, start_stack
from tests.faults.conftest import start_second_rasa

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_DB = 3


@dataclass
class ProdStack:
    """A running production-profile stack with two Rasa servers."""

    stack: Stack
    rasa_urls: list[str]
    database: str
    redis_prefix: str
    exchange: str
    queue: str


def _reachable(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _admin_sql(statement: str) -> None:
    """Runs one statement on the admin database outside a transaction."""
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def prod_env(database: str, prefix: str, exchange: str, queue: str) -> dict[str, str]:
    """Environment of the production profile for one isolated test run."""
    return {
        "RASA_ENDPOINTS": "endpoints.prod.yml",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": database, "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": str(REDIS_DB),
        "REDIS_PASSWORD": "", "REDIS_LOCK_PREFIX": prefix,
        "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_PORT": "5672",
        "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_EXCHANGE": exchange, "RABBITMQ_QUEUE": queue,
        # The local test servers run with guest/guest and no Redis password: allowed only so.
        "PROD_LOCAL_TEST": "1",
    }


def _cleanup_broker(exchange: str, queue: str) -> None:
    """Deletes the test's queue and exchange."""
    import asyncio

    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
        try:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(exchange)
        finally:
            await connection.close()

    asyncio.run(delete())


def _cleanup_redis(prefix: str) -> None:
    """Deletes every key under the test's lock prefix."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdStack]:
    """Two Rasa servers + actions on PostgreSQL/Redis/RabbitMQ, isolated per module."""
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379), ("RabbitMQ", 5672)):
        if not _reachable(port):
            pytest.fail(f"{name} is not listening on 127.0.0.1:{port} (needed by -m prod)")
    tag = uuid.uuid4().hex[:10]
    database, prefix = f"prodtest_{tag}", f"prodtest{tag}"
    exchange, queue = f"prodtest-{tag}", f"prodtest-{tag}"
    env = prod_env(database, prefix, exchange, queue)
    # The same gate as scripts/run-prod.sh: these settings pass only because of PROD_LOCAL_TEST.
    assert production_problems(env) == []
    assert production_problems({**env, "PROD_LOCAL_TEST": ""})
    _admin_sql(f'CREATE DATABASE "{database}"')
    stack: Stack | None = None
    try:
        stack = start_stack(tmp_path_factory.mktemp("prod"), env, service=False)
        second = start_second_rasa(stack)
        yield ProdStack(stack, [stack.rasa_url, second], database, prefix, exchange, queue)
    finally:
        if stack is not None:
            for name in list(stack.procs):
                stack.stop(name)
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _cleanup_redis(prefix)
        _cleanup_broker(exchange, queue)
