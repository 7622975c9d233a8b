"""Shared pieces of the console's browser tests: a store with invented staff accounts, the fake
Rasa HTTP API on a loopback port, signing in."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from selenium.webdriver.common.by import By

from tests.browser.conftest import REPO_ROOT, free_port, wait_until
from tests.service.console.conftest import FakeRasa

PASSWORD = "a browser test password"
#: Invented staff: (e-mail, role, languages, organisation).
STAFF = (
    ("op@example.org", "operator", "en,vi", None),
    ("admin@example.org", "admin", "en", None),
)


@contextlib.contextmanager
def serve_fake_rasa() -> Iterator[tuple[FakeRasa, str]]:
    """The fake Rasa HTTP API on a loopback port, in its own thread and event loop."""
    fake = FakeRasa()
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@pytest.fixture
def fake_rasa_url() -> Iterator[tuple[FakeRasa, str]]:
    """The fake Rasa HTTP API for one test."""
    with serve_fake_rasa() as served:
        yield served


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    """Runs ``python -m bot.cli <args>`` against the test store."""
    subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        text=True,
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )


def prepare_store(
    var_dir: Path,
    staff: tuple[tuple[str, str, str, str | None], ...] = STAFF,
    live_chats: tuple[tuple[str, str], ...] = (),
) -> dict[str, str]:
    """A migrated store under ``var_dir`` with the staff accounts (all with PASSWORD) and
    waiting live chats ``(conversation id, language)``; returns the service's environment."""
    env = {"VAR_DIR": str(var_dir), "PYTHONPATH": str(REPO_ROOT), "CONSOLE_COOKIE_SECURE": "0"}
    cli(env, "db", "upgrade")
    for email, role, languages, organisation in staff:
        args = ["users", "add", "--role", role, "--email", email, "--languages", languages]
        if organisation:
            args += ["--organisation", organisation]
        cli(env, *args, "--password-stdin", stdin=PASSWORD + "\n")
    if live_chats:
        from bot.handoff import live
        from bot.settings import Settings
        from bot.store.db import make_engine, make_session_factory

        engine = make_engine(Settings.from_env(env).database_url)
        with make_session_factory(engine)() as session:
            for conversation_id, language in live_chats:
                live.enqueue(
                    session,
                    conversation_id=conversation_id,
                    channel="socketio",
                    language=language,
                    now=dt.datetime.now(dt.timezone.utc),
                )
            session.commit()  # the handoff functions never commit (bot.store.uow)
        engine.dispose()
    return env


def sign_in(driver: Any, base: str, email: str, then: str = "/console") -> None:
    """Signs in through the login form and waits for the console's header."""
    driver.get(base + then)
    wait_until(lambda: driver.find_elements(By.ID, "email"), 15)
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "header nav"), 15)
