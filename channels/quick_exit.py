""""Exit quickly" erases the conversation on the server too: ``POST /webhooks/socketio/erase``.

The widget sends ``{"session_id": "<id>"}`` with ``navigator.sendBeacon`` as it navigates away (a
beacon survives the page being replaced; the person is not kept waiting for it). The socket.io
session id is the secret the browser holds: it is the Rasa sender id of the conversation
(``session_persistence``), random and never shown, so holding it is what entitles a browser to
the conversation's replies and to its erasure.

Defences (docs/threat-model.md lists the tests):

* the answer is always the same empty 204, sent before any work is done: it says nothing about
  whether the conversation existed, and timing says nothing either;
* the body is capped (:data:`MAX_BODY` bytes, read as a stream) and must be JSON naming a plain id;
* requests are rate-limited per client address (behind the local reverse proxy, the address it
  saw) and overall (429): even a flood of made-up addresses cannot make it more than
  :data:`OVERALL` erasures a minute;
* idempotent: a conversation erased a moment ago is not erased again (nothing to do);
* only a socket.io conversation is erased this way (a tracker from another channel is left alone:
  a pseudonymised WhatsApp/Telegram id is not a secret a browser holds);
* the erasure waits for the conversation's Rasa lock, so a message being handled finishes first and
  is erased with the rest; messages still on their way are kept from writing it back by
  :data:`bot.privacy.erasure.ERASED`, and the case store is swept again after a while.

What is erased: the tracker (every event, the unsent report's answers among them), the
conversation's live-chat requests, and evidence not linked to a submitted report. A report
already submitted stays: it is the case (staff erase cases by reference, bot/privacy/erasure.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import defaultdict, deque
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request

from bot.privacy.erasure import ERASED, erase_unsent

logger = logging.getLogger(__name__)

#: Largest body read; ``{"session_id": "<64 characters>"}`` is well under it.
MAX_BODY = 256
#: Per client address and overall: (requests, seconds).
PER_CLIENT = (10, 60.0)
OVERALL = (600, 60.0)
#: Seconds after the erasure at which the case store is swept again (a message that was on its
#: way may still have queued the conversation for an operator or stored a file).
SWEEPS = (10.0, 45.0)
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # the same ids the channel accepts
_tasks: set[asyncio.Task[None]] = set()


class RateLimit:
    """Sliding-window counts per key and overall, in memory (one Rasa process)."""

    def __init__(
        self, per_key: tuple[int, float] = PER_CLIENT, overall: tuple[int, float] = OVERALL
    ) -> None:
        self.per_key = per_key
        self.overall = overall
        self._keys: dict[str, deque[float]] = defaultdict(deque)
        self._all: deque[float] = deque()

    @staticmethod
    def _trim(times: deque[float], window: float, now: float) -> None:
        while times and times[0] <= now - window:
            times.popleft()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Counts one request; False when the key or everyone is over the limit."""
        now = time.monotonic() if now is None else now
        self._trim(self._all, self.overall[1], now)
        times = self._keys[key]
        self._trim(times, self.per_key[1], now)
        if len(times) >= self.per_key[0] or len(self._all) >= self.overall[0]:
            if not times:
                del self._keys[key]
            return False
        times.append(now)
        self._all.append(now)
        if len(self._keys) > 10 * self.overall[0]:  # forget idle keys
            for idle in [k for k, v in self._keys.items() if not v or v[-1] <= now - self.per_key[1]]:
                del self._keys[idle]
        return True


LIMITS = RateLimit()


def session_id_of(body: bytes) -> str | None:
    """The plain session id in ``{"session_id": ...}``, else None."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    candidate = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(candidate, str) and _SESSION_ID.match(candidate):
        return candidate
    return None


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The streamed body, or None as soon as it is longer than ``limit``."""
    body = b""
    stream = request.stream
    if stream is None:  # not a streamed route: Sanic has read the body already
        return request.body if len(request.body or b"") <= limit else None
    while True:
        chunk = await stream.read()
        if chunk is None:
            return body
        body += chunk
        if len(body) > limit:
            return None


def _erasing_store(store: Any) -> Any:
    """Our tracker store under Rasa's wrappers (fail-safe, awaitable), if it can erase."""
    for _ in range(5):
        if store is None or callable(getattr(store, "erase", None)):
            return store
        store = getattr(store, "_tracker_store", None)
    return None


def _erase_case_store(sender_id: str) -> None:
    from bot.store.uow import process_store

    erase_unsent(process_store(), sender_id)


async def erase_conversation(agent: Any, sender_id: str, sweeps: tuple[float, ...] = SWEEPS) -> None:
    """Erases one socket.io conversation everywhere the server keeps it (see the module doc)."""
    if sender_id in ERASED:
        return  # erased a moment ago: idempotent
    from rasa.core.lock_store import LockError

    store = _erasing_store(agent.tracker_store)
    try:
        try:
            async with agent.lock_store.lock(sender_id):
                tracker = await agent.tracker_store.retrieve(sender_id)
                channel = tracker.get_latest_input_channel() if tracker is not None else None
                if channel not in (None, "socketio"):
                    return  # not a widget conversation: its id is not a browser's secret
                ERASED.add(sender_id)
                if store is not None:
                    store.erase(sender_id)
        except LockError:  # the lock expired under a very slow turn: erase anyway
            ERASED.add(sender_id)
            if store is not None:
                store.erase(sender_id)
        if store is None:
            logger.warning("The tracker store cannot erase conversations; only the case store was")
        _erase_case_store(sender_id)
        for delay in sweeps:
            await asyncio.sleep(delay)
            if store is not None:
                store.erase(sender_id)
            _erase_case_store(sender_id)
    except Exception:  # noqa: BLE001 - never a trace to the person; retention gets the rest
        logger.exception("Erasing a conversation after 'Exit quickly' failed")


#: Direct peers whose ``X-Real-IP`` names the client: the reverse proxy on this machine
#: (deploy/nginx.conf overwrites that header with the address it saw).
LOCAL_PROXIES = frozenset({"127.0.0.1", "::1"})


def client_of(peer: str, real_ip: str | None, forwarded: str = "") -> str:
    """The address the limit counts: Sanic's forwarded address when it is configured to trust a
    proxy, else the proxy's ``X-Real-IP`` when the peer is the local proxy, else the peer."""
    if forwarded:
        return forwarded
    if peer in LOCAL_PROXIES and real_ip and len(real_ip) <= 64:
        return real_ip.strip()
    return peer or "?"


def _client(request: Request) -> str:
    return client_of(str(request.ip or ""), request.headers.get("x-real-ip"), str(request.remote_addr or ""))


def add_erase_route(blueprint: Blueprint) -> None:
    """Adds ``POST <channel prefix>/erase`` to the socket.io channel's blueprint."""

    @blueprint.route("/erase", methods=["POST"], stream=True)
    async def erase(request: Request) -> response.HTTPResponse:
        headers = {"Cache-Control": "no-store"}
        if not LIMITS.allow(_client(request)):
            return response.empty(status=429, headers=headers)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return response.empty(status=413, headers=headers)
        body = await _read_capped(request, MAX_BODY)
        if body is None:
            return response.empty(status=413, headers=headers)
        sender_id = session_id_of(body)
        agent = getattr(request.app.ctx, "agent", None)
        if sender_id is not None and agent is not None:
            task = asyncio.get_running_loop().create_task(erase_conversation(agent, sender_id))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        return response.empty(status=204, headers=headers)
