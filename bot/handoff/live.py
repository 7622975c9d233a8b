"""The live-chat queue: joining, places, leaving, accepting, ending, timing out.

The action server calls :func:`operators_online` and :func:`enqueue` directly on the case store
(no HTTP); the web service's console accepts and ends chats. State changes that two processes may
race on (two operators accepting the same chat) are single conditional UPDATEs. Nothing here
commits: the caller's unit of work (:meth:`bot.store.uow.Store.unit_of_work`) does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.handoff.accounts import audit
from bot.store.handoff_models import ConsoleUser, HandoffRequest

logger = logging.getLogger(__name__)

#: An operator counts as online while their console heartbeat is younger than this
#: (``HANDOFF_ONLINE_SECONDS`` overrides it; see :func:`online_window`).
ONLINE_WINDOW = dt.timedelta(seconds=60)
OPEN_STATUSES = ("waiting", "active")


@dataclass(frozen=True)
class QueuePlace:
    """A conversation's live-chat request and its place (1 = next)."""

    request_id: int
    position: int
    status: str


def online_window(environ: Mapping[str, str] | None = None) -> dt.timedelta:
    """How long a heartbeat keeps an operator online (``HANDOFF_ONLINE_SECONDS``, default 60)."""
    env = os.environ if environ is None else environ
    try:
        seconds = float(env.get("HANDOFF_ONLINE_SECONDS", "").strip() or 0)
    except ValueError:
        seconds = 0
    return dt.timedelta(seconds=seconds) if seconds > 0 else ONLINE_WINDOW


def _online_operators(session: Session, now: dt.datetime) -> list[ConsoleUser]:
    return list(
        session.scalars(
            select(ConsoleUser).where(
                ConsoleUser.role.in_(("operator", "admin")),
                ConsoleUser.active.is_(True),
                ConsoleUser.available.is_(True),
                ConsoleUser.last_seen_at >= now - online_window(),
            )
        )
    )


def operators_online(session: Session, *, now: dt.datetime) -> int:
    """How many operators are online and taking live chats now."""
    return len(_online_operators(session, now))


def interpreter_needed(session: Session, language: str, *, now: dt.datetime) -> bool:
    """True when no online operator lists the person's language (English is always covered)."""
    if language == "en":
        return False
    return not any(language in (op.languages or []) for op in _online_operators(session, now))


def heartbeat(session: Session, user_id: int, *, now: dt.datetime, online: bool = True) -> None:
    """Marks an operator's console as connected (or, with ``online=False``, gone)."""
    session.execute(
        update(ConsoleUser)
        .where(ConsoleUser.id == user_id)
        .values(last_seen_at=now if online else None)
    )


def set_available(session: Session, user_id: int, available: bool) -> None:
    """An operator's own "taking live chats" switch."""
    session.execute(
        update(ConsoleUser).where(ConsoleUser.id == user_id).values(available=available)
    )


def _position(session: Session, request: HandoffRequest) -> int:
    if request.status != "waiting":
        return 0
    ahead = session.scalar(
        select(func.count(HandoffRequest.id)).where(
            HandoffRequest.status == "waiting", HandoffRequest.id < request.id
        )
    )
    return int(ahead or 0) + 1


def open_request(session: Session, conversation_id: str) -> HandoffRequest | None:
    """The conversation's waiting or active request, if any."""
    return session.scalar(
        select(HandoffRequest)
        .where(
            HandoffRequest.conversation_id == conversation_id,
            HandoffRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(HandoffRequest.id.desc())
    )


def enqueue(
    session: Session,
    *,
    conversation_id: str,
    channel: str,
    language: str,
    now: dt.datetime,
    resume_state: dict[str, str] | None = None,
    interpreter: bool = False,
) -> QueuePlace:
    """Puts a conversation in the live queue (once; asking again gives the same place).

    Args:
        session: A fresh session.
        conversation_id: Rasa's sender id (a pseudonym on our channels).
        channel: The input channel name (for replies).
        language: The person's language code.
        now: The current time.
        resume_state: Where the report was (the requested slot name), no answers.
        interpreter: The person asked for someone in their own language or an interpreter: the
            operator sees "interpreter needed" whoever is online.

    Returns:
        The request and its place in the queue.
    """
    existing = open_request(session, conversation_id)
    if existing is not None:
        if interpreter and not existing.interpreter_needed:
            existing.interpreter_needed = True
        return QueuePlace(existing.id, _position(session, existing), existing.status)
    request = HandoffRequest(
        conversation_id=conversation_id,
        channel=channel,
        language=language,
        interpreter_needed=interpreter or interpreter_needed(session, language, now=now),
        status="waiting",
        created_at=now,
        resume_state=resume_state,
    )
    session.add(request)
    session.flush()  # its id is the queue place and the chat's id
    logger.info("Live chat request %d queued (language %s)", request.id, language)
    return QueuePlace(request.id, _position(session, request), "waiting")


def place_of(session: Session, conversation_id: str) -> QueuePlace | None:
    """The conversation's current place, or None when it is not queued."""
    request = open_request(session, conversation_id)
    if request is None:
        return None
    return QueuePlace(request.id, _position(session, request), request.status)


def leave(session: Session, conversation_id: str, *, now: dt.datetime) -> bool:
    """The person went back to the assistant before anyone accepted. True if they were waiting."""
    result = session.execute(
        update(HandoffRequest)
        .where(
            HandoffRequest.conversation_id == conversation_id, HandoffRequest.status == "waiting"
        )
        .values(status="left", ended_at=now)
    )
    return bool(result.rowcount)


def forget(session: Session, conversation_id: str) -> int:
    """The person erased the conversation: every live-chat request of it goes (waiting, active or
    ended), so no operator can accept it and the console lists it no more. Returns how many.

    Deleting (rather than a status) leaves no row naming the conversation; an operator holding the
    chat finds it "no longer active" and the console's next queue push drops it.
    """
    result = session.execute(
        delete(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id)
    )
    count = int(result.rowcount or 0)
    if count:
        logger.info("Live chat request(s) of an erased conversation removed (%d)", count)
    return count


def accept(session: Session, request_id: int, operator_id: int, *, now: dt.datetime) -> bool:
    """An operator takes a waiting chat; False if it is no longer waiting (someone else took it)."""
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == request_id, HandoffRequest.status == "waiting")
        .values(status="active", operator_id=operator_id, accepted_at=now)
    )
    return bool(result.rowcount)


def finish(session: Session, request_id: int, status: str, *, now: dt.datetime) -> bool:
    """Ends an active chat as ``returned`` (to the bot) or ``closed``; False if not active."""
    if status not in ("returned", "closed"):
        raise ValueError("status must be returned or closed")
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == request_id, HandoffRequest.status == "active")
        .values(status=status, ended_at=now)
    )
    return bool(result.rowcount)


def expire_waiting(
    session: Session, *, now: dt.datetime, timeout: dt.timedelta
) -> list[HandoffRequest]:
    """Marks chats nobody accepted within ``timeout`` as timed out and returns them."""
    stale = list(
        session.scalars(
            select(HandoffRequest).where(
                HandoffRequest.status == "waiting", HandoffRequest.created_at < now - timeout
            )
        )
    )
    expired = []
    for request in stale:
        result = session.execute(
            update(HandoffRequest)
            .where(HandoffRequest.id == request.id, HandoffRequest.status == "waiting")
            .values(status="timed_out", ended_at=now)
        )
        if result.rowcount:
            expired.append(request)
    return expired


def get_request(session: Session, request_id: int) -> HandoffRequest | None:
    """One request by id."""
    return session.get(HandoffRequest, request_id)


def mark_interpreter_arranged(
    session: Session, request_id: int, operator_id: int, *, now: dt.datetime
) -> bool:
    """An operator records that an interpreter is arranged for a waiting or active chat (audited
    in the same transaction). False when the chat is no longer open; marking twice keeps the
    first time."""
    result = session.execute(
        update(HandoffRequest)
        .where(
            HandoffRequest.id == request_id,
            HandoffRequest.status.in_(OPEN_STATUSES),
            HandoffRequest.interpreter_arranged_at.is_(None),
        )
        .values(interpreter_arranged_at=now)
    )
    if not result.rowcount:  # nothing changed: closed, unknown, or marked before
        request = session.get(HandoffRequest, request_id)
        return request is not None and request.status in OPEN_STATUSES
    audit(session, operator_id, "live.interpreter_arranged", f"chat-{request_id}", now=now)
    return True
