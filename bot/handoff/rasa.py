"""Talking to the Rasa server's HTTP API for a live handoff (``rasa run --enable-api
--auth-token``; the token goes in the ``token`` query parameter, the only form Rasa 3.6 reads).

Why these endpoints (Rasa 3.6, read from ``rasa/server.py`` and ``rasa/core/processor.py``):

- **pause/resume**: ``POST /conversations/{id}/tracker/events`` with ``{"event": "pause"}`` /
  ``{"event": "resume"}``. While paused, Rasa still logs the person's messages (and runs slot
  extraction), but predicts and runs no action.
- **operator → person**: ``trigger_intent`` is unusable here: it logs a *user* event (which the
  report form would then take as the person's answer) and, on a paused conversation, runs nothing
  (``_run_prediction_loop`` stops at ``is_paused``). ``POST /conversations/{id}/execute`` runs one
  named action without prediction and without a user event, also while paused; with
  ``output_channel=latest`` the reply goes out through the channel the person last wrote on
  (socket.io: emitted to the room named by the sender id; Twilio/Telegram: their
  ``get_output_channel()``, which look the pseudonym up). So the text is put in the
  ``operator_message`` slot and the response ``utter_operator_message`` (``{operator_message}``)
  is executed: actions never carry literal text, the words come from the operator via the slot.
- **person → operator**: the tracker (``GET /conversations/{id}/tracker``), polled; see
  :class:`TrackerTranscript`. An event-broker source can replace it (same interface).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

OPERATOR_SLOT = "operator_message"


class RasaError(RuntimeError):
    """The Rasa server refused or failed a request (status only; never message text)."""


@dataclass(frozen=True)
class Line:
    """One line of a transcript, as the person saw it.

    A button the person pressed is its title in their language (``text``) with the English
    title beside it (``english``); a button payload is never a line's text.
    """

    sender: str  # person | bot | operator
    text: str
    at: float  # Rasa event timestamp (seconds since the epoch)
    english: str | None = None  # a pressed button's English title
    choices: tuple[str, ...] = ()  # the titles of the buttons a bot message offered


class Transcript(Protocol):
    """Where the console reads a conversation's messages from."""

    async def lines(self, conversation_id: str, *, after: float = 0.0) -> list[Line]:
        """Messages of the conversation newer than ``after``."""


def _shared_token() -> str | None:
    """The token the run scripts give Rasa, if one exists (never created here)."""
    from bot.secrets import SecretError, rasa_token

    try:
        return rasa_token(create=False)
    except SecretError as exc:
        logger.warning("No usable Rasa API token: %s", exc)
        return None


class RasaClient:
    """Minimal async client of the Rasa HTTP API for handoffs."""

    def __init__(
        self, base_url: str, session: aiohttp.ClientSession, token: str | None = None
    ) -> None:
        """Args: base_url: e.g. ``http://127.0.0.1:5005``; token: Rasa's ``--auth-token``.

        Rasa always runs with a token (scripts/run*.sh): without ``token`` the client uses the
        one :mod:`bot.secrets` finds (``RASA_TOKEN`` or ``$VAR_DIR/secrets/rasa_token``).
        """
        self._base = base_url.rstrip("/")
        self._session = session
        self._token = token or _shared_token()

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self._base}/conversations/{quote(conversation_id, safe='')}/{tail}"

    def _params(self, **extra: str) -> dict[str, str]:
        params = dict(extra)
        if self._token:
            params["token"] = self._token
        return params

    async def _post(self, url: str, body: Any, **params: str) -> Any:
        async with self._session.post(url, json=body, params=self._params(**params)) as response:
            if response.status >= 400:
                raise RasaError(f"Rasa answered {response.status} to {url.rsplit('/', 1)[-1]}")
            return await response.json(content_type=None)

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Appends events to the tracker (no action runs)."""
        await self._post(self._url(conversation_id, "tracker/events"), events)

    async def pause(self, conversation_id: str) -> None:
        """Stops the bot answering (the person's messages are still recorded)."""
        await self.append_events(conversation_id, [{"event": "pause"}])

    async def resume(self, conversation_id: str) -> None:
        """Lets the bot answer again."""
        await self.append_events(conversation_id, [{"event": "resume"}])

    async def execute(self, conversation_id: str, action: str) -> None:
        """Runs one action or response on the person's latest channel (works while paused)."""
        await self._post(
            self._url(conversation_id, "execute"), {"name": action}, output_channel="latest"
        )

    async def send_operator_message(self, conversation_id: str, text: str) -> None:
        """Sends the operator's words to the person through ``utter_operator_message``."""
        await self.append_events(
            conversation_id, [{"event": "slot", "name": OPERATOR_SLOT, "value": text}]
        )
        try:
            await self.execute(conversation_id, "utter_operator_message")
        finally:
            await self.append_events(
                conversation_id, [{"event": "slot", "name": OPERATOR_SLOT, "value": None}]
            )

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker (events after the last restart)."""
        url = self._url(conversation_id, "tracker")
        async with self._session.get(
            url, params=self._params(include_events="AFTER_RESTART")
        ) as response:
            if response.status >= 400:
                raise RasaError(f"Rasa answered {response.status} to tracker")
            return dict(await response.json(content_type=None))


class TrackerTranscript:
    """Transcript read by polling the Rasa tracker (the embedded default: no broker to run)."""

    def __init__(self, client: RasaClient) -> None:
        """Args: client: the Rasa client."""
        self._client = client

    async def lines(self, conversation_id: str, *, after: float = 0.0) -> list[Line]:
        """User and bot messages newer than ``after`` (operator lines marked as such), buttons
        the person pressed as their titles in the person's language (the ``language`` slot)."""
        tracker = await self._client.tracker(conversation_id)
        language = (tracker.get("slots") or {}).get("language")
        return lines_from_events(
            tracker.get("events") or [],
            after=after,
            language=language if isinstance(language, str) else None,
        )


#: What Rasa takes as a payload rather than words (``/intent`` or ``/intent{...}``).
_PAYLOAD = re.compile(r"^/\w[\w-]*(\{.*\})?$", re.DOTALL)
#: Shown for a payload whose button is nowhere to be found (never the payload itself).
UNKNOWN_BUTTON = "(pressed a button)"
#: What the channels send in the person's name without a button (channels/payloads.py), in words.
SENT_BY_CHANNEL = {
    "unsupported_media": "(sent something the service cannot take: audio, video or a document)",
    "empty_message": "(sent an empty message)",
    "evidence_received": "(sent a picture, kept as evidence)",
    "/greet": "(opened the chat)",
    "/stop": "(asked to stop)",
    "/change_language": "(asked to change the language)",
    "/stop_contact": "(asked for no more text messages)",
}


def is_payload(text: str) -> bool:
    """True when a user message is a button payload, not words."""
    return bool(_PAYLOAD.match(text.strip()))


def _offered(event: dict[str, Any]) -> list[dict[str, Any]]:
    data = event.get("data") or {}
    buttons = data.get("buttons") if isinstance(data, dict) else None
    return [b for b in buttons or [] if isinstance(b, dict)]


def _pressed(
    payload: str,
    offered: dict[str, tuple[str | None, str | None]],
    language: str | None,
) -> tuple[str, str | None]:
    """(title the person saw, English title) of a pressed button's payload."""
    from bot import labels

    wanted = payload.strip()
    title, response = offered.get(wanted, (None, None))
    english = labels.button_title(wanted, "en", response)
    if title is None:
        title = labels.button_title(wanted, language, response)
    if title is None:
        title = english
    if title is None:
        from bot import i18n

        said = SENT_BY_CHANNEL.get(i18n.payload_choice(wanted) or wanted.split("{", 1)[0])
        return said or UNKNOWN_BUTTON, None
    return title, english


def lines_from_events(
    events: list[dict[str, Any]], *, after: float = 0.0, language: str | None = None
) -> list[Line]:
    """Turns tracker events into transcript lines as the person saw them.

    A user message that is a payload becomes the title of the button that carried it: the
    latest bot message offering that payload gives the title as shown (and its response name,
    ``metadata.utter_action``, the English title from the domain); without one the domain is
    asked in ``language``. Raw payloads never reach a line.
    """
    result: list[Line] = []
    operator_next = False
    offered: dict[str, tuple[str | None, str | None]] = {}  # payload -> (title shown, response)
    for event in events:
        kind = event.get("event")
        at = float(event.get("timestamp") or 0.0)
        if kind == "action":
            operator_next = event.get("name") == "utter_operator_message"
            continue
        if kind == "bot":
            buttons = _offered(event)
            metadata = event.get("metadata") or {}
            response = metadata.get("utter_action") if isinstance(metadata, dict) else None
            for button in buttons:
                payload = str(button.get("payload") or "").strip()
                if payload:
                    offered[payload] = (
                        str(button.get("title") or "") or None,
                        response if isinstance(response, str) else None,
                    )
        if at <= after:
            continue
        text = event.get("text")
        if kind == "user" and text:
            text = str(text)
            if is_payload(text):
                title, english = _pressed(text, offered, language)
                result.append(Line("person", title, at, english=english))
            else:
                result.append(Line("person", text, at))
        elif kind == "bot" and (text or buttons):
            choices = tuple(str(b.get("title") or "") for b in buttons if b.get("title"))
            sender = "operator" if operator_next else "bot"
            result.append(Line(sender, str(text or ""), at, choices=choices))
    return result
