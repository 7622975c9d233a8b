"""Helpers for real-browser tests: a Chromium driver factory, the web service on a free loopback
port, and a fake Rasa socket.io server.

Reusable for end-to-end runs against the real bot: start Rasa yourself, then
``with run_service(rasa_url="http://127.0.0.1:5005") as base_url:`` and ``make_driver()``.
Chromium and chromedriver come from Debian (``scripts/browser-deps.sh``); Selenium Manager is never
used because the driver's path is always given explicitly.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp import web
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from scripts.stack import free_port

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: Payloads and titles the fake bot offers; tests assert on them.
VICTIM_PAYLOAD = '/inform{"choice":"victim"}'
WITNESS_PAYLOAD = '/inform{"choice":"witness"}'
VICTIM_TITLE = "是的，发生在我身上"
WITNESS_TITLE = "我看到了 (I saw it)"
GREETING = "你好！Hello, I am here to listen."
QUESTION = "这件事发生在你身上吗？"
THANKS = "谢谢。我们继续。"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser: mark it, and skip it without Chromium."""
    missing = not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER))
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason="run scripts/browser-deps.sh for Chromium"))


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Polls ``predicate`` until it returns something truthy; fails the test on timeout.

    An element going stale while the predicate reads it (the page replaced it) counts as
    "not yet", so a predicate never needs its own retry.
    """
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except StaleElementReferenceException:
            # The page re-rendered between finding an element and reading it: not yet settled.
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)


@contextlib.contextmanager
def run_service(
    rasa_url: str, *, exit_url: str = "/neutral", extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Runs ``python -m service`` on a free loopback port; yields its base URL.

    Args:
        rasa_url: Public URL of the Rasa (or fake Rasa) socket.io server.
        exit_url: Where "Exit quickly" goes; the local neutral page by default (no network).
        extra_env: More environment variables for the service.

    Yields:
        ``http://127.0.0.1:PORT``; the process is stopped on exit.
    """
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "SERVICE_HOST": "127.0.0.1",
            "SERVICE_PORT": str(port),
            "RASA_URL": rasa_url,
            "RASA_PUBLIC_URL": rasa_url,
            "EXIT_URL": exit_url,
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    env.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "service"], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            if process.poll() is not None:
                pytest.fail(f"web service exited with {process.returncode}")
            try:
                with urllib.request.urlopen(base_url + "/health", timeout=1) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        wait_until(healthy, timeout=20)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def make_driver(
    width: int = 360,
    height: int = 780,
    languages: str = "zh-CN,zh,en",
    profile_dir: Path | None = None,
) -> webdriver.Chrome:
    """Headless Debian Chromium with a fresh profile, driven through /usr/bin/chromedriver.

    Args:
        width: Window width in CSS pixels (360 is a small phone).
        height: Window height.
        languages: Accept-Language list; the widget's language hint comes from it.
        profile_dir: A fresh, empty folder for the browser profile (e.g. under pytest's
            ``tmp_path``); without it a temporary folder is made and removed at exit.

    Returns:
        The driver; the caller quits it.
    """
    if profile_dir is None:
        profile = tempfile.mkdtemp(prefix="chromium-profile-")
        atexit.register(shutil.rmtree, profile, ignore_errors=True)
    else:
        profile_dir.mkdir(parents=True, exist_ok=False)
        profile = str(profile_dir)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--lang={languages.split(',')[0]}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": languages})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_window_size(width, height)
    driver.set_page_load_timeout(30)
    return driver


class FakeRasa:
    """A loopback socket.io server speaking Rasa's socketio channel protocol.

    Same events as ``rasa/core/channels/socketio.py`` with ``session_persistence: true``: a
    ``session_request`` joins the socket to the session's room and is answered with
    ``session_confirm``; each ``user_uttered`` is recorded and answered with ``bot_uttered``
    messages (text, and quick_replies the way Rasa sends buttons). Runs its own event loop in a
    thread, because Selenium blocks the test's thread.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.events: list[tuple[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sio: socketio.AsyncServer | None = None
        #: HTML served at /host: lets a test play a community organisation's page embedding the
        #: widget from another origin.
        self.host_page = "<!doctype html><title>host</title>"

    @property
    def url(self) -> str:
        """Base URL for the widget (socket.io path /socket.io)."""
        return f"http://127.0.0.1:{self.port}"

    def received(self, name: str) -> list[Any]:
        """Payloads of the recorded events called ``name``, oldest first."""
        return [data for event, data in list(self.events) if event == name]

    def say(self, room: str, *messages: dict[str, Any]) -> None:
        """Emits ``bot_uttered`` messages to a session's room, in order, from the test's thread
        (as Rasa does for a response the console executes, e.g. an operator's words + marker)."""
        assert self._loop is not None and self._sio is not None
        sio = self._sio

        async def emit() -> None:
            for message in messages:
                await sio.emit("bot_uttered", message, room=room)

        asyncio.run_coroutine_threadsafe(emit(), self._loop).result(timeout=10)

    def _build(self) -> web.Application:
        sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        self._sio = sio
        app = web.Application()
        sio.attach(app, socketio_path="/socket.io")

        async def host(request: web.Request) -> web.Response:
            return web.Response(text=self.host_page, content_type="text/html")

        app.router.add_get("/host", host)

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            self.events.append(("connect", sid))
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str, *args: Any) -> None:
            self.events.append(("disconnect", sid))

        @sio.on("session_request")
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = dict(data or {})
            self.events.append(("session_request", dict(data)))
            session_id = data.get("session_id") or uuid.uuid4().hex
            await sio.enter_room(sid, session_id)
            await sio.save_session(sid, {"session_id": session_id})
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: dict[str, Any]) -> None:
            self.events.append(("user_uttered", data))
            room = data.get("session_id")
            await asyncio.sleep(0.4)  # Long enough for the typing indicator to show.
            if data.get("message") in (VICTIM_PAYLOAD, WITNESS_PAYLOAD):
                await sio.emit("bot_uttered", {"text": THANKS}, room=room)
                return
            await sio.emit("bot_uttered", {"text": GREETING}, room=room)
            buttons = [
                {"content_type": "text", "title": VICTIM_TITLE, "payload": VICTIM_PAYLOAD},
                {"content_type": "text", "title": WITNESS_TITLE, "payload": WITNESS_PAYLOAD},
            ]
            await sio.emit("bot_uttered", {"text": QUESTION, "quick_replies": buttons}, room=room)

        return app

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._build(), shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()

    def start(self) -> FakeRasa:
        """Starts the server (again, on the same port, after :meth:`stop`)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _stop(self) -> None:
        if self._sio is not None:
            await self._sio.shutdown()  # Drops every client, as a crashed or restarted Rasa would.
        if self._runner is not None:
            await self._runner.cleanup()
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in leftovers:  # engineio ping tasks of dropped clients
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    def stop(self) -> None:
        """Stops the server and its thread; connected sockets are dropped."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = self._runner = self._sio = None


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A running fake Rasa server, stopped after the test."""
    server = FakeRasa().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def chat_url(fake_rasa: FakeRasa) -> Iterator[str]:
    """Base URL of the web service, wired to the fake Rasa."""
    with run_service(fake_rasa.url) as base_url:
        yield base_url


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A phone-sized headless Chromium preferring Simplified Chinese, with a fresh profile."""
    browser = make_driver(profile_dir=tmp_path / "chromium-profile")
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
