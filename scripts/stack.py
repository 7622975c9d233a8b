"""Starting our stack on loopback, shared by the end-to-end tests (tests/e2e/conftest.py and the
suites that reuse it) and the benchmark (scripts/bench.py): Rasa server (trained model), action
server and web service, each on a free port, with a fresh SQLite case store, tracker store and
keyring in a temporary folder, started the way ``make run`` starts them.

`start_stack` returns a `Stack`; `free_port` and `wait_http` are the small pieces it uses, and
`rasa_args`/`action_args` are the command lines (the benchmark wraps them for --diagnose and
starts a second Rasa process with `rasa_args`). `prod_env`, `admin_sql`, `cleanup_redis` and
`cleanup_broker` set up and remove one isolated run of the production profile (tests/prod and the
benchmark's scale-out phase).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"
VENV_BIN = Path(sys.executable).parent
#: Channel variables credentials.yml refers to; Rasa refuses unset ones, empty disables a channel.
CHANNEL_VARS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SMS_NUMBER",
    "TWILIO_WHATSAPP_NUMBER",
    "TWILIO_PUBLIC_URL",
    "TWILIO_API_BASE_URL",
    "TWILIO_WHATSAPP_TEMPLATE_SID",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_FILE_BASE_URL",
)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, procs: list[subprocess.Popen]) -> None:
    """Waits until `url` answers 2xx, failing early if one of `procs` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"process exited with {proc.returncode}: {proc.args!s}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up in {timeout}s")


@dataclass
class Stack:
    """The running processes and where to reach them."""

    tmp: Path
    env: dict[str, str]
    rasa_url: str
    action_url: str
    service_url: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    #: Rasa's ``--auth-token`` and the action server's shared secret (as ``make run`` makes them).
    rasa_token: str = field(default="", repr=False)
    action_secret: str = field(default="", repr=False)
    _case_store: Any = field(default=None, repr=False)

    def rasa_api(self, path: str) -> str:
        """URL of a Rasa HTTP API ``path`` (``/conversations/...``) with the token."""
        separator = "&" if "?" in path else "?"
        return f"{self.rasa_url}{path}{separator}{urlencode({'token': self.rasa_token})}"

    def start(self, name: str, args: list[str], health: str, timeout: float = 180) -> None:
        """Starts one process (or restarts it) and waits for its health URL."""
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        handle = open(log, "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        wait_http(health, timeout, [self.procs[name]])

    def stop(self, name: str, sig: int = 15) -> None:
        """Stops one process (SIGTERM by default, SIGKILL with sig=9)."""
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def case_store(self) -> Any:
        """The :class:`bot.store.uow.Store` of the case store the stack writes (made once):
        write through its ``unit_of_work()``."""
        if self._case_store is None:
            from bot.settings import Settings
            from bot.store.uow import Store

            self._case_store = Store(Settings.from_env(self.env))
        return self._case_store

    def store(self) -> tuple[Any, Any]:
        """(session factory, keyring) for reading the case store the stack writes."""
        handle = self.case_store()
        return handle.sessions, handle.keyring

    def log_text(self) -> str:
        """Every process log, for assertions that nothing personal was logged."""
        return "\n".join(p.read_text(errors="replace") for p in self.logs.values() if p.exists())


def action_args(port: int) -> list[str]:
    """The action server as the run scripts start it (loopback, shared secret required)."""
    return [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(port)]


def rasa_args(stack: Stack, port: int) -> list[str]:
    """Rasa as the run scripts start it: API on with the mandatory token, CORS only for the
    chat page's origin, loopback."""
    return [
        str(VENV_BIN / "rasa"),
        "run",
        "--model",
        str(MODEL),
        "--endpoints",
        stack.env.get("RASA_ENDPOINTS", "endpoints.yml"),
        "--credentials",
        stack.env.get("RASA_CREDENTIALS", "credentials.yml"),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--enable-api",
        f"--auth-token={stack.rasa_token}",
        "--cors",
        *stack.env["RASA_CORS"].split(),
    ]


def start_stack(tmp: Path, extra_env: dict[str, str] | None = None, service: bool = True) -> Stack:
    """Starts Rasa, the action server and (optionally) the web service in `tmp`."""
    if not MODEL.exists():
        raise FileNotFoundError("no trained model: run `make train` (make test does it)")
    rasa_port, action_port, service_port = free_port(), free_port(), free_port()
    env = {
        **{var: "" for var in CHANNEL_VARS},
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp}/cases.db",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "EXIT_URL": "/neutral",  # no network: the local neutral page
        "SERVICE_PORT": str(service_port),
        "RASA_CORS": f"http://127.0.0.1:{service_port}",
        **(extra_env or {}),
    }
    from bot.secrets import ACTION_SECRET_ENV, RASA_TOKEN_ENV, action_secret, rasa_token

    # Created in tmp/secrets/ (VAR_DIR) like `make run` does under var/, unless given.
    env[RASA_TOKEN_ENV] = str(rasa_token(env))
    env[ACTION_SECRET_ENV] = str(action_secret(env))
    stack = Stack(
        tmp=tmp,
        env=env,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        service_url=f"http://127.0.0.1:{service_port}",
        rasa_token=env[RASA_TOKEN_ENV],
        action_secret=env[ACTION_SECRET_ENV],
    )
    subprocess.run(
        [str(VENV_BIN / "python"), "-m", "bot.cli", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    stack.start("actions", action_args(action_port), f"{stack.action_url}/health")
    stack.start("rasa", rasa_args(stack, rasa_port), f"{stack.rasa_url}/")
    if service:
        stack.start(
            "service", [str(VENV_BIN / "python"), "-m", "service"], f"{stack.service_url}/health"
        )
    return stack


# -- the production profile -----------------------------------------------------------------------
# PostgreSQL, Redis and RabbitMQ on 127.0.0.1 as tests/prod and the benchmark's scale-out phase
# use them: each run has a database, lock prefix, exchange and queue of its own, removed after.

#: The admin database that creates and drops a run's own database.
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
#: The Redis database of test and benchmark runs (not the one `make run-prod` uses).
REDIS_DB = 3


def admin_sql(statement: str) -> None:
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
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": database,
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": str(REDIS_DB),
        "REDIS_PASSWORD": "",
        "REDIS_LOCK_PREFIX": prefix,
        "RABBITMQ_HOST": "127.0.0.1",
        "RABBITMQ_PORT": "5672",
        "RABBITMQ_USER": "guest",
        "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_EXCHANGE": exchange,
        "RABBITMQ_QUEUE": queue,
        # The local test servers run with guest/guest and no Redis password: allowed only so.
        "PROD_LOCAL_TEST": "1",
    }


def cleanup_broker(exchange: str, queue: str) -> None:
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


def cleanup_redis(prefix: str) -> None:
    """Deletes every key under the test's lock prefix."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    finally:
        client.close()
