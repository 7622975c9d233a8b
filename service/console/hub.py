"""Live chats in the console: operator sockets, the polling loop, and the handoff steps.

One background task per application: every ``poll_interval`` it keeps connected operators marked
online, times out chats nobody accepted (the bot offers a callback), pushes the queue to every
operator socket when it changes, and forwards the person's new messages of each active chat to
its operator. Person → operator comes from a :class:`bot.handoff.rasa.Transcript` (tracker polling
by default; an event-broker reader can replace it). Operator → person goes through Rasa
(:class:`bot.handoff.rasa.RasaClient`). Message text is forwarded, never logged.

Each handoff step's store work is one unit of work with its audit row (``ConsoleState.audited``):
accepting a chat and its ``live.accept`` row are committed together, or neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time
from collections import defaultdict
from typing import Any

from aiohttp import web

from bot import labels
from bot.handoff import canned, live
from bot.handoff import responses as said
from bot.handoff.accounts import User
from bot.handoff.caselist import CHANNEL_NAMES, language_name
from bot.handoff.queue import live_queue
from bot.handoff.rasa import Line, RasaError
from bot.store.audit import Audit
from service.console.state import ConsoleState

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 20.0
MAX_REPLY_CHARS = 2000


class HandoffError(Exception):
    """A handoff step was refused; the message is safe to show to the operator."""


class Hub:
    """Operator sockets and the live-chat loop of one application."""

    def __init__(self, state: ConsoleState) -> None:
        """Args: state: the console state (store, Rasa client, transcript source)."""
        self.state = state
        self.sockets: dict[int, set[web.WebSocketResponse]] = defaultdict(set)
        self._last_queue: Any = None
        self._seen: dict[int, float] = {}
        # Tracker times (real time): the person's latest line of each active chat, and when its
        # operator last had that chat's page open in view. Newer person line = "new message".
        self._person_at: dict[int, float] = {}
        self._looked: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    # -- sockets --------------------------------------------------------------------------------

    async def connect(self, user: User, ws: web.WebSocketResponse) -> None:
        """Registers an operator socket and marks the operator online."""
        self.sockets[user.id].add(ws)
        if user.role in ("operator", "admin"):
            now = self.state.now()
            await self.state.run(lambda s: live.heartbeat(s, user.id, now=now))
            await ws.send_json({"type": "queue", "live": await self._queue()})

    async def disconnect(self, user: User, ws: web.WebSocketResponse) -> None:
        """Forgets a socket; the operator is offline when their last socket closes."""
        self.sockets[user.id].discard(ws)
        if not self.sockets[user.id]:
            del self.sockets[user.id]
            now = self.state.now()
            await self.state.run(lambda s: live.heartbeat(s, user.id, now=now, online=False))

    async def _send(self, user_id: int, message: dict[str, Any]) -> int:
        """Sends to every socket the user has open; returns how many took the message."""
        delivered = 0
        for ws in list(self.sockets.get(user_id, ())):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(message)
                delivered += 1
        return delivered

    async def _broadcast(self, message: dict[str, Any]) -> None:
        for user_id in list(self.sockets):
            await self._send(user_id, message)

    async def _queue(self) -> list[dict[str, Any]]:
        """The live queue, each chat with its language's name and "new message" flag."""
        now = self.state.now()
        items = await self.state.run(lambda s: live_queue(s, now=now))
        for item in items:
            item["language_name"] = language_name(item["language"])
            item["channel_name"] = CHANNEL_NAMES.get(item["channel"], "Another channel")
            item["unread"] = item["status"] == "active" and self._person_at.get(
                item["id"], 0.0
            ) > self._looked.get(item["id"], 0.0)
        return items

    async def _push_queue(self, queue: list[dict[str, Any]] | None = None) -> None:
        """Pushes the queue to every operator when something they see changed (the waiting
        times count on in each browser, so they alone push nothing)."""
        queue = await self._queue() if queue is None else queue
        key = [{k: v for k, v in item.items() if k != "waiting_seconds"} for item in queue]
        if key != self._last_queue:
            self._last_queue = key
            await self._broadcast({"type": "queue", "live": queue})

    # -- the loop -------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the background loop."""
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stops the loop and closes every socket."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sockets in list(self.sockets.values()):
            for ws in list(sockets):
                await ws.close()

    async def _loop(self) -> None:
        # Beat well within the window in which a heartbeat counts (a short one in tests).
        every = min(HEARTBEAT_EVERY, live.online_window().total_seconds() / 3)
        since_heartbeat = every
        while True:
            if self.state.sessions is None:
                # The store opens on the console's first use: until an operator has logged in
                # nobody can take a chat, and building the app must not create database files.
                await asyncio.sleep(self.state.config.poll_interval)
                continue
            try:
                since_heartbeat += self.state.config.poll_interval
                if since_heartbeat >= every:
                    since_heartbeat = 0.0
                    await self._heartbeats()
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep serving; the next tick retries
                logger.exception("Live-chat loop iteration failed")
            await asyncio.sleep(self.state.config.poll_interval)

    async def _heartbeats(self) -> None:
        now = self.state.now()
        for user_id in list(self.sockets):
            await self.state.run(functools.partial(_beat, user_id=user_id, now=now))

    async def tick(self) -> None:
        """One round: time-outs, queue push, transcript forwarding."""
        now = self.state.now()
        wait = self.state.config.handoff_wait
        expired = await self.state.run(lambda s: live.expire_waiting(s, now=now, timeout=wait))
        for request in expired:
            await self._tell_person(request.conversation_id, said.TIMEOUT)
        queue = await self._queue()
        for item in queue:
            if item["status"] == "active":
                await self._forward(item["id"])
        await self._forget_gone({item["id"] for item in queue if item["status"] == "active"})
        # After forwarding: a line just read makes its chat "new message" in this same push.
        await self._push_queue()

    async def _forget_gone(self, active: set[int]) -> None:
        """Drops what the hub remembers of chats that ended or that the person erased (their
        requests are deleted: bot/handoff/live.py ``forget``); the queue push above has already
        taken them off every console."""
        for request_id in [r for r in self._seen if r not in active]:
            request = await self.state.run(functools.partial(_get_request, request_id=request_id))
            if request is None or request.status != "active":
                self._seen.pop(request_id, None)
                self._person_at.pop(request_id, None)
                self._looked.pop(request_id, None)

    async def _forward(self, request_id: int) -> None:
        request = await self.state.run(lambda s: live.get_request(s, request_id))
        if request is None or request.operator_id is None or self.state.transcript is None:
            return
        if not self.sockets.get(request.operator_id):
            # The operator is between pages (or offline): hold the lines back rather than mark
            # them seen, so they are pushed once a socket is open again. The live page also
            # re-reads the whole transcript whenever its socket opens.
            return
        after = self._seen.get(request_id, request.accepted_at.timestamp())
        try:
            lines = await self.state.transcript.lines(request.conversation_id, after=after)
        except (RasaError, OSError):
            logger.warning("Could not read the transcript of live chat %d", request_id)
            return
        for line in lines:
            if line.sender != "person":
                continue  # the operator's own lines are echoed when sent
            if not await self._send(request.operator_id, _line_message(request_id, line)):
                return  # the socket closed meanwhile: this line and later ones go next round
            self._seen[request_id] = line.at
            self._person_at[request_id] = max(self._person_at.get(request_id, 0.0), line.at)
        if lines:
            self._seen[request_id] = max(line.at for line in lines)

    async def _tell_person(self, conversation_id: str, response: str) -> None:
        if self.state.rasa is None:
            return
        try:
            await self.state.rasa.execute(conversation_id, response)
        except (RasaError, OSError):
            logger.warning("Could not send %s to a conversation", response)

    # -- handoff steps --------------------------------------------------------------------------

    async def accept(self, user: User, request_id: int) -> None:
        """The operator takes a waiting chat: the bot pauses and the person is told."""
        now = self.state.now()

        def take(session: Any) -> Any:
            if not live.accept(session, request_id, user.id, now=now):
                return None
            return live.get_request(session, request_id)

        request = await self.state.audited(
            lambda taken: _chat_audit(user, "live.accept", request_id) if taken else None,
            take,
            now=now,
        )
        if request is None:
            raise HandoffError("this chat is no longer waiting")
        # Tracker timestamps are real time, even when the fake clock moves opening hours.
        self._seen[request_id] = time.time()
        self._looked[request_id] = time.time()
        rasa = self._rasa()
        try:
            await rasa.pause(request.conversation_id)
            await rasa.execute(request.conversation_id, said.CONNECTED)
        except (RasaError, OSError) as exc:
            logger.warning("Pausing the bot for live chat %d failed", request_id)
            await self.state.run(lambda s: live.finish(s, request_id, "closed", now=now))
            with contextlib.suppress(RasaError, OSError):
                await rasa.resume(request.conversation_id)
            raise HandoffError("the assistant could not be paused; try again") from exc
        await self._push_queue()

    async def reply(self, user: User, request_id: int, text: str) -> None:
        """Sends the operator's words to the person (audited as ``live.reply``, never the text)."""
        text = (text or "").strip()
        if not text or len(text) > MAX_REPLY_CHARS:
            raise HandoffError(f"a reply must have 1 to {MAX_REPLY_CHARS} characters")
        request = await self._accepted_by(user, request_id)
        await self._deliver(user, request, text, "live.reply")

    async def canned(self, user: User, request_id: int, key: str) -> None:
        """Sends a canned reply in the person's language (audited as ``live.reply_canned`` with
        the key), through the same path as a typed reply."""
        if key not in canned.CANNED:
            raise HandoffError("no such prepared message")
        request = await self._accepted_by(user, request_id)
        text = canned.canned_text(key, request.language)
        english = canned.canned_text(key, "en")
        await self._deliver(
            user, request, text, "live.reply_canned", {"canned": key}, english=english
        )

    async def _deliver(
        self,
        user: User,
        request: Any,
        text: str,
        action: str,
        detail: dict[str, Any] | None = None,
        *,
        english: str | None = None,
    ) -> None:
        """Sends words to the person, audits the reply (the chat id, never the text) and echoes
        the line to the operator's pages."""
        request_id = int(request.id)
        try:
            await self._rasa().send_operator_message(request.conversation_id, text)
        except (RasaError, OSError) as exc:
            raise HandoffError("the message could not be delivered") from exc
        await self.state.audited(Audit(user.id, action, f"chat-{request_id}", detail))
        # ``_seen`` stays: a line the person sent just before this reply is still forwarded.
        at = time.time()
        # Replying means the operator has read what came before.
        self._looked[request_id] = at
        message = {"type": "line", "id": request_id, "sender": "operator", "text": text, "at": at}
        if english and english != text:
            message["english"] = english
        await self._send(user.id, message)
        await self._push_queue()

    async def seen(self, user: User, request_id: int) -> None:
        """The operator has the chat's page open in view: its new messages are read."""
        request = await self.state.run(lambda s: live.get_request(s, request_id))
        if request is None or request.operator_id != user.id:
            return
        self._looked[request_id] = time.time()
        await self._push_queue()

    async def interpreter_arranged(self, user: User, request_id: int) -> None:
        """Records that an interpreter is arranged for an open chat (audited with it)."""
        now = self.state.now()
        if not await self.state.run(
            lambda s: live.mark_interpreter_arranged(s, request_id, user.id, now=now)
        ):
            raise HandoffError("this chat is no longer open")
        await self._push_queue()

    async def end(self, user: User, request_id: int, how: str) -> None:
        """Hands the conversation back to the bot (``returned``) or closes the chat (``closed``).

        Either way the bot resumes: a person must never be left in a paused conversation that
        nobody answers. It then re-asks the report question that was open (nothing is lost: the
        form and its slots were never touched).
        """
        request = await self._own_active(user, request_id)
        now = self.state.now()
        if not await self.state.audited(
            lambda done: _chat_audit(user, f"live.{how}", request_id) if done else None,
            lambda s: live.finish(s, request_id, how, now=now),
            now=now,
        ):
            raise HandoffError("this chat is not active")
        rasa = self._rasa()
        try:
            if how == "closed":
                await rasa.execute(request.conversation_id, said.CLOSED)
            await rasa.resume(request.conversation_id)
            await rasa.execute(request.conversation_id, said.RETURNED_ACTION)
        except (RasaError, OSError) as exc:
            logger.warning("Resuming the bot after live chat %d failed", request_id)
            raise HandoffError("the assistant could not be resumed; try again") from exc
        self._seen.pop(request_id, None)
        await self._push_queue()

    async def transcript(self, user: User, request_id: int) -> list[dict[str, Any]]:
        """The conversation so far as the person saw it, for the operator who has (or may take)
        the chat; the operator's prepared messages carry their English beside them."""
        request = await self.state.run(lambda s: live.get_request(s, request_id))
        if request is None:
            raise HandoffError("no such chat")
        if request.operator_id not in (None, user.id) and user.role != "admin":
            raise HandoffError("another operator has this chat")
        await self.state.audited(_chat_audit(user, "live.view", request_id))
        if self.state.transcript is None:
            return []
        try:
            lines = await self.state.transcript.lines(request.conversation_id)
        except (RasaError, OSError) as exc:
            raise HandoffError("the transcript is not available") from exc
        if request.operator_id == user.id and request.status == "active":
            self._looked[request_id] = time.time()
        prepared = {
            canned.canned_text(key, request.language): canned.canned_text(key, "en")
            for key in canned.CANNED
        }
        messages = []
        for line in lines:
            message = _line_message(request_id, line)
            english = None
            if line.sender == "operator":
                english = prepared.get(line.text)
            elif line.sender == "bot":
                # The assistant's words in English beside them, and each button it offered.
                english = labels.english_of(line.text, request.language)
                if line.choices:
                    message["choices_english"] = [
                        labels.english_of(title, request.language) or "" for title in line.choices
                    ]
            if english and english != line.text:
                message["english"] = english
            messages.append(message)
        return messages

    async def _accepted_by(self, user: User, request_id: int) -> Any:
        """The chat, when this operator accepted it and it is still active (only they write)."""
        request = await self.state.run(lambda s: live.get_request(s, request_id))
        if request is None or request.status != "active":
            raise HandoffError("this chat is not active")
        if request.operator_id != user.id:
            raise HandoffError("only the operator who accepted this chat can write in it")
        return request

    async def _own_active(self, user: User, request_id: int) -> Any:
        request = await self.state.run(lambda s: live.get_request(s, request_id))
        if request is None or request.status != "active":
            raise HandoffError("this chat is not active")
        if request.operator_id != user.id and user.role != "admin":
            raise HandoffError("another operator has this chat")
        return request

    def _rasa(self) -> Any:
        if self.state.rasa is None:
            raise HandoffError("the assistant is not reachable")
        return self.state.rasa


def _chat_audit(user: User, action: str, request_id: int) -> Audit:
    """The audit row of a step on one live chat (its id, never its words)."""
    return Audit(user.id, action, f"chat-{request_id}")


def _get_request(session: Any, *, request_id: int) -> Any:
    return live.get_request(session, request_id)


def _beat(session: Any, *, user_id: int, now: dt.datetime) -> None:
    live.heartbeat(session, user_id, now=now)


def _line_message(request_id: int, line: Line) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "line",
        "id": request_id,
        "sender": line.sender,
        "text": line.text,
        "at": line.at,
    }
    if line.english and line.english != line.text:
        message["english"] = line.english
    if line.choices:
        message["choices"] = list(line.choices)
    return message
