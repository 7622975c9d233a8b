"""Rasa's REST channel (``/webhooks/rest/webhook``) with our admission control (channels/admission)
and the size limits at the door (channels/limits): a body over ``MAX_REQUEST_BYTES`` and a
message over ``MAX_MESSAGE_CHARS`` characters are answered 413 before anything reaches the
dialogue.

Rasa's REST webhook logs the whole message text when a turn raises (``rest.message.received.
failure``): here a failing turn is logged by exception type only, and the person gets whatever
was collected (usually Rasa's own fallback, or nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from channels.admission import bounded
from channels.limits import MAX_MESSAGE_CHARS, cap_request_size, message_too_long

logger = logging.getLogger(__name__)


def _quiet(handler: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage],
                                                                        Awaitable[Any]]:
    """Logs a failing turn without its text (Rasa's webhook would log the message)."""

    async def run(message: UserMessage) -> Any:
        try:
            return await handler(message)
        except Exception as exc:  # never log content
            logger.error("A REST turn failed: %s", type(exc).__name__)
            return None

    return run


class RestInput(RasaRestInput):
    """Same name, URL and behaviour as Rasa's ``rest`` channel; turns share the bound."""

    @classmethod
    def name(cls) -> str:
        """``rest``: the URL stays ``/webhooks/rest/webhook``."""
        return "rest"

    def _extract_message(self, request: Request) -> str | None:
        """The message text; 413 when it is over ``MAX_MESSAGE_CHARS`` characters."""
        text: str | None = super()._extract_message(request)
        if message_too_long(text):
            raise PayloadTooLarge(f"A message may have at most {MAX_MESSAGE_CHARS} characters.")
        return text

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint around the bounded handler; request bodies capped."""
        return cap_request_size(super().blueprint(_quiet(bounded(on_new_message))))
