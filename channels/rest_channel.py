"""Rasa's REST channel (``/webhooks/rest/webhook``) with our admission control (channels/admission)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint

from channels.admission import bounded


class RestInput(RasaRestInput):
    """Same name, URL and behaviour as Rasa's ``rest`` channel; turns share the bound."""

    @classmethod
    def name(cls) -> str:
        """``rest``: the URL stays ``/webhooks/rest/webhook``."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint around the bounded handler."""
        return super().blueprint(bounded(on_new_message))
