"""Admission control: how many messages this Rasa process works on at once, across channels.

Under a surge (50 people writing at once) Rasa would otherwise start every message's turn at the
same time. Each turn is mostly CPU work on Rasa's one event loop (NLU, policies, serialising the
tracker for the action server), so starting more turns than there are cores makes no turn finish
sooner; it only lengthens the queue of ready work in front of everything else on that loop —
Twilio and Telegram webhook acknowledgements, socket.io pings, health checks. Twilio retries a
webhook that is not answered within 15 s, and a slow health check restarts a healthy pod.

So every channel hands its messages to the bot through :func:`bounded`: at most
``TURN_CONCURRENCY`` turns (default 8) run at once. Eight keeps both cores busy while some turns
wait on the action server. Measured with `make bench` (docs/benchmark.md): Twilio
acknowledgement p99 under 50 concurrent reports 1,011 ms without the bound, 160 ms with 4,
266 ms with 8; throughput within the run-to-run noise (8.3–10.5 turns/s).

Fairness: the conversation's place first, then a shared slot
-----------------------------------------------------------
A message first takes its place in its own conversation's queue (a FIFO lock per sender id) and
only the head of each conversation's queue competes for the shared slots (asyncio's semaphore is
FIFO too). Taking the shared slot first let one sender's flood fill the shared queue: 200 queued
messages from one sender delayed another person's first reply by 189 s, because Rasa handles
one conversation's messages one after another anyway (its lock store), so the flood held slots
while waiting on itself. Now a flood costs the others at most one turn per flooding
conversation. Nothing is reordered within a conversation.

Each conversation may have at most ``CONVERSATION_QUEUE_CAP`` messages (default 10) admitted at
once (running or waiting). A message beyond that is not queued: the person is told, in their
language, that their last message could not be taken and to send it again after the reply
(``utter_busy`` through :func:`set_refusal`; rendered once while the queue stays full). Nothing is
dropped without telling them.

Why not a library: what is bounded is one coroutine call per message inside Rasa's own Sanic
app; an ``asyncio.Semaphore`` and ``asyncio.Lock`` are the library (the standard one).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import validator

from bot.settings import EnvSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_TURN_CONCURRENCY = 8
DEFAULT_CONVERSATION_QUEUE_CAP = 10
#: Domain response sent for a message refused because its conversation's queue is full.
BUSY_RESPONSE = "utter_busy"

#: Renders a response for a message outside any turn (nothing stored): ``(message, name) ->
#: response dict`` or None. Installed by bot/reliability when Rasa loads the model.
Refusal = Callable[[Any, str], Awaitable[dict[str, Any] | None]]
#: Said when no renderer is installed yet (a flood before this process's first turn) or the
#: response is missing.
FALLBACK_BUSY_TEXT = ("I am still answering your earlier messages. I could not take your last "
                      "one: please send it again after my reply.")


@dataclass
class _Conversation:
    """One conversation's place in the queue: a FIFO lock and how many messages it holds."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    admitted: int = 0  # running or waiting; an explicit count, not asyncio's private _waiters
    busy_reply: asyncio.Task[dict[str, Any] | None] | None = None


@dataclass
class _LoopState:
    """Admission state of one event loop."""

    limit: int
    semaphore: asyncio.Semaphore
    conversations: dict[str, _Conversation] = field(default_factory=dict)


# One per event loop (tests run several loops in one process), dropped with its loop.
_states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
    weakref.WeakKeyDictionary()
)
_refusal: list[Refusal] = []


def set_refusal(render: Refusal | None) -> None:
    """Installs (or removes, with None) the renderer of refusal replies."""
    _refusal.clear()
    if render is not None:
        _refusal.append(render)


#: The largest values taken (a larger one is lowered to it).
MAX_TURN_CONCURRENCY = 256
MAX_CONVERSATION_QUEUE_CAP = 1000


class _AdmissionEnv(EnvSettings):
    """The variables of :class:`AdmissionSettings` (documented there and in ``.env.example``)."""

    TURN_CONCURRENCY: int = DEFAULT_TURN_CONCURRENCY
    CONVERSATION_QUEUE_CAP: int = DEFAULT_CONVERSATION_QUEUE_CAP

    @validator("TURN_CONCURRENCY", "CONVERSATION_QUEUE_CAP", pre=True)
    def _whole_number_or_default(cls, value: Any, field: Any) -> Any:  # noqa: N805 - pydantic
        """A value that is not a whole number gives the default: a typo in the bound never stops
        the channels from starting."""
        try:
            return int(str(value))
        except ValueError:
            return field.default


@dataclass(frozen=True)
class AdmissionSettings:
    """How many turns run at once and how many messages one conversation may have admitted.

    Attributes:
        turn_concurrency: ``TURN_CONCURRENCY`` (default 8, at most 256); 0 or less turns the
            bound off (0).
        conversation_queue_cap: ``CONVERSATION_QUEUE_CAP`` (default 10, at most 1000); 0 or less
            gives the default (a cap is always on).
    """

    turn_concurrency: int = DEFAULT_TURN_CONCURRENCY
    conversation_queue_cap: int = DEFAULT_CONVERSATION_QUEUE_CAP

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AdmissionSettings:
        """The settings from ``environ`` (``os.environ`` when omitted); never raises."""
        env = _AdmissionEnv.read(environ)
        turns, cap = env.TURN_CONCURRENCY, env.CONVERSATION_QUEUE_CAP
        return cls(
            turn_concurrency=0 if turns <= 0 else min(turns, MAX_TURN_CONCURRENCY),
            conversation_queue_cap=(
                DEFAULT_CONVERSATION_QUEUE_CAP if cap <= 0 else min(cap, MAX_CONVERSATION_QUEUE_CAP)
            ),
        )


def turn_concurrency() -> int:
    """``TURN_CONCURRENCY`` from the environment (1 to 256; default 8); 0 turns the bound off."""
    return AdmissionSettings.from_env().turn_concurrency


def conversation_queue_cap() -> int:
    """``CONVERSATION_QUEUE_CAP`` (1 to 1000; default 10): messages one conversation may have
    admitted at once. 0 or less falls back to the default (a cap is always on)."""
    return AdmissionSettings.from_env().conversation_queue_cap


def _state(limit: int) -> _LoopState:
    loop = asyncio.get_running_loop()
    known = _states.get(loop)
    if known is None or known.limit != limit:
        known = _states[loop] = _LoopState(limit, asyncio.Semaphore(limit))
    return known


def _sender(message: Any) -> str | None:
    sender = getattr(message, "sender_id", None)
    return sender if isinstance(sender, str) and sender else None


async def _render_busy(message: Any) -> dict[str, Any] | None:
    if not _refusal:
        return {"text": FALLBACK_BUSY_TEXT}
    try:
        return await _refusal[0](message, BUSY_RESPONSE) or {"text": FALLBACK_BUSY_TEXT}
    except Exception as exc:  # a refusal must never fail the channel; never log content
        logger.error("Could not render the busy reply: %s", type(exc).__name__)
        return {"text": FALLBACK_BUSY_TEXT}


async def _refuse(conversation: _Conversation, message: Any) -> None:
    """Tells the person their message was not taken (the reply is rendered once per episode)."""
    if conversation.busy_reply is None:
        conversation.busy_reply = asyncio.ensure_future(_render_busy(message))
    draft = await conversation.busy_reply
    output = getattr(message, "output_channel", None)
    if draft and output is not None:
        try:
            await output.send_response(message.sender_id, dict(draft))
        except Exception as exc:  # never log content
            logger.error("Could not send the busy reply: %s", type(exc).__name__)


def bounded(handler: Callable[[Any], Awaitable[T]]) -> Callable[[Any], Awaitable[T | None]]:
    """Wraps a channel's ``on_new_message``: the conversation's place, then a shared slot."""
    limit = turn_concurrency()
    if not limit:
        return handler
    cap = conversation_queue_cap()

    async def run(message: Any) -> T | None:
        state = _state(limit)
        sender = _sender(message)
        if sender is None:  # no conversation to queue in: only the shared bound
            async with state.semaphore:
                return await handler(message)
        conversation = state.conversations.get(sender)
        if conversation is None:
            conversation = state.conversations[sender] = _Conversation()
        if conversation.admitted >= cap:
            logger.warning("A conversation's queue is full (%s messages); one refused", cap)
            await _refuse(conversation, message)
            return None
        conversation.admitted += 1
        try:
            async with conversation.lock:
                async with state.semaphore:
                    return await handler(message)
        finally:
            conversation.admitted -= 1
            if conversation.admitted < cap:
                conversation.busy_reply = None
            if conversation.admitted == 0 and state.conversations.get(sender) is conversation:
                del state.conversations[sender]

    return run
