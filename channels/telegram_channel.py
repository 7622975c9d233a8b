"""Telegram channel on python-telegram-bot (webhook mode), not Rasa's aiogram channel.

The webhook is authenticated with Telegram's ``X-Telegram-Bot-Api-Secret-Token`` (set when the
webhook is registered, see :func:`set_webhook`), answered at once, and processed in the
background. Rasa sees pseudonyms, never chat ids.

credentials.yml::

    channels.telegram_channel.TelegramInput:
      token: ${TELEGRAM_BOT_TOKEN}                 # or access_token:
      secret_token: ${TELEGRAM_WEBHOOK_SECRET}     # or webhook_secret:; 1-256 of A-Z a-z 0-9 _ -
      webhook_url: ${TELEGRAM_WEBHOOK_URL}         # https://<host>/webhooks/telegram_ptb/webhook
      base_url: ${TELEGRAM_API_BASE_URL}           # empty for https://api.telegram.org/bot
      base_file_url: ${TELEGRAM_FILE_BASE_URL}     # empty for https://api.telegram.org/file/bot

Register the webhook once: ``python -m channels.telegram_channel set-webhook`` (reads the same
variables from the environment).

Commands: ``/start`` → ``/greet``, ``/stop`` → ``/stop``, ``/language`` → ``/change_language``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import sys
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import SecretStr
from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import TelegramError

from bot.settings import EnvSettings
from channels.credentials import CredentialSettings
from channels.metadata import build_metadata, language_hint_from_locale
from channels.payloads import (
    CHANGE_LANGUAGE_PAYLOAD,
    EMPTY_MESSAGE,
    EVIDENCE_RECEIVED,
    GREET_PAYLOAD,
    STOP_PAYLOAD,
    UNSUPPORTED_MEDIA,
    inform_payload,
    sanitise_text,
)
from channels.render import Option, split_long
from channels.store import ChannelStore
from channels.webhook import IMAGE_TYPES, Delivery, Turn, WebhookInput, WebhookOutput

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
PROVIDER = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_DATA_MAX_BYTES = 64
CALLBACK_PREFIX = "cb:"
STATE_CALLBACKS = "callbacks"
TELEGRAM_MAX_CHARS = 4096


def telegram_messages(text: str, options: Sequence[Option] = ()) -> list[tuple[str, list[Option]]]:
    """The Telegram messages for one bot message: (text, inline keyboard options) in order.

    Text over Telegram's 4,096 characters is split on paragraph, line and sentence boundaries; the
    keyboard (one button per option, each whole) goes with the last part, so it is never lost.
    """
    parts = [part.strip() for part in split_long(text.strip(), TELEGRAM_MAX_CHARS) if part.strip()]
    if not parts:
        parts = ["…"] if options else []
    return [(part, list(options) if i == len(parts) - 1 else []) for i, part in enumerate(parts)]


_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
COMMANDS = {"/start": GREET_PAYLOAD, "/stop": STOP_PAYLOAD, "/language": CHANGE_LANGUAGE_PAYLOAD}


def quiet_http_loggers() -> None:
    """Keeps loggers that would print the bot token, chat ids or texts at WARNING.

    httpx logs request URLs (which contain the token); python-telegram-bot logs its base URL and
    every API call's parameters at DEBUG.
    """
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class TelegramConfig(CredentialSettings):
    """Settings of the Telegram channel (from credentials.yml)."""

    MISSING = "token/secret_token missing or invalid"
    ALIASES = {"token": "access_token", "secret_token": "webhook_secret"}

    token: str
    secret_token: str
    webhook_url: str | None = None
    base_url: str | None = None
    base_file_url: str | None = None
    photo_max_bytes: int = 10 * 1024 * 1024

    def __repr__(self) -> str:
        """Never shows the token or the secret."""
        return f"TelegramConfig(webhook_url={self.webhook_url!r}, base_url=<hidden>)"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any]) -> TelegramConfig | None:
        """Reads the credentials.yml section; None also when the secret is not one Telegram takes.

        Args:
            credentials: The section (values may be unexpanded ``${VAR}``).
        """
        config = super().from_credentials(credentials)
        return config if config is not None and _SECRET_RE.match(config.secret_token) else None

    def make_bot(self) -> Bot:
        """Creates the python-telegram-bot ``Bot`` (no network call)."""
        quiet_http_loggers()
        kwargs: dict[str, Any] = {}
        if self.base_url:
            kwargs["base_url"] = self.base_url
        if self.base_file_url:
            kwargs["base_file_url"] = self.base_file_url
        return Bot(self.token, **kwargs)


def callback_data_for(payload: str) -> str:
    """Returns the ``callback_data`` for a button payload.

    Telegram allows 64 bytes; longer payloads get a short stable id kept in channel state.

    Args:
        payload: The Rasa button payload.

    Returns:
        The payload itself, or ``cb:<hex>``.
    """
    if len(payload.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES and not payload.startswith(
        CALLBACK_PREFIX
    ):
        return payload
    return CALLBACK_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class TelegramOutput(WebhookOutput[int]):
    """Sends bot messages to the Telegram chat behind a pseudonym."""

    @classmethod
    def name(cls) -> str:
        """Channel name as Rasa knows it."""
        return "telegram_ptb"

    def __init__(self, bot: Bot, store: ChannelStore) -> None:
        """Creates the output channel.

        Args:
            bot: python-telegram-bot ``Bot``.
            store: Case store facade (chat ids, channel state).
        """
        self._bot = bot
        self._store = store

    async def recipient(self, recipient_id: str) -> int | None:
        """Looks up the chat id of a pseudonym."""
        address = await self._store.lookup_address(CHANNEL, recipient_id)
        if address is None:
            logger.warning("No chat stored for a Telegram recipient")
            return None
        return int(address)

    async def _call(self, coro: Awaitable[Any]) -> None:
        """Runs a Bot API call, logging failures without their (token-bearing) details."""
        try:
            await coro
        except TelegramError as exc:
            logger.error("Telegram API call failed: %s", type(exc).__name__)

    async def deliver_text(self, to: int, recipient_id: str, text: str) -> None:
        """Sends text (split above Telegram's 4096 characters)."""
        for part, _none in telegram_messages(text):
            await self._call(self._bot.send_message(chat_id=to, text=part))

    async def deliver_prompt(
        self, to: int, recipient_id: str, text: str, options: list[Option]
    ) -> None:
        """Sends the prompt with an inline keyboard, one button per row."""
        long_ones = {
            callback_data_for(o.payload): o.payload
            for o in options
            if callback_data_for(o.payload) != o.payload
        }
        if long_ones:
            known = await self._store.get_state(CHANNEL, recipient_id, STATE_CALLBACKS) or {}
            known.update(long_ones)
            await self._store.set_state(CHANNEL, recipient_id, STATE_CALLBACKS, known)
        for part, keys in telegram_messages(text, options):
            if not keys:
                await self._call(self._bot.send_message(chat_id=to, text=part))
                continue
            keyboard = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(o.title, callback_data=callback_data_for(o.payload))]
                    for o in keys
                ]
            )
            await self._call(self._bot.send_message(chat_id=to, text=part, reply_markup=keyboard))

    async def deliver_image(self, to: int, recipient_id: str, image: str) -> None:
        """Sends an image by URL."""
        await self._call(self._bot.send_photo(chat_id=to, photo=image))


class TelegramInput(WebhookInput[TelegramConfig, Update]):
    """Webhook for Telegram updates (messages and inline-keyboard callback queries)."""

    provider = PROVIDER
    settings = TelegramConfig

    def __init__(
        self, config: TelegramConfig | None, store: ChannelStore | None, bot: Bot | None = None
    ) -> None:
        """Creates the channel (disabled without settings or store); ``bot`` is a ready ``Bot``
        (tests), else one is built from ``config``."""
        super().__init__(config, store)
        self.bot = bot or (self.config.make_bot() if self.config else None)

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix (``/webhooks/telegram_ptb/webhook``)."""
        return "telegram_ptb"

    @property
    def enabled(self) -> bool:
        """Whether credentials, store and bot are present."""
        return super().enabled and self.bot is not None

    def get_output_channel(self) -> OutputChannel | None:
        """Output channel for proactive messages."""
        if self.bot is None or self.store is None:
            return None
        return TelegramOutput(self.bot, self.store)

    def output_for(self, channel: str) -> OutputChannel:
        """Replies go to the person's chat."""
        output = self.get_output_channel()
        assert output is not None
        return output

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Metadata from a webhook request (the sender's Telegram ``language_code``)."""
        data = request.json or {}
        body = data.get("message") or data.get("callback_query") or {}
        user = body.get("from") or {}
        return build_metadata(
            CHANNEL, language_hint_from_locale(user.get("language_code")), "telegram"
        )

    def authentic(self, request: Request) -> bool:
        """Constant-time check of the secret Telegram echoes on every webhook call."""
        assert self.config is not None
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode("utf-8"), self.config.secret_token.encode("utf-8"))

    def events(self, request: Request) -> list[Update]:
        """The update in the request; an unreadable one is dropped (no retry wanted)."""
        try:
            update = Update.de_json(request.json, self.bot)
        except Exception as exc:  # malformed JSON: nothing to process, no retry wanted
            logger.warning("Unreadable Telegram update: %s", type(exc).__name__)
            return []
        return [] if update is None else [update]

    def acknowledgement(self) -> HTTPResponse:
        """An empty JSON object."""
        return response.json({})

    def identify(self, event: Update) -> Delivery | None:
        """The update id and chat id of an update from a private chat."""
        chat = event.effective_chat
        if chat is None or chat.type != "private":
            logger.info("Ignoring a Telegram update outside a private chat")
            return None
        return Delivery(str(event.update_id), CHANNEL, str(chat.id))

    def metadata(self, event: Update, delivery: Delivery) -> dict[str, Any]:
        """The language hint of the sender's Telegram ``language_code``."""
        user: User | None = event.effective_user
        hint = language_hint_from_locale(user.language_code if user else None)
        return build_metadata(CHANNEL, hint, "telegram")

    async def handle(self, event: Update, turn: Turn) -> None:
        """Turns one update into zero or more user messages for Rasa."""
        store = self.store
        assert store is not None
        pseudonym, tell = turn.pseudonym, turn.tell
        query = event.callback_query
        if query is not None:
            try:
                await query.answer()
            except TelegramError as exc:
                logger.warning("Could not answer a callback query: %s", type(exc).__name__)
            data = query.data or ""
            if data.startswith(CALLBACK_PREFIX):
                known = await store.get_state(CHANNEL, pseudonym, STATE_CALLBACKS) or {}
                data = known.get(data, "")
            if data:
                await tell(data)
            return

        message = event.message
        if message is None:  # edits, channel posts, ...: nothing to do
            return
        text = (message.text or message.caption or "").strip()
        if message.text and text.startswith("/"):
            command = text.split()[0].split("@")[0].lower()
            if command in COMMANDS:
                await tell(COMMANDS[command])
                return
        clean = sanitise_text(text)
        if clean:
            await tell(clean)
        if message.photo or message.document:
            await tell(inform_payload(await self._store_image(message, pseudonym)))
        elif message.text is None and not message.caption:
            await tell(inform_payload(UNSUPPORTED_MEDIA if _has_media(message) else EMPTY_MESSAGE))
        elif not clean:
            await tell(inform_payload(EMPTY_MESSAGE))

    async def _store_image(self, message: Message, pseudonym: str) -> str:
        """Downloads the largest photo (or an image sent as a file) and stores it as evidence.

        Returns:
            ``evidence_received`` or ``unsupported_media``.
        """
        assert self.config is not None and self.bot is not None
        limit = self.config.photo_max_bytes
        if message.photo:
            photo = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
            file_id, size, declared = photo.file_id, photo.file_size, "image/jpeg"
        else:
            document = message.document
            assert document is not None
            file_id, size = document.file_id, document.file_size
            declared = (document.mime_type or "").lower()
            if declared not in IMAGE_TYPES:
                return UNSUPPORTED_MEDIA
        if size is not None and size > limit:
            return UNSUPPORTED_MEDIA
        try:
            tg_file = await self.bot.get_file(file_id)
            if tg_file.file_size is not None and tg_file.file_size > limit:
                return UNSUPPORTED_MEDIA
            data = bytes(await tg_file.download_as_bytearray())
        except TelegramError as exc:
            logger.warning("Could not download a Telegram file: %s", type(exc).__name__)
            return UNSUPPORTED_MEDIA
        content_type = next((ct for ct, check in IMAGE_TYPES.items() if check(data)), None)
        if content_type is None or len(data) > limit:
            return UNSUPPORTED_MEDIA
        if not await self.keep_evidence(pseudonym, content_type, data):
            return UNSUPPORTED_MEDIA
        return EVIDENCE_RECEIVED


def _has_media(message: Message) -> bool:
    """Whether a message carries something other than text (sticker, voice, location...)."""
    return message.effective_attachment is not None or message.location is not None


async def set_webhook(config: TelegramConfig, *, drop_pending_updates: bool = False) -> bool:
    """Registers ``config.webhook_url`` with Telegram, with the secret token.

    Args:
        config: Channel settings (``webhook_url`` required).
        drop_pending_updates: Discard updates queued while no webhook was set.

    Returns:
        True when Telegram accepted the webhook.
    """
    if not config.webhook_url:
        raise ValueError("webhook_url is not configured")
    bot = config.make_bot()
    async with bot:
        ok: bool = await bot.set_webhook(
            url=config.webhook_url,
            secret_token=config.secret_token,
            allowed_updates=["message", "callback_query"],
            drop_pending_updates=drop_pending_updates,
        )
    return ok


class _TelegramEnv(EnvSettings):
    """The variables credentials.yml points at (for ``set-webhook``, run outside Rasa)."""

    show_values: ClassVar[bool] = False
    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_WEBHOOK_SECRET: SecretStr | None = None
    TELEGRAM_WEBHOOK_URL: str | None = None
    TELEGRAM_API_BASE_URL: str | None = None
    TELEGRAM_FILE_BASE_URL: str | None = None


def _config_from_env(environ: Mapping[str, str] | None = None) -> TelegramConfig | None:
    """Reads the same settings credentials.yml points at, from the environment."""
    env = _TelegramEnv.read(environ)

    def secret(value: SecretStr | None) -> str | None:
        return None if value is None else value.get_secret_value()

    return TelegramConfig.from_credentials(
        {
            "token": secret(env.TELEGRAM_BOT_TOKEN),
            "secret_token": secret(env.TELEGRAM_WEBHOOK_SECRET),
            "webhook_url": env.TELEGRAM_WEBHOOK_URL,
            "base_url": env.TELEGRAM_API_BASE_URL,
            "base_file_url": env.TELEGRAM_FILE_BASE_URL,
        }
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m channels.telegram_channel set-webhook``.

    Returns:
        Process exit code.
    """
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["set-webhook"]:
        print("usage: python -m channels.telegram_channel set-webhook [--drop-pending]")
        return 2
    logging.basicConfig(level=logging.INFO)
    config = _config_from_env()
    if config is None or not config.webhook_url:
        print("Set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_WEBHOOK_URL.")
        return 2
    ok = asyncio.run(set_webhook(config, drop_pending_updates="--drop-pending" in args))
    print("webhook registered" if ok else "Telegram refused the webhook")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
