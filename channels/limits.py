"""Size limits at the door, shared by every channel (REST, socket.io, Twilio, Telegram).

A message over :data:`MAX_MESSAGE_CHARS` characters and a request body over
:data:`MAX_REQUEST_BYTES` are refused before anything reaches the dialogue.
"""

from __future__ import annotations

from typing import Any

#: Longest message (characters) any channel takes to the dialogue. A report's description may be
#: up to 5,000 characters in total (bot/intake/options.DESCRIPTION_LIMIT), and a person may paste
#: it whole in one message, so the door must take at least that; the margin (whitespace the
#: intake trims, combining marks) keeps a message the intake would accept from ever being refused
#: here. Messages between the two get the intake's own "description too long" answer. No
#: provider sends more: Telegram and WhatsApp stop at 4,096 characters, SMS at 1,600, the widget
#: at 2,000 (web/widget.js maxlength).
MAX_MESSAGE_CHARS = 6000
#: Largest request body (bytes) any Rasa route reads: Sanic's REQUEST_MAX_SIZE (default 100 MB),
#: socket.io's max_http_buffer_size (default 1 MB) and the Twilio/Telegram webhooks. The longest
#: message JSON-escaped as astral characters ("\ud83d\ude00", 12 bytes each) is 72 KB.
MAX_REQUEST_BYTES = 128 * 1024


def message_too_long(text: Any) -> bool:
    """Whether a message's text is over :data:`MAX_MESSAGE_CHARS` characters."""
    return isinstance(text, str) and len(text) > MAX_MESSAGE_CHARS


def body_too_large(body: bytes | None) -> bool:
    """Whether a request body is over :data:`MAX_REQUEST_BYTES`."""
    return body is not None and len(body) > MAX_REQUEST_BYTES


def cap_request_size(blueprint: Any) -> Any:
    """Lowers the serving Sanic app's REQUEST_MAX_SIZE to :data:`MAX_REQUEST_BYTES`.

    Rasa builds its Sanic app itself (Sanic 21.12 here; ``SANIC_REQUEST_MAX_SIZE`` in the
    environment is honoured too, and a lower value there is kept). Every channel's blueprint
    registers this before-start listener, so whichever channels ``credentials.yml`` lists, the
    app that serves them refuses a larger body with 413 before reading it (Sanic checks the
    ``Content-Length`` header, and counts a chunked body as it arrives). Sanic reads the limit
    per connection, so setting it before the server starts covers every request.
    """

    async def lower_request_max_size(app: Any, _loop: Any) -> None:
        if app.config.REQUEST_MAX_SIZE > MAX_REQUEST_BYTES:
            app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    blueprint.listener("before_server_start")(lower_request_max_size)
    return blueprint
