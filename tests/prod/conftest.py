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
from scripts.stack import (
    REDIS_DB,
    Stack,
    admin_sql,
    cleanup_broker,
    cleanup_redis,
    prod_env,
    start_stack,
)
from tests.faults.conftest import start_second_rasa

#: Re-exported for tests/prod's modules.
__all__ = ["REDIS_DB", "ProdStack", "prod"]


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
    admin_sql(f'CREATE DATABASE "{database}"')
    stack: Stack | None = None
    try:
        stack = start_stack(tmp_path_factory.mktemp("prod"), env, service=False)
        second = start_second_rasa(stack)
        yield ProdStack(stack, [stack.rasa_url, second], database, prefix, exchange, queue)
    finally:
        if stack is not None:
            for name in list(stack.procs):
                stack.stop(name)
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cleanup_redis(prefix)
        cleanup_broker(exchange, queue)
