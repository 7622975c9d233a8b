"""Helpers for fault and multi-process tests: restart a stack process on its own port, a second
Rasa server on the same stores, fake provider APIs in a background thread, channel credentials,
and a WhatsApp "person" who answers numbered options. Reused by tests/prod and tests/hostile.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
import yaml
from aiohttp import web

from tests.channels.conftest import TELEGRAM_TOKEN, FakeTelegram, FakeTwilio
from tests.e2e.conftest import Stack, action_args, free_port
from tests.e2e.conftest import rasa_args as e2e_rasa_args

ROOT = Path(__file__).resolve().parents[2]

TWILIO_SID = "AC" + "0" * 30 + "42"
TWILIO_TOKEN = "f" * 32
TWILIO_WHATSAPP = "+447700900002"
TWILIO_SMS = "+447700900001"
TELEGRAM_SECRET = "s3cret_webhook-token"


def port_of(url: str) -> int:
    """The port of an ``http://127.0.0.1:<port>`` URL."""
    port = urlparse(url).port
    assert port is not None
    return port


def rasa_args(stack: Stack, port: int) -> list[str]:
    """The command line ``start_stack`` uses for Rasa, on ``port``."""
    return e2e_rasa_args(stack, port)


def restart(stack: Stack, name: str) -> None:
    """Starts ``actions`` or ``rasa`` again on the port it had (after ``stack.stop``)."""
    if name == "actions":
        stack.start(name, action_args(port_of(stack.action_url)), f"{stack.action_url}/health")
    elif name == "rasa":
        stack.start(name, rasa_args(stack, port_of(stack.rasa_url)), f"{stack.rasa_url}/")
    else:
        raise ValueError(name)


def start_second_rasa(stack: Stack, name: str = "rasa2") -> str:
    """Starts another Rasa server on the same model, endpoints and stores; returns its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack.start(name, rasa_args(stack, port), f"{url}/")
    return url


class ThreadedFake:
    """Runs an aiohttp app (a fake provider API) on loopback in its own thread and loop."""

    def __init__(self, app: web.Application) -> None:
        """Prepares the fake; :meth:`start` serves it."""
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> ThreadedFake:
        """Serves the app; returns self with ``url`` set."""
        self._thread.start()
        port = free_port()

        async def up() -> None:
            self._runner = web.AppRunner(self._app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", port).start()

        asyncio.run_coroutine_threadsafe(up(), self._loop).result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Stops serving and ends the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeTwilio, FakeTelegram]]:
    """Fake Twilio and Telegram APIs for a module's stack."""
    twilio, telegram = FakeTwilio(), FakeTelegram(token=TELEGRAM_TOKEN)
    t1, t2 = ThreadedFake(twilio.app()).start(), ThreadedFake(telegram.app()).start()
    twilio.base_url, telegram.base_url = t1.url, t2.url
    try:
        yield twilio, telegram
    finally:
        t1.stop()
        t2.stop()


def write_channel_credentials(tmp: Path, twilio_url: str, telegram_url: str,
                              rasa_port_hint: str = "") -> Path:
    """credentials.yml with REST, socket.io, Twilio and Telegram (the last two at the fake APIs).

    ``public_url`` is fixed so a webhook signed for it is valid on any of the Rasa processes
    (as behind a load balancer).
    """
    creds = {
        "rest": None,
        "channels.socketio_channel.SocketIOChannel": {
            "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
            "session_persistence": True, "metadata_key": "customData",
        },
        "channels.twilio_channel.TwilioInput": {
            "account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN,
            "twilio_number": TWILIO_SMS, "whatsapp_number": TWILIO_WHATSAPP,
            "public_url": twilio_public_url(), "api_base_url": twilio_url,
        },
        "channels.telegram_channel.TelegramInput": {
            "token": TELEGRAM_TOKEN, "secret_token": TELEGRAM_SECRET,
            "base_url": f"{telegram_url}/bot", "base_file_url": f"{telegram_url}/file/bot",
        },
    }
    path = tmp / "credentials.channels.yml"
    path.write_text(yaml.safe_dump(creds), encoding="utf-8")
    return path


def twilio_public_url() -> str:
    """The webhook URL Twilio signs (the public address behind the load balancer)."""
    return "https://reports.example.org/webhooks/twilio/webhook"


def twilio_signature(params: dict[str, str]) -> str:
    """``X-Twilio-Signature`` for form ``params``, with Twilio's own RequestValidator."""
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(TWILIO_TOKEN).compute_signature(twilio_public_url(), params))


def twilio_inbound(sender: str, body: str, sid: str) -> dict[str, str]:
    """Form parameters of an inbound WhatsApp/SMS message as Twilio posts them."""
    return {
        "MessageSid": sid, "SmsMessageSid": sid, "AccountSid": TWILIO_SID, "From": sender,
        "To": f"whatsapp:{TWILIO_WHATSAPP}" if sender.startswith("whatsapp:") else TWILIO_SMS,
        "Body": body, "NumMedia": "0", "SmsStatus": "received",
    }


def signed_twilio_request(params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a validly signed Twilio webhook call."""
    return urlencode(params).encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(params),
    }


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Polls ``predicate`` until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def wait_quiet(count: Callable[[], int], at_least: int, timeout: float = 30,
               quiet: float = 1.0) -> int:
    """Waits until ``count()`` reached ``at_least`` and then stopped growing for ``quiet`` s."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif now >= at_least and time.monotonic() - since >= quiet:
            break
    return last


_OPTION = re.compile(r"^\s*(\d+)\)\s*(.+?)\s*$", re.MULTILINE)


def english_button_choices() -> dict[str, str]:
    """English button title (case-folded) → choice value, from every domain response."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for variations in (data.get("responses") or {}).values():
            for variation in variations:
                if variation.get("condition"):
                    continue
                for button in variation.get("buttons") or []:
                    match = re.search(r'"choice"\s*:\s*"([^"]+)"', str(button.get("payload")))
                    if match:
                        found.setdefault(str(button["title"]).casefold(), match.group(1))
    return found


def option_number(body: str, choice: str, titles: dict[str, str]) -> str | None:
    """The number of the option whose (English) title stands for ``choice`` in ``body``."""
    for number, title in _OPTION.findall(body):
        if titles.get(title.casefold()) == choice:
            return number
    return None


def bodies_to(sent: list[dict[str, Any]], address: str) -> list[str]:
    """Bodies of the messages the fake Twilio API received for one WhatsApp address."""
    return [str(m.get("Body") or "") for m in list(sent) if m.get("To") == f"whatsapp:{address}"]
