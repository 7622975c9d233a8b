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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.admission import bounded
from channels.common import (
    EMPTY_MESSAGE,
    EVIDENCE_RECEIVED,
    IMAGE_TYPES,
    STOP_CONTACT_PAYLOAD,
    UNSUPPORTED_MEDIA,
    BackgroundTasks,
    ChannelStore,
    KeyedLocks,
    Option,
    body_too_large,
    build_metadata,
    cap_request_size,
    channel_parts,
    inform_payload,
    language_hint_from_phone,
    match_option,
    options_from_buttons,
    render_numbered,
    sanitise_text,
    sms_text,
    split_long,
    split_sms,
)

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


def _configured(value: Any) -> str | None:
    """Returns a credential value, or None if empty or an unexpanded ``${VAR}``."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or (text.startswith("${") and text.endswith("}")):
        return None
    return text


@dataclass(frozen=True)
class TwilioConfig:
    """Settings of the Twilio channel (from credentials.yml)."""

    account_sid: str
    auth_token: str
    twilio_number: str | None = None
    whatsapp_number: str | None = None
    public_url: str | None = None
    api_base_url: str | None = None
    whatsapp_template_sid: str | None = None
    whatsapp_template_variables: str | None = None
    media_max_bytes: int = 10 * 1024 * 1024

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any]) -> TwilioConfig | None:
        """Reads the credentials.yml section.

        Args:
            credentials: The section (values may be unexpanded ``${VAR}``).

        Returns:
            The config, or None when the account SID or auth token is missing.
        """
        sid = _configured(credentials.get("account_sid"))
        token = _configured(credentials.get("auth_token"))
        if not sid or not token:
            return None
        return cls(
            account_sid=sid,
            auth_token=token,
            twilio_number=_configured(credentials.get("twilio_number")),
            whatsapp_number=_configured(credentials.get("whatsapp_number")),
            public_url=_configured(credentials.get("public_url")),
            api_base_url=_configured(credentials.get("api_base_url")),
            whatsapp_template_sid=_configured(credentials.get("whatsapp_template_sid")),
            whatsapp_template_variables=_configured(
                credentials.get("whatsapp_template_variables")
            ),
            media_max_bytes=int(
                _configured(credentials.get("media_max_bytes")) or 10 * 1024 * 1024
            ),
        )


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


class TwilioOutput(OutputChannel):
    """Sends bot messages by WhatsApp or SMS to the address behind a pseudonym."""

    @classmethod
    def name(cls) -> str:
        """Channel name as Rasa knows it."""
        return "twilio"

    def __init__(self, config: TwilioConfig, store: ChannelStore, sender: TwilioSender,
                 channel: str | None = None) -> None:
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

    async def _resolve(self, recipient_id: str) -> tuple[str, str] | None:
        """Finds the channel and real address of a pseudonym."""
        channels = [self._channel] if self._channel else [WHATSAPP, SMS]
        for channel in channels:
            address = await self._store.lookup_address(channel, recipient_id)
            if address:
                return channel, address
        logger.warning("No address stored for a %s recipient", self._channel or "twilio")
        return None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends text; a later plain message ends the numbered options offered earlier."""
        target = await self._resolve(recipient_id)
        if target is None:
            return
        if not self._sent_buttons:
            await self._store.set_state(target[0], recipient_id, STATE_OPTIONS, None)
        await self._send(target, recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        """Sends the prompt with numbered options and remembers them for the answer."""
        target = await self._resolve(recipient_id)
        if target is None:
            return
        options = options_from_buttons(buttons)
        await self._store.set_state(
            target[0], recipient_id, STATE_OPTIONS, [o.to_dict() for o in options]
        )
        self._sent_buttons = True
        await self._send(target, recipient_id, render_numbered(text, options))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Sends an image on WhatsApp; SMS (no MMS in the UK) gets the link as text."""
        target = await self._resolve(recipient_id)
        if target is None:
            return
        if target[0] == WHATSAPP:
            await self._send(target, recipient_id, "", media_url=[image])
        else:
            await self._send(target, recipient_id, image)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        """Custom payloads are not shown to people on this channel."""
        logger.debug("Dropping a custom payload on the Twilio channel")

    async def _send(self, target: tuple[str, str], pseudonym: str, text: str,
                    media_url: list[str] | None = None) -> None:
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

    async def _send_whatsapp(self, address: str, pseudonym: str, text: str,
                             media_url: list[str] | None) -> None:
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


class TwilioInput(InputChannel):
    """Webhook for inbound WhatsApp and SMS messages from Twilio."""

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix (``/webhooks/twilio/webhook``)."""
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel; without credentials it is created disabled, Rasa still starts.

        Args:
            credentials: The credentials.yml section.

        Returns:
            The channel.
        """
        config = TwilioConfig.from_credentials(credentials or {})
        return cls(*channel_parts(config, "Twilio", "account_sid/auth_token not configured"))

    def __init__(self, config: TwilioConfig | None, store: ChannelStore | None) -> None:
        """Creates the channel.

        Args:
            config: Settings, or None to disable the channel.
            store: Case store facade, or None to disable the channel.
        """
        self.config = config if store is not None else None
        self.store = store
        self.sender = TwilioSender(config) if config else None
        self.tasks = BackgroundTasks()
        self._locks = KeyedLocks()

    @property
    def enabled(self) -> bool:
        """Whether credentials and store are present."""
        return self.config is not None and self.store is not None

    def get_output_channel(self, channel: str | None = None) -> OutputChannel | None:
        """Output channel for proactive messages (looks the pseudonym up in both channels)."""
        if not self.enabled or self.sender is None:
            return None
        assert self.config is not None and self.store is not None
        return TwilioOutput(self.config, self.store, self.sender, channel)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Metadata from a webhook request (channel and phone-country language hint)."""
        params = self._form(request)
        sender = (params.get("From") or [""])[0]
        channel = WHATSAPP if sender.startswith("whatsapp:") else SMS
        return build_metadata(channel, language_hint_from_phone(sender) if sender else None,
                              "phone")

    @staticmethod
    def _form(request: Request) -> dict[str, list[str]]:
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

    def _is_authentic(self, request: Request, params: dict[str, list[str]]) -> bool:
        """Checks ``X-Twilio-Signature`` with Twilio's own validator."""
        assert self.config is not None
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        validator = RequestValidator(self.config.auth_token)
        return bool(validator.validate(self._signed_url(request), _MultiDict(params), signature))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: ``GET /`` health, ``POST /webhook`` inbound messages."""
        bp = Blueprint(f"twilio_channel_{id(self)}", __name__)
        on_new_message = bounded(on_new_message)  # acknowledge at once, work within the bound
        cap_request_size(bp)  # a larger body is refused with 413 before it is read

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            """Health check."""
            return response.json({"status": "ok" if self.enabled else "disabled"},
                                 status=200 if self.enabled else 503)

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            """Authenticates, acknowledges at once, processes in the background."""
            if not self.enabled:
                return response.text("", status=503)
            if body_too_large(request.body):  # no Twilio request is anywhere near this
                return response.text("", status=413)
            params = self._form(request)
            if not self._is_authentic(request, params):
                logger.warning("Rejected a Twilio webhook with a missing or wrong signature")
                return response.text("", status=403)
            if "MessageStatus" not in params:  # status callbacks carry nothing to process
                self.tasks.spawn(self._process(params, on_new_message), "twilio-inbound")
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return bp

    async def _process(self, params: dict[str, list[str]],
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Handles one inbound message after the webhook has been acknowledged."""
        assert self.config is not None and self.store is not None and self.sender is not None

        def first(name: str) -> str:
            return (params.get(name) or [""])[0]

        delivery_id = first("MessageSid") or first("SmsMessageSid")
        sender = first("From")
        if not delivery_id or not sender:
            logger.info("Ignoring a Twilio request without MessageSid or From")
            return
        channel = WHATSAPP if sender.startswith("whatsapp:") else SMS
        address = sender.removeprefix("whatsapp:")
        pseudonym = self.store.pseudonymise(channel, address)
        # Taken before the first await, so one person's messages run in arrival order.
        async with self._locks.hold(pseudonym):
            try:
                if not await self.store.claim_delivery(PROVIDER, delivery_id):
                    logger.info("Duplicate Twilio delivery ignored")
                    return
                await self._handle(channel, address, pseudonym, params, first, on_new_message)
            except Exception as exc:  # never lose the worker; never log content
                logger.error("Failed to handle a %s message: %s", channel, type(exc).__name__)
                logger.debug("Traceback", exc_info=True)

    async def _handle(self, channel: str, address: str, pseudonym: str,
                      params: dict[str, list[str]], first: Callable[[str], str],
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Turns one inbound message into zero or more user messages for Rasa."""
        assert self.config is not None and self.store is not None and self.sender is not None
        store = self.store
        if await store.lookup_address(channel, pseudonym) != address:
            await store.remember_address(channel, pseudonym, address)
        if channel == WHATSAPP:
            await store.set_state(channel, pseudonym, STATE_LAST_INBOUND, time.time())
            await store.set_state(channel, pseudonym, STATE_TEMPLATE_SENT, None)
        metadata = build_metadata(channel, language_hint_from_phone(address), "phone")
        output = TwilioOutput(self.config, store, self.sender, channel)

        async def tell(text: str) -> None:
            await on_new_message(UserMessage(text, output, pseudonym, input_channel=self.name(),
                                             metadata=dict(metadata)))

        body = first("Body").strip()
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
            num_media = int(first("NumMedia") or 0)
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
            stored, rejected = await self._store_media(pseudonym, params, num_media)
            if stored:
                await tell(inform_payload(EVIDENCE_RECEIVED))
            if rejected:
                await tell(inform_payload(UNSUPPORTED_MEDIA))
        elif not body:
            located = first("Latitude") or first("Longitude")
            await tell(inform_payload(UNSUPPORTED_MEDIA if located else EMPTY_MESSAGE))

    async def _store_media(self, pseudonym: str, params: dict[str, list[str]],
                           num_media: int) -> tuple[int, int]:
        """Fetches each ``MediaUrlN`` with basic auth and keeps acceptable images as evidence.

        Returns:
            How many items were stored and how many were refused.
        """
        assert self.config is not None and self.store is not None
        stored = rejected = 0
        auth = aiohttp.BasicAuth(self.config.account_sid, self.config.auth_token)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(auth=auth, timeout=timeout) as session:
            for i in range(min(num_media, 10)):
                url = (params.get(f"MediaUrl{i}") or [""])[0]
                declared = (params.get(f"MediaContentType{i}") or [""])[0].lower()
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
                try:
                    await self.store.add_evidence(pseudonym, content_type, data)
                except ValueError as exc:  # EvidenceTooLarge, empty or malformed
                    logger.warning("Evidence refused by the store: %s", type(exc).__name__)
                    rejected += 1
                    continue
                stored += 1
        return stored, rejected

    async def _fetch(self, session: aiohttp.ClientSession,
                     url: str) -> tuple[str, bytes] | None:
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

