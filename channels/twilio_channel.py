"""Twilio channel for WhatsApp and SMS (one webhook; WhatsApp senders carry ``whatsapp:``).

Unlike Rasa's built-in ``twilio`` channel this one checks ``X-Twilio-Signature``, answers the
webhook at once with empty TwiML and does the work in a background task, never blocks the event
loop (async Twilio client, aiohttp for media), gives Rasa pseudonyms instead of phone numbers,
numbers the buttons, splits SMS safely, respects the WhatsApp 24-hour window and SMS opt-out.

credentials.yml::

    channels.twilio_channel.TwilioInput:
      account_sid: ${TWILIO_ACCOUNT_SID}
      auth_token: ${TWILIO_AUTH_TOKEN}
      twilio_number: ${TWILIO_SMS_NUMBER}            # E.164, for SMS
      whatsapp_number: ${TWILIO_WHATSAPP_NUMBER}     # E.164, without "whatsapp:"
      public_url: ${TWILIO_PUBLIC_URL}               # full webhook URL Twilio calls
      api_base_url: ${TWILIO_API_BASE_URL}           # empty for https://api.twilio.com
      whatsapp_template_sid: ${TWILIO_WHATSAPP_TEMPLATE_SID}

Without ``account_sid``/``auth_token`` the channel stays disabled (its routes answer 503).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.credentials import CredentialSettings
from channels.metadata import build_metadata, language_hint_from_phone
from channels.payloads import (
    EMPTY_MESSAGE,
    EVIDENCE_RECEIVED,
    STOP_CONTACT_PAYLOAD,
    UNSUPPORTED_MEDIA,
    inform_payload,
    sanitise_text,
)
from channels.render import (
    Option,
    match_option,
    render_numbered,
    sms_text,
    split_long,
    split_sms,
)
from channels.store import ChannelStore
from channels.webhook import IMAGE_TYPES, Delivery, Turn, WebhookInput, WebhookOutput

logger = logging.getLogger(__name__)

PROVIDER = "twilio"
WHATSAPP = "whatsapp"
SMS = "sms"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# Twilio's default opt-out / opt-in keywords (whole message, case-insensitive).
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})

STATE_OPTIONS = "options"
STATE_LAST_INBOUND = "last_inbound"
STATE_TEMPLATE_SENT = "template_sent"
STATE_OPTED_OUT = "opted_out"
WHATSAPP_WINDOW_SECONDS = 24 * 3600
WHATSAPP_MAX_CHARS = 1600

#: A webhook's form parameters, every value of each name (Twilio signs them all).
Form = dict[str, list[str]]


def sms_messages(text: str, options: Sequence[Option] = ()) -> list[str]:
    """The SMS messages a person receives for one bot message, in order.

    The prompt with its options numbered (``1) Yes, anonymously``), GSM-7 look-alikes for
    typography where that keeps the message GSM-7, split into whole concatenated SMS messages
    (`split_sms`): every option arrives, none is ever cut or replaced by an ellipsis.
    """
    body = render_numbered(text, options) if options else text
    return [part.strip() for part in split_sms(sms_text(body.strip())) if part.strip()]


def whatsapp_messages(text: str, options: Sequence[Option] = ()) -> list[str]:
    """The WhatsApp messages for one bot message: numbered options, split above 1,600 characters
    (Twilio's body limit for WhatsApp too) on paragraph, line and sentence boundaries."""
    body = render_numbered(text, options) if options else text
    return [part.strip() for part in split_long(body.strip(), WHATSAPP_MAX_CHARS) if part.strip()]


def _first(params: Form, name: str) -> str:
    """The first value of a form parameter, or ""."""
    return (params.get(name) or [""])[0]


@dataclass(frozen=True)
class TwilioConfig(CredentialSettings):
    """Settings of the Twilio channel (from credentials.yml)."""

    MISSING = "account_sid/auth_token not configured"

    account_sid: str
    auth_token: str
    twilio_number: str | None = None
    whatsapp_number: str | None = None
    public_url: str | None = None
    api_base_url: str | None = None
    whatsapp_template_sid: str | None = None
    whatsapp_template_variables: str | None = None
    media_max_bytes: int = 10 * 1024 * 1024


class TwilioSender:
    """Owns the async Twilio REST client, created lazily inside the running event loop."""

    def __init__(self, config: TwilioConfig) -> None:
        """Creates the sender (no network, no session yet).

        Args:
            config: Channel settings.
        """
        self._config = config
        self._client: Client | None = None

    def client(self) -> Client:
        """Returns the REST client, pointed at ``api_base_url`` when configured."""
        if self._client is None:
            client = Client(
                self._config.account_sid,
                self._config.auth_token,
                http_client=AsyncTwilioHttpClient(timeout=15),
            )
            if self._config.api_base_url:
                client.api.base_url = self._config.api_base_url.rstrip("/")
            self._client = client
        return self._client

    async def create(self, **kwargs: Any) -> bool:
        """Creates one message through the Messages API.

        Returns:
            True if Twilio accepted it.
        """
        try:
            await self.client().messages.create_async(**kwargs)
            return True
        except TwilioRestException as exc:
            logger.error("Twilio refused a message: status %s code %s", exc.status, exc.code)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.error("Twilio API unreachable: %s", type(exc).__name__)
        return False

    async def close(self) -> None:
        """Closes the HTTP session."""
        if self._client is not None:
            http = self._client.http_client
            if isinstance(http, AsyncTwilioHttpClient):
                await http.close()
            self._client = None


class TwilioOutput(WebhookOutput[tuple[str, str]]):
    """Sends bot messages by WhatsApp or SMS to the address behind a pseudonym."""

    @classmethod
    def name(cls) -> str:
        """Channel name as Rasa knows it."""
        return "twilio"

    def __init__(
        self,
        config: TwilioConfig,
        store: ChannelStore,
        sender: TwilioSender,
        channel: str | None = None,
    ) -> None:
        """Creates an output channel for one turn.

        Args:
            config: Channel settings.
            store: Case store facade (addresses, channel state).
            sender: Shared Twilio client holder.
            channel: ``whatsapp`` or ``sms`` when known; else both are looked up.
        """
        self._config = config
        self._store = store
        self._sender = sender
        self._channel = channel
        self._sent_buttons = False

    async def recipient(self, recipient_id: str) -> tuple[str, str] | None:
        """Finds the channel and real address of a pseudonym."""
        channels = [self._channel] if self._channel else [WHATSAPP, SMS]
        for channel in channels:
            address = await self._store.lookup_address(channel, recipient_id)
            if address:
                return channel, address
        logger.warning("No address stored for a %s recipient", self._channel or "twilio")
        return None

    async def deliver_text(self, to: tuple[str, str], recipient_id: str, text: str) -> None:
        """Sends text; a later plain message ends the numbered options offered earlier."""
        if not self._sent_buttons:
            await self._store.set_state(to[0], recipient_id, STATE_OPTIONS, None)
        await self._send(to, recipient_id, text)

    async def deliver_prompt(
        self, to: tuple[str, str], recipient_id: str, text: str, options: list[Option]
    ) -> None:
        """Sends the prompt with numbered options and remembers them for the answer."""
        state = [o.to_dict() for o in options]
        await self._store.set_state(to[0], recipient_id, STATE_OPTIONS, state)
        self._sent_buttons = True
        await self._send(to, recipient_id, render_numbered(text, options))

    async def deliver_image(self, to: tuple[str, str], recipient_id: str, image: str) -> None:
        """Sends an image on WhatsApp; SMS (no MMS in the UK) gets the link as text."""
        if to[0] == WHATSAPP:
            await self._send(to, recipient_id, "", media_url=[image])
        else:
            await self._send(to, recipient_id, image)

    async def _send(
        self, target: tuple[str, str], pseudonym: str, text: str, media_url: list[str] | None = None
    ) -> None:
        """Routes a message to WhatsApp or SMS with the channel's rules."""
        channel, address = target
        if channel == SMS:
            await self._send_sms(address, pseudonym, text)
        else:
            await self._send_whatsapp(address, pseudonym, text, media_url)

    async def _send_sms(self, address: str, pseudonym: str, text: str) -> None:
        """Sends an SMS in as many parts as needed (each its own message)."""
        if not self._config.twilio_number:
            logger.error("SMS reply dropped: no twilio_number configured")
            return
        if await self._store.get_state(SMS, pseudonym, STATE_OPTED_OUT):
            logger.info("SMS reply dropped: the person opted out")
            return
        for part in sms_messages(text):
            await self._sender.create(to=address, from_=self._config.twilio_number, body=part)

    async def _send_whatsapp(
        self, address: str, pseudonym: str, text: str, media_url: list[str] | None
    ) -> None:
        """Sends a WhatsApp message, or the template when the 24-hour window is closed."""
        if not self._config.whatsapp_number:
            logger.error("WhatsApp reply dropped: no whatsapp_number configured")
            return
        to = f"whatsapp:{address}"
        from_ = f"whatsapp:{self._config.whatsapp_number}"
        last_inbound = await self._store.get_state(WHATSAPP, pseudonym, STATE_LAST_INBOUND)
        if last_inbound is None or time.time() - float(last_inbound) > WHATSAPP_WINDOW_SECONDS:
            await self._send_template(to, from_, pseudonym)
            return
        if media_url:
            await self._sender.create(to=to, from_=from_, media_url=media_url)
            return
        for part in whatsapp_messages(text):
            await self._sender.create(to=to, from_=from_, body=part)

    async def _send_template(self, to: str, from_: str, pseudonym: str) -> None:
        """Outside the window only an approved template may be sent, once until they answer."""
        if not self._config.whatsapp_template_sid:
            logger.warning("WhatsApp reply dropped: window closed and no template configured")
            return
        if await self._store.get_state(WHATSAPP, pseudonym, STATE_TEMPLATE_SENT):
            logger.info("WhatsApp reply dropped: template already sent, waiting for an answer")
            return
        kwargs: dict[str, Any] = {"content_sid": self._config.whatsapp_template_sid}
        if self._config.whatsapp_template_variables:
            kwargs["content_variables"] = self._config.whatsapp_template_variables
        if await self._sender.create(to=to, from_=from_, **kwargs):
            await self._store.set_state(WHATSAPP, pseudonym, STATE_TEMPLATE_SENT, True)


class TwilioInput(WebhookInput[TwilioConfig, Form]):
    """Webhook for inbound WhatsApp and SMS messages from Twilio."""

    provider = PROVIDER
    settings = TwilioConfig

    def __init__(self, config: TwilioConfig | None, store: ChannelStore | None) -> None:
        """Creates the channel (disabled without settings or store) and its Twilio client holder."""
        super().__init__(config, store)
        self.sender = TwilioSender(config) if config else None

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix (``/webhooks/twilio/webhook``)."""
        return "twilio"

    def get_output_channel(self, channel: str | None = None) -> OutputChannel | None:
        """Output channel for proactive messages (looks the pseudonym up in both channels)."""
        if not self.enabled or self.sender is None:
            return None
        assert self.config is not None and self.store is not None
        return TwilioOutput(self.config, self.store, self.sender, channel)

    def output_for(self, channel: str) -> OutputChannel:
        """Replies to a WhatsApp or SMS message go back on the same channel."""
        output = self.get_output_channel(channel)
        assert output is not None
        return output

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Metadata from a webhook request (channel and phone-country language hint)."""
        sender = _first(self._form(request), "From")
        channel = WHATSAPP if sender.startswith("whatsapp:") else SMS
        return build_metadata(
            channel, language_hint_from_phone(sender) if sender else None, "phone"
        )

    @staticmethod
    def _form(request: Request) -> Form:
        """Parses the form body keeping blank values (Twilio signs them; Sanic drops them)."""
        # errors="replace": undecodable bytes cannot match Twilio's signature (403), never a 500.
        return parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)

    def _signed_url(self, request: Request) -> str:
        """The URL Twilio signed: ``public_url`` behind a proxy, else the request URL."""
        assert self.config is not None
        if self.config.public_url:
            query = request.query_string
            return self.config.public_url + (f"?{query}" if query else "")
        return request.url

    def authentic(self, request: Request) -> bool:
        """Checks ``X-Twilio-Signature`` with Twilio's own validator."""
        assert self.config is not None
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        validator = RequestValidator(self.config.auth_token)
        params = _MultiDict(self._form(request))
        return bool(validator.validate(self._signed_url(request), params, signature))

    def events(self, request: Request) -> list[Form]:
        """The message in the request; status callbacks carry nothing to process."""
        params = self._form(request)
        return [] if "MessageStatus" in params else [params]

    def acknowledgement(self) -> HTTPResponse:
        """Empty TwiML: Twilio sends nothing itself."""
        return response.text(EMPTY_TWIML, content_type="text/xml")

    def identify(self, event: Form) -> Delivery | None:
        """The MessageSid, channel and number (without ``whatsapp:``) of an inbound message."""
        delivery_id = _first(event, "MessageSid") or _first(event, "SmsMessageSid")
        sender = _first(event, "From")
        if not delivery_id or not sender:
            logger.info("Ignoring a Twilio request without MessageSid or From")
            return None
        channel = WHATSAPP if sender.startswith("whatsapp:") else SMS
        return Delivery(delivery_id, channel, sender.removeprefix("whatsapp:"))

    def metadata(self, event: Form, delivery: Delivery) -> dict[str, Any]:
        """The channel and the language hint of the phone number's country code."""
        return build_metadata(delivery.channel, language_hint_from_phone(delivery.address), "phone")

    async def handle(self, event: Form, turn: Turn) -> None:
        """Turns one inbound message into zero or more user messages for Rasa."""
        store = self.store
        assert store is not None
        channel, pseudonym, tell = turn.channel, turn.pseudonym, turn.tell
        if channel == WHATSAPP:
            await store.set_state(channel, pseudonym, STATE_LAST_INBOUND, time.time())
            await store.set_state(channel, pseudonym, STATE_TEMPLATE_SENT, None)

        body = _first(event, "Body").strip()
        if channel == SMS and body.upper() in OPT_OUT_KEYWORDS:
            await store.set_state(SMS, pseudonym, STATE_OPTED_OUT, True)
            await tell(STOP_CONTACT_PAYLOAD)  # Twilio confirms the opt-out itself; we stay quiet
            return
        if channel == SMS and body.upper() in OPT_IN_KEYWORDS:
            if await store.get_state(SMS, pseudonym, STATE_OPTED_OUT):
                await store.set_state(SMS, pseudonym, STATE_OPTED_OUT, None)
                return  # Twilio confirms the opt-in itself
            # not opted out: "start" is just a word here

        try:
            num_media = int(_first(event, "NumMedia") or 0)
        except ValueError:
            num_media = 0
        if body:
            options = await store.get_state(channel, pseudonym, STATE_OPTIONS)
            payload = match_option(body, [Option.from_dict(o) for o in options or []])
            if payload is not None:
                await store.set_state(channel, pseudonym, STATE_OPTIONS, None)
            body = payload or sanitise_text(body)
        if body:
            await tell(body)
        if num_media > 0:
            stored, rejected = await self._store_media(pseudonym, event, num_media)
            if stored:
                await tell(inform_payload(EVIDENCE_RECEIVED))
            if rejected:
                await tell(inform_payload(UNSUPPORTED_MEDIA))
        elif not body:
            located = _first(event, "Latitude") or _first(event, "Longitude")
            await tell(inform_payload(UNSUPPORTED_MEDIA if located else EMPTY_MESSAGE))

    async def _store_media(self, pseudonym: str, params: Form, num_media: int) -> tuple[int, int]:
        """Fetches each ``MediaUrlN`` with basic auth and keeps acceptable images as evidence.

        Returns:
            How many items were stored and how many were refused.
        """
        assert self.config is not None
        stored = rejected = 0
        auth = aiohttp.BasicAuth(self.config.account_sid, self.config.auth_token)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(auth=auth, timeout=timeout) as session:
            for i in range(min(num_media, 10)):
                url = _first(params, f"MediaUrl{i}")
                declared = _first(params, f"MediaContentType{i}").lower()
                if not url or declared not in IMAGE_TYPES:
                    rejected += 1
                    continue
                fetched = await self._fetch(session, url)
                if fetched is None:
                    rejected += 1
                    continue
                content_type, data = fetched
                check = IMAGE_TYPES.get(content_type)
                if check is None or not check(data):
                    rejected += 1
                    continue
                if not await self.keep_evidence(pseudonym, content_type, data):
                    rejected += 1
                    continue
                stored += 1
        return stored, rejected

    async def _fetch(self, session: aiohttp.ClientSession, url: str) -> tuple[str, bytes] | None:
        """Downloads one media item, refusing anything over the size limit."""
        assert self.config is not None
        limit = self.config.media_max_bytes
        try:
            async with session.get(url) as resp:
                if resp.status != 200:
                    logger.warning("Media fetch failed with HTTP %s", resp.status)
                    return None
                if resp.content_length is not None and resp.content_length > limit:
                    return None
                data = bytearray()
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    data.extend(chunk)
                    if len(data) > limit:
                        return None
                return resp.content_type.lower(), bytes(data)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("Media fetch failed: %s", type(exc).__name__)
            return None


class _MultiDict(dict):  # type: ignore[type-arg]
    """Form parameters as Twilio's validator reads them (``getlist`` per name)."""

    def getlist(self, name: str) -> list[str]:
        """All values of a parameter."""
        values: list[str] = self[name]
        return values
