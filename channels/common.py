"""Shared pieces of our messaging channels (Twilio WhatsApp/SMS, Telegram).

Everything here is plain Python without Rasa imports so it can be unit-tested on its own:

* special user messages the channels send to the bot instead of writing text themselves,
* channel metadata and language hints (phone country code, Telegram ``language_code``),
* numbered options for channels without buttons, and mapping a typed answer back to a payload,
* SMS segmentation (GSM-7 / UCS-2) that never cuts a grapheme or a numbered option,
* :class:`ChannelStore`, the async facade the channels use for the case store and pseudonyms.

Special user messages (the conversation answers them with domain responses):

==========================================  ================================================
payload                                     sent when
==========================================  ================================================
``/inform{"choice":"unsupported_media"}``   media we cannot use (audio, video, documents,
                                            stickers, locations, too-large images)
``/inform{"choice":"empty_message"}``       a message with no text and no media
``/inform{"choice":"evidence_received"}``   an image was stored as evidence
``/greet``                                  Telegram ``/start``
``/stop``                                   Telegram ``/stop``
``/change_language``                        Telegram ``/language``
``/stop_contact``                           SMS opt-out keyword (STOP, ...); nothing more is
                                            sent to that number until START/UNSTOP
==========================================  ================================================
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import phonenumbers
import regex

from bot.languages import from_locale_tag, from_phone

logger = logging.getLogger(__name__)

T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# Special user messages
# --------------------------------------------------------------------------------------------
UNSUPPORTED_MEDIA = "unsupported_media"
EMPTY_MESSAGE = "empty_message"
EVIDENCE_RECEIVED = "evidence_received"
GREET_PAYLOAD = "/greet"
STOP_PAYLOAD = "/stop"
CHANGE_LANGUAGE_PAYLOAD = "/change_language"
STOP_CONTACT_PAYLOAD = "/stop_contact"

# Evidence images we accept: content type -> check on the first bytes (magic numbers).
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"msf1")
IMAGE_TYPES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
    "image/png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/heic": lambda b: b[4:8] == b"ftyp" and b[8:12] in _HEIF_BRANDS,
    "image/heif": lambda b: b[4:8] == b"ftyp" and b[8:12] in _HEIF_BRANDS,
}


# --------------------------------------------------------------------------------------------
# Size limits at the door
# --------------------------------------------------------------------------------------------
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


def sanitise_text(text: str) -> str:
    """Removes leading slashes from typed text so people cannot type Rasa intents (``/stop``).

    Args:
        text: What the person typed.

    Returns:
        The text as NLU should see it.
    """
    return text.lstrip().lstrip("/").strip()


def inform_payload(choice: str) -> str:
    """Builds the contract's button payload ``/inform{"choice":"<value>"}``.

    Args:
        choice: Stable English identifier of the choice.

    Returns:
        The payload text, JSON without spaces so it matches domain button payloads exactly.
    """
    return "/inform" + json.dumps({"choice": choice}, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Metadata and language hints
# --------------------------------------------------------------------------------------------
def build_metadata(channel: str, language_hint: str | None, hint_source: str) -> dict[str, Any]:
    """Builds the metadata every channel puts on ``UserMessage.metadata``.

    Args:
        channel: ``whatsapp``, ``sms`` or ``telegram``.
        language_hint: One of our language codes, or None.
        hint_source: ``phone`` or ``telegram``.

    Returns:
        The metadata dict of the architecture contract.
    """
    return {"channel": channel, "language_hint": language_hint, "hint_source": hint_source}


def language_hint_from_phone(e164: str) -> str | None:
    """Gives a language hint from a phone number's country calling code.

    Args:
        e164: Number in E.164 form (``+447700900123``); a ``whatsapp:`` prefix is ignored.

    Returns:
        One of our language codes, or None when the country suggests none.
    """
    number = e164.removeprefix("whatsapp:").strip()
    try:
        calling_code = phonenumbers.parse(number, None).country_code
    except phonenumbers.NumberParseException:
        return None
    return from_phone(f"+{calling_code}") if calling_code else None


def language_hint_from_locale(tag: str | None) -> str | None:
    """Gives a language hint from an IETF locale tag such as Telegram's ``language_code``.

    Args:
        tag: Locale tag (``zh-hans``, ``vi``, ``en-GB``) or None.

    Returns:
        One of our language codes, or None.
    """
    return from_locale_tag(tag)


# --------------------------------------------------------------------------------------------
# Numbered options (channels without buttons)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One button offered as a numbered option."""

    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        """Returns the JSON-able form kept in channel state."""
        return {"title": self.title, "payload": self.payload}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Option:
        """Rebuilds an option from channel state."""
        return cls(title=str(data["title"]), payload=str(data["payload"]))


def options_from_buttons(buttons: Sequence[dict[str, Any]]) -> list[Option]:
    """Converts Rasa buttons (``title``/``payload``) to options.

    Args:
        buttons: Buttons as Rasa passes them to an output channel.

    Returns:
        Options in the same order; a button without payload uses its title.
    """
    return [
        Option(title=str(b.get("title", "")), payload=str(b.get("payload") or b.get("title", "")))
        for b in buttons
    ]


_OPTION_LINE = re.compile(r"^\s*\d+\) ", re.MULTILINE)


def render_numbered(text: str, options: Sequence[Option]) -> str:
    """Renders a prompt with numbered options, one per line: ``1) Title``.

    No words are added, so nothing here needs translating.

    Args:
        text: The prompt (already in the person's language).
        options: The options to number from 1.

    Returns:
        The message text.
    """
    lines = [f"{i}) {opt.title}" for i, opt in enumerate(options, start=1)]
    return "\n".join([text.rstrip(), *lines]) if text.strip() else "\n".join(lines)


def _normalise_answer(text: str) -> str:
    """NFKC-folds (full-width digits to ASCII), trims and case-folds a typed answer; typography
    and its GSM-7 look-alike compare equal (an SMS showed "Yes - later" for "Yes – later")."""
    return unicodedata.normalize("NFKC", text.translate(_GSM7_LOOKALIKES)).strip().casefold()


def match_option(answer: str, options: Sequence[Option]) -> str | None:
    """Maps a typed answer to an option's payload.

    Accepts the number (``2``, `` 2 ``, full-width ``２``, ``2)``, ``2.``) or the title itself.

    Args:
        answer: What the person typed.
        options: The options last offered.

    Returns:
        The payload, or None when the answer is not one of the options.
    """
    if not options:
        return None
    norm = _normalise_answer(answer)
    number = norm.rstrip(").").strip()
    if number.isdigit():
        index = int(number)
        if 1 <= index <= len(options):
            return options[index - 1].payload
        return None
    for opt in options:
        if _normalise_answer(opt.title) == norm:
            return opt.payload
    return None


# --------------------------------------------------------------------------------------------
# SMS segmentation
# --------------------------------------------------------------------------------------------
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + character).
_GSM7_EXTENDED = set("^{}\\[~]|€\f")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# (single message, per part when concatenated)
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
# Twilio's most characters in one message body (it concatenates the segments itself).
TWILIO_MAX_BODY = 1600
# Most segments in one SMS message we send (see `split_sms`).
SMS_MAX_SEGMENTS = 10

_SENTENCE_END_CJK = set("。！？｡．!?")
_SENTENCE_END_LATIN = set(".!?…")
_CLAUSE = set("，、；：,;:၊။។៕")
_MIN_FILL = 0.5


def sms_encoding(text: str) -> str:
    """Tells which encoding an SMS will use.

    Args:
        text: Message text.

    Returns:
        ``GSM-7`` if every character is in the GSM 03.38 default alphabet or its extension,
        else ``UCS-2`` (CJK, Thai, Burmese, Khmer, Vietnamese tones, emoji ...).
    """
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        return GSM7
    return UCS2


def sms_units(text: str, encoding: str) -> int:
    """Counts the length that the SMS limits apply to.

    Args:
        text: Message text.
        encoding: ``GSM-7`` or ``UCS-2``.

    Returns:
        Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2
        (characters outside the BMP, such as most emoji, count two).
    """
    if encoding == GSM7:
        return sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def _break_scores(graphemes: list[str]) -> list[int | None]:
    """Scores each position *after* grapheme i as a place to cut (higher is better).

    5 paragraph, 4 line, 3 sentence, 2 word/clause, 1 any grapheme, None inside a numbered
    option line (``1) ...``) where we would rather not cut at all.
    """
    newlines = ("\n", "\r\n", "\r")
    protected: list[bool] = []
    line: list[str] = []

    def close_line() -> None:
        is_option = bool(_OPTION_LINE.match("".join(line)))
        protected.extend([is_option] * len(line))
        line.clear()

    for g in graphemes:
        if g in newlines:
            close_line()
            protected.append(False)
        else:
            line.append(g)
    close_line()

    scores: list[int | None] = []
    for i, g in enumerate(graphemes):
        nxt = graphemes[i + 1] if i + 1 < len(graphemes) else ""
        prev = graphemes[i - 1] if i > 0 else ""
        if g in ("\n", "\r\n", "\r"):
            scores.append(5 if prev in newlines else 4)
            continue
        if protected[i]:
            scores.append(None)
            continue
        if g in _SENTENCE_END_CJK and not nxt.isspace():
            scores.append(3)
        elif g.isspace():
            scores.append(3 if prev and prev[-1] in _SENTENCE_END_LATIN | _SENTENCE_END_CJK else 2)
        elif g in _CLAUSE and not nxt.isspace():
            scores.append(2)
        else:
            scores.append(1)
    return scores


def _choose_cut(graphemes: list[str], scores: list[int | None], start: int, end: int,
                costs: list[int], limit: int) -> int:
    """Chooses where to end the part that starts at ``start`` and may reach ``end`` (exclusive).

    Returns:
        Index of the last grapheme of the part.
    """
    filled: list[int] = []
    fill = 0
    for i in range(start, end):
        fill += costs[i]
        filled.append(fill)
    # 1) The best kind of break that still fills the part reasonably.
    for level in (5, 4, 3, 2, 1):
        for i in range(end - 1, start - 1, -1):
            if scores[i] == level and filled[i - start] >= _MIN_FILL * limit:
                return i
    # 2) Any allowed break, however early (keeps numbered options whole).
    for level in (5, 4, 3, 2, 1):
        for i in range(end - 1, start - 1, -1):
            if scores[i] == level:
                return i
    # 3) An option line longer than a whole part: cut it after a space, else anywhere.
    for i in range(end - 1, start - 1, -1):
        if graphemes[i].isspace():
            return i
    return end - 1


def _split(text: str, per_part: int, cost: Callable[[str], int]) -> list[str]:
    """Greedy split on the best boundaries; see :func:`split_sms`."""
    graphemes: list[str] = regex.findall(r"\X", text)
    costs = [cost(g) for g in graphemes]
    scores = _break_scores(graphemes)
    parts: list[str] = []
    start = 0
    while start < len(graphemes):
        fill = 0
        end = start
        while end < len(graphemes) and fill + costs[end] <= per_part:
            fill += costs[end]
            end += 1
        if end == start:  # one grapheme longer than a part (pathological): send it alone
            end = start + 1
        if end == len(graphemes):
            parts.append("".join(graphemes[start:end]))
            break
        cut = _choose_cut(graphemes, scores, start, end, costs, per_part)
        parts.append("".join(graphemes[start : cut + 1]))
        start = cut + 1
    return parts


def split_long(text: str, limit: int) -> list[str]:
    """Splits a text longer than ``limit`` characters (WhatsApp: 1600) on good boundaries.

    Args:
        text: The message.
        limit: Most characters per message.

    Returns:
        The parts (the text itself when it fits).
    """
    if len(text) <= limit:
        return [text]
    return _split(text, limit, len)


def split_sms(text: str) -> list[str]:
    """Splits a text into SMS messages, each one whole concatenated SMS; nothing is ever dropped.

    Twilio takes a body of up to 1,600 characters and sends it as one concatenated SMS that the
    phone shows as one message, so a question and all its numbered options normally travel
    together. We still split, on paragraph, line, sentence and word boundaries (a numbered option
    line is never cut unless it alone is longer than a message), for two reasons:

    * a body over 1,600 characters is refused by Twilio (error 21617): a report summary with a long
      description can be that long, and we must never lose it;
    * we hold every message to ``SMS_MAX_SEGMENTS`` segments. In GSM-7 that is 1,530 characters,
      just under Twilio's limit; in UCS-2 (Chinese, Thai, Burmese, Khmer, Vietnamese tones, emoji)
      a segment holds only 67 characters, and a 1,600-character body would be 24 segments billed
      and reassembled as one, so UCS-2 messages are held to the same 10 segments (670 units).

    Joining the parts gives the text back exactly. Cuts never fall inside a grapheme cluster.

    Args:
        text: The message (see `sms_text` for the GSM-7 look-alikes applied before).

    Returns:
        The parts, each within ``sms_budget`` of the text's encoding.
    """
    encoding = sms_encoding(text)
    budget = sms_budget(encoding)
    if sms_units(text, encoding) <= budget:
        return [text]
    return _split(text, budget, lambda g: sms_units(g, encoding))


def sms_budget(encoding: str) -> int:
    """Most units (septets or UTF-16 code units) in one SMS message we send."""
    per_part = _LIMITS[encoding][1]
    return min(SMS_MAX_SEGMENTS * per_part, TWILIO_MAX_BODY)


# Typography outside GSM-7 with a GSM-7 look-alike that reads the same. One such character turns a
# whole SMS into UCS-2 (70 instead of 160 characters a segment), e.g. the "•" bullets of a list.
_GSM7_LOOKALIKES = str.maketrans({
    "•": "-", "‣": "-", "◦": "-", "·": "-", "–": "-", "—": "-", "‑": "-", "−": "-",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "…": "...",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
})


def sms_text(text: str) -> str:
    """The text as an SMS carries it: GSM-7 look-alikes for typography when that makes the whole
    message GSM-7 ("•" → "-", "’" → "'"); a text that needs UCS-2 anyway keeps its typography."""
    plain = text.translate(_GSM7_LOOKALIKES)
    return plain if sms_encoding(plain) == GSM7 else text


# --------------------------------------------------------------------------------------------
# Store facade
# --------------------------------------------------------------------------------------------
class ChannelStore(Protocol):
    """What the channels need from the case store and crypto, as coroutines."""

    def pseudonymise(self, channel: str, address: str) -> str:
        """Returns the keyed-hash pseudonym used as Rasa sender id."""

    async def claim_delivery(self, provider: str, delivery_id: str) -> bool:
        """Returns True the first time a delivery id is seen (across processes)."""

    async def remember_address(self, channel: str, pseudonym: str, address: str) -> None:
        """Stores the real address encrypted."""

    async def lookup_address(self, channel: str, pseudonym: str) -> str | None:
        """Returns the real address for a pseudonym, or None."""

    async def get_state(self, channel: str, pseudonym: str, key: str) -> Any:
        """Returns a JSON-able channel state value, or None."""

    async def set_state(self, channel: str, pseudonym: str, key: str, value: Any) -> None:
        """Stores a JSON-able channel state value (None clears it)."""

    async def add_evidence(self, conversation_key: str, content_type: str, data: bytes) -> int:
        """Stores an encrypted evidence file and returns its id."""


class ServiceChannelStore:
    """:class:`ChannelStore` over ``bot.store.service`` and ``bot.crypto``.

    The store is synchronous SQLAlchemy; every call runs in a worker thread with its own
    session so the Sanic event loop is never blocked.
    """

    def __init__(self, session_factory: Callable[[], Any], keyring: Any, settings: Any) -> None:
        """Creates the facade.

        Args:
            session_factory: Returns a new SQLAlchemy session (``sessionmaker``).
            keyring: ``bot.crypto.Keyring`` used to encrypt addresses and evidence.
            settings: ``bot.settings.Settings`` (evidence directory, limits).
        """
        self._session_factory = session_factory
        self._keyring = keyring
        self._settings = settings

    @classmethod
    def from_settings(cls, settings: Any) -> ServiceChannelStore:
        """Builds the facade over the shared case store.

        Args:
            settings: ``bot.settings.Settings`` (database URL, keyring, evidence folder).

        Returns:
            The facade (one engine per channel instance).
        """
        from bot.crypto import load_keyring
        from bot.store.db import make_engine, make_session_factory

        engine = make_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)
        return cls(make_session_factory(engine), load_keyring(settings), settings)

    @classmethod
    def from_env(cls) -> ServiceChannelStore:
        """Builds the facade from ``Settings.from_env()`` (called at channel start-up)."""
        from bot.settings import Settings

        return cls.from_settings(Settings.from_env())

    async def _run(self, fn: Callable[[Any], T]) -> T:
        """Runs ``fn(session)`` in a thread, committing on success."""

        def work() -> T:
            session = self._session_factory()
            try:
                result = fn(session)
                session.commit()
                return result
            except Exception:
                session.rollback()
                raise
            finally:
                session.close()

        return await asyncio.to_thread(work)

    def pseudonymise(self, channel: str, address: str) -> str:
        """Returns ``bot.crypto.pseudonymise(channel, address, keyring=...)``."""
        pseudonym: str = self._keyring.pseudonymise(channel, address)
        return pseudonym

    async def claim_delivery(self, provider: str, delivery_id: str) -> bool:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(lambda s: bool(service.claim_delivery(s, provider, delivery_id)))

    async def remember_address(self, channel: str, pseudonym: str, address: str) -> None:
        """See :class:`ChannelStore`."""
        from bot.store import service

        await self._run(
            lambda s: service.remember_address(s, self._keyring, channel, pseudonym, address)
        )

    async def lookup_address(self, channel: str, pseudonym: str) -> str | None:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(
            lambda s: service.lookup_address(s, self._keyring, channel, pseudonym)
        )

    async def get_state(self, channel: str, pseudonym: str, key: str) -> Any:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(lambda s: service.get_channel_state(s, channel, pseudonym, key))

    async def set_state(self, channel: str, pseudonym: str, key: str, value: Any) -> None:
        """See :class:`ChannelStore`."""
        from bot.store import service

        await self._run(
            lambda s: service.set_channel_state(s, channel, pseudonym, key, value)
        )

    async def add_evidence(self, conversation_key: str, content_type: str, data: bytes) -> int:
        """See :class:`ChannelStore`."""
        from bot.store import service

        return await self._run(
            lambda s: int(
                service.add_evidence(
                    s, self._keyring, self._settings, conversation_key, content_type, data
                )
            )
        )


@dataclass
class _Held:
    """One key's lock and how many tasks hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    count: int = 0


class KeyedLocks:
    """One FIFO lock per key (a person's pseudonym), dropped when nobody holds or waits for it.

    The count is explicit (asyncio's ``Lock._waiters`` is private). The place is taken before the
    first ``await``, so one person's messages run in arrival order.
    """

    def __init__(self) -> None:
        """Creates an empty table."""
        self._held: dict[str, _Held] = {}

    def __len__(self) -> int:
        """How many keys are held or waited for."""
        return len(self._held)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Holds ``key``'s lock for the block, after everyone who asked for it before."""
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = _Held()
        held.count += 1
        try:
            async with held.lock:
                yield
        finally:
            held.count -= 1
            if held.count == 0 and self._held.get(key) is held:
                del self._held[key]


class BackgroundTasks:
    """Keeps references to fire-and-forget tasks so they are not garbage-collected mid-run."""

    def __init__(self) -> None:
        """Creates an empty task set."""
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Schedules ``coro`` and logs (without content) if it fails.

        Args:
            coro: The coroutine to run.
            name: A task name for logs (must not contain personal data).

        Returns:
            The task.
        """
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.error("Background task %s failed: %s", name,
                             type(t.exception()).__name__)

        task.add_done_callback(done)
        return task

    async def join(self) -> None:
        """Waits for every pending task (tests, graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def channel_parts(config: Any, label: str, missing: str) -> tuple[Any, ChannelStore | None]:
    """The (config, store) a channel starts with; (None, None) leaves it disabled.

    A channel never stops Rasa from starting: missing credentials or an unreachable case store
    disable just that channel, with one log line naming the reason (never a credential).

    Args:
        config: The parsed channel config, or None when credentials are missing or invalid.
        label: The channel's name in log lines ("Twilio", "Telegram").
        missing: What is missing when `config` is None, for the log line.
    """
    if config is None:
        logger.warning("%s channel disabled: %s", label, missing)
        return None, None
    try:
        return config, ServiceChannelStore.from_env()
    except Exception as exc:  # the channel must not stop Rasa from starting
        logger.error("%s channel disabled: case store unavailable (%s)", label, type(exc).__name__)
        return None, None
