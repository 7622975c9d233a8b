"""One base for the webhook channels (Twilio WhatsApp/SMS, Telegram): :class:`WebhookInput`.

A provider POSTs each event to ``/webhooks/<name>/webhook``. The base answers at once and does
the work in the background; a subclass fills in only what its provider does differently:

1. 503 while the channel is disabled, 413 for a body over ``MAX_REQUEST_BYTES``
   (channels/limits);
2. :meth:`WebhookInput.authentic`, the provider's signature check: 403 when it fails;
3. :meth:`WebhookInput.events`, what in the request is worth processing (a status callback or
   an unreadable update: nothing); each event is handed to a background task
   (channels/background) and the provider gets :meth:`WebhookInput.acknowledgement` straight
   away, so it never retries a slow turn;
4. in the background, :meth:`WebhookInput.identify` names the event's delivery id, channel and
   real address (or None to ignore it). The address becomes a pseudonym, and that person's lock
   (channels/locks) is taken before the first ``await``, so one person's messages run one at a
   time in arrival order. The delivery id is claimed in the case store, so a provider's retry,
   or the same delivery reaching a second process, is handled once. The address is stored
   (encrypted), then :meth:`WebhookInput.handle` turns the event into user messages through
   :attr:`Turn.tell`. A failure is logged by exception type only: never a message text, an
   address or a delivery id.

Turns go through ``channels.admission.bounded`` like every other channel's. A channel without
credentials, or whose case store is unreachable, is created disabled: it never stops Rasa from
starting.
"""

from __future__ import annotations

import logging
import traceback
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.admission import bounded
from channels.background import BackgroundTasks
from channels.credentials import CredentialSettings
from channels.limits import body_too_large, cap_request_size
from channels.locks import KeyedLocks
from channels.render import Option, options_from_buttons
from channels.store import ChannelStore, ServiceChannelStore

logger = logging.getLogger(__name__)

C = TypeVar("C")  # the channel's settings
E = TypeVar("E")  # one event as the subclass read it from a request
A = TypeVar("A")  # where a reply goes (a chat id; a channel and a number)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

# Evidence images we accept: content type -> check on the first bytes (magic numbers).
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"msf1")
IMAGE_TYPES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
    "image/png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/heic": lambda b: b[4:8] == b"ftyp" and b[8:12] in _HEIF_BRANDS,
    "image/heif": lambda b: b[4:8] == b"ftyp" and b[8:12] in _HEIF_BRANDS,
}


@dataclass(frozen=True)
class Delivery:
    """Who an event is from: the provider's delivery id, our channel name and the real address."""

    delivery_id: str
    channel: str
    address: str


@dataclass(frozen=True)
class Turn:
    """One delivery being handled: the person's channel, address and pseudonym, and ``tell``,
    which hands the bot one user message (with the channel's metadata and output channel)."""

    channel: str
    address: str
    pseudonym: str
    tell: Callable[[str], Awaitable[None]]


class WebhookInput(InputChannel, ABC, Generic[C, E]):
    """Route, signature check hook, per-conversation lock, delivery dedup and background work."""

    #: The provider's name in delivery claims ("twilio", "telegram"), capitalised in log lines.
    provider: ClassVar[str]
    #: The settings class: ``from_credentials(section)`` gives the settings, or None when the
    #: channel cannot run; its ``MISSING`` then says what is missing, for the log line.
    settings: ClassVar[type[CredentialSettings]]

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel; without credentials it is created disabled, Rasa still starts.

        Missing credentials or an unreachable case store disable just this channel, with one
        log line naming the reason (never a credential).

        Args:
            credentials: The credentials.yml section.

        Returns:
            The channel.
        """
        label = cls.provider.capitalize()
        config = cast("C | None", cls.settings.from_credentials(credentials or {}))
        if config is None:
            logger.warning("%s channel disabled: %s", label, cls.settings.MISSING)
            return cls(None, None)
        try:
            store: ChannelStore = ServiceChannelStore.from_env()
        except Exception as exc:  # the channel must not stop Rasa from starting
            logger.error(
                "%s channel disabled: case store unavailable (%s)", label, type(exc).__name__
            )
            return cls(None, None)
        return cls(config, store)

    def __init__(self, config: C | None, store: ChannelStore | None) -> None:
        """Creates the channel.

        Args:
            config: Settings, or None to disable the channel.
            store: Case store facade, or None to disable the channel.
        """
        self.config = config if store is not None else None
        self.store = store
        self.tasks = BackgroundTasks()
        self._locks = KeyedLocks()

    @property
    def enabled(self) -> bool:
        """Whether settings and store are present."""
        return self.config is not None and self.store is not None

    # ----------------------------------------------------------------------------------------
    # What a subclass provides
    # ----------------------------------------------------------------------------------------
    @abstractmethod
    def authentic(self, request: Request) -> bool:
        """Whether the request carries the provider's valid signature (else 403)."""

    @abstractmethod
    def events(self, request: Request) -> Sequence[E]:
        """The events of an authentic request worth processing (may be none)."""

    @abstractmethod
    def acknowledgement(self) -> HTTPResponse:
        """The provider's answer to an authentic request."""

    @abstractmethod
    def identify(self, event: E) -> Delivery | None:
        """Who the event is from, or None to ignore it (logged by the subclass). No ``await``
        here: the person's place in line is taken right after."""

    @abstractmethod
    def metadata(self, event: E, delivery: Delivery) -> dict[str, Any]:
        """The metadata of the event's user messages (``channels.metadata.build_metadata``)."""

    @abstractmethod
    def output_for(self, channel: str) -> OutputChannel:
        """The output channel replies to this channel go through."""

    @abstractmethod
    async def handle(self, event: E, turn: Turn) -> None:
        """Turns one new event into zero or more user messages (``turn.tell``)."""

    # ----------------------------------------------------------------------------------------
    # The shared skeleton
    # ----------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Routes: ``GET /`` health, ``POST /webhook`` the provider's events."""
        bp = Blueprint(f"{self.name()}_channel_{id(self)}", type(self).__module__)
        on_new_message = bounded(on_new_message)  # acknowledge at once, work within the bound
        cap_request_size(bp)  # a larger body is refused with 413 before it is read

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            """Health check."""
            return response.json(
                {"status": "ok" if self.enabled else "disabled"},
                status=200 if self.enabled else 503,
            )

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            """Authenticates, acknowledges at once, processes in the background."""
            if not self.enabled:
                return response.text("", status=503)
            if body_too_large(request.body):  # no provider's request is anywhere near this
                return response.text("", status=413)
            if not self.authentic(request):
                logger.warning(
                    "Rejected a %s webhook that failed its authenticity check",
                    self.provider.capitalize(),
                )
                return response.text("", status=403)
            for event in self.events(request):
                self.tasks.spawn(self._process(event, on_new_message), f"{self.provider}-event")
            return self.acknowledgement()

        return bp

    async def _process(self, event: E, on_new_message: OnNewMessage) -> None:
        """Handles one event after the webhook has been acknowledged."""
        assert self.store is not None
        store = self.store
        delivery = self.identify(event)
        if delivery is None:
            return
        pseudonym = store.pseudonymise(delivery.channel, delivery.address)
        # Taken before the first await, so one person's messages run in arrival order.
        async with self._locks.hold(pseudonym):
            try:
                if not await store.claim_delivery(self.provider, delivery.delivery_id):
                    logger.info("Duplicate %s delivery ignored", self.provider.capitalize())
                    return
                if await store.lookup_address(delivery.channel, pseudonym) != delivery.address:
                    await store.remember_address(delivery.channel, pseudonym, delivery.address)
                turn = self._turn(event, delivery, pseudonym, on_new_message)
                await self.handle(event, turn)
            except Exception as exc:  # never lose the worker; never log content
                logger.error(
                    "Failed to handle a %s message: %s", delivery.channel, type(exc).__name__
                )
                # Where it failed, without the exception's message (it may quote the text).
                logger.debug("Traceback:\n%s", "".join(traceback.format_tb(exc.__traceback__)))

    def _turn(
        self, event: E, delivery: Delivery, pseudonym: str, on_new_message: OnNewMessage
    ) -> Turn:
        """The turn of one delivery, with its metadata and output channel."""
        metadata = self.metadata(event, delivery)
        output = self.output_for(delivery.channel)
        input_channel = self.name()

        async def tell(text: str) -> None:
            message = UserMessage(
                text, output, pseudonym, input_channel=input_channel, metadata=dict(metadata)
            )
            await on_new_message(message)

        return Turn(delivery.channel, delivery.address, pseudonym, tell)

    async def keep_evidence(self, pseudonym: str, content_type: str, data: bytes) -> bool:
        """Stores an image as evidence; False when the store refuses it (too large, malformed)."""
        assert self.store is not None
        try:
            await self.store.add_evidence(pseudonym, content_type, data)
        except ValueError as exc:  # EvidenceTooLarge, empty or malformed
            logger.warning("Evidence refused by the store: %s", type(exc).__name__)
            return False
        return True


class WebhookOutput(OutputChannel, ABC, Generic[A]):
    """Replies to the person behind a pseudonym.

    The base finds where a reply goes (:meth:`recipient`; None when no address is stored, and then
    nothing is sent) and hands each kind of message to the subclass. Custom payloads are not
    shown to people on these channels.
    """

    @abstractmethod
    async def recipient(self, recipient_id: str) -> A | None:
        """Where replies to a pseudonym go, or None (logged without the pseudonym)."""

    @abstractmethod
    async def deliver_text(self, to: A, recipient_id: str, text: str) -> None:
        """Sends a text."""

    @abstractmethod
    async def deliver_prompt(
        self, to: A, recipient_id: str, text: str, options: list[Option]
    ) -> None:
        """Sends a prompt with its options (buttons)."""

    @abstractmethod
    async def deliver_image(self, to: A, recipient_id: str, image: str) -> None:
        """Sends an image by URL."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """See :meth:`deliver_text`."""
        to = await self.recipient(recipient_id)
        if to is not None:
            await self.deliver_text(to, recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """See :meth:`deliver_prompt`."""
        to = await self.recipient(recipient_id)
        if to is not None:
            await self.deliver_prompt(to, recipient_id, text, options_from_buttons(buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """See :meth:`deliver_image`."""
        to = await self.recipient(recipient_id)
        if to is not None:
            await self.deliver_image(to, recipient_id, image)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Custom payloads are not shown to people on this channel."""
        logger.debug("Dropping a custom payload on the %s channel", self.name())
