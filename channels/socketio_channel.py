"""The web widget's channel: Rasa's socket.io channel with two fixes.

* Rasa 3.6.21 calls python-socketio's `enter_room` without `await` in `session_request`
  (RasaHQ/rasa#13027), so with `session_persistence` the browser never joins its session's room
  and every reply is lost. This handler awaits it.
* The session id comes from the browser: anything that is not a plain id (hostile or malformed
  input) is replaced by a fresh random one instead of becoming a tracker key.

It also serves ``POST /webhooks/socketio/erase`` for the widget's "Exit quickly"
(channels/quick_exit.py).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels.admission import bounded
from channels.limits import MAX_REQUEST_BYTES, cap_request_size
from channels.quick_exit import add_erase_route

logger = logging.getLogger(__name__)
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def safe_session_id(data: Any) -> str:
    """The browser's session id if it is a plain id, else a new random one."""
    candidate = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(candidate, str) and _SESSION_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


class SocketIOChannel(SocketIOInput):
    """Rasa's socket.io input with an awaited room join and checked session ids."""

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's channel: the widget and output channel stay `socketio`."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with our `session_request` handler registered over Rasa's."""
        blueprint = super().blueprint(bounded(on_new_message))
        sio = self.sio
        assert sio is not None  # set by super().blueprint
        sio.eio.max_http_buffer_size = MAX_REQUEST_BYTES
        cap_request_size(blueprint)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            session_id = safe_session_id(data)
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        add_erase_route(blueprint)  # "Exit quickly" erases the server side (channels/quick_exit.py)
        return blueprint
