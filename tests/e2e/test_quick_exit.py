""""Exit quickly" leaves no trace of the conversation on the server within a minute.

The real stack: a person talks to the bot over socket.io as the widget does (greeting, a button,
a description), has an unsent evidence file and a place in the operator queue, and an earlier
report already sent from the same chat. The widget's beacon (``POST /webhooks/socketio/erase``)
is sent while one more message is still being handled. Then: no tracker event of the
conversation (the unsent answers were only there), no queue entry, no loose evidence (row or
file) — while the report already sent and its evidence stay. Invented data only.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import sqlite3
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
import socketio
from sqlalchemy import select

from bot.handoff import live
from bot.settings import Settings
from bot.store import service
from bot.store.handoff_models import HandoffRequest
from bot.store.models import Evidence
from tests.bot.store.drafts import make_draft
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

DESCRIPTION = "Invented: a man shouted at me at the bus stop on Example Road."
HINT = {"channel": "web", "language_hint": "en", "hint_source": "browser"}


class WidgetSocket:
    """Rasa's socket.io channel, spoken the way web/widget.js speaks it."""

    def __init__(self, stack: Stack) -> None:
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        confirmed: queue.Queue[str] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("session_confirm", confirmed.put)
        self.sio.on("bot_uttered", self.replies.put)
        self.sio.connect(stack.rasa_url, socketio_path="/socket.io", transports=["websocket"])
        self.sio.emit("session_request", {"session_id": None})
        self.session_id = confirmed.get(timeout=30)

    def send(self, message: str) -> None:
        self.sio.emit(
            "user_uttered",
            {"message": message, "session_id": self.session_id, "customData": HINT},
        )

    def say(self, message: str, until: str = "buttons") -> list[dict[str, Any]]:
        """Sends and collects replies until one has buttons (or, with until="any", the first)."""
        self.send(message)
        got = [self.replies.get(timeout=90)]
        while until == "buttons" and not got[-1].get("quick_replies"):
            got.append(self.replies.get(timeout=90))
        time.sleep(0.5)
        while not self.replies.empty():
            got.append(self.replies.get_nowait())
        return got


def tracker_events(stack: Stack, sender: str) -> int:
    with sqlite3.connect(stack.env["TRACKER_DB"]) as db:
        return int(db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])


def beacon(stack: Stack, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/socketio/erase",
        data=body,
        headers={"Content-Type": "text/plain;charset=UTF-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_quick_exit_leaves_no_trace_on_the_server_within_a_minute(stack: Stack) -> None:
    person = WidgetSocket(stack)
    sid = person.session_id
    greeting = person.say("/greet")
    assert "999" in " ".join(r.get("text") or "" for r in greeting)
    person.say('/inform{"choice":"victim"}', until="any")
    person.say(DESCRIPTION, until="any")
    assert tracker_events(stack, sid) > 0

    # What the case store holds about the chat: a report already sent (with the file uploaded
    # before it), a file uploaded since (not sent), and a place in the operator queue.
    settings = Settings.from_env(stack.env)
    sessions, keyring = stack.store()
    with stack.case_store().unit_of_work() as session:
        sent_file = service.add_evidence(session, keyring, settings, sid, "text/plain", b"invented 1")
        reference = service.submit_report(
            session, keyring, make_draft(conversation_key=sid, channel="socketio"),
            submission_key=uuid.uuid4().hex,
        ).reference
    with stack.case_store().unit_of_work() as session:
        loose_file = service.add_evidence(session, keyring, settings, sid, "text/plain", b"invented 2")
        loose_name = session.scalar(select(Evidence.stored_name).where(Evidence.id == loose_file))
        live.enqueue(
            session, conversation_id=sid, channel="socketio", language="en",
            now=dt.datetime.now(dt.timezone.utc),
        )
    assert (settings.evidence_dir / loose_name).exists()

    # One more message on its way, and the person leaves: the beacon, then the socket closes.
    person.send("Invented: and he followed me to the shop.")
    status, body = beacon(stack, json.dumps({"session_id": sid}).encode())
    person.sio.disconnect()
    assert (status, body) == (204, b"")
    # The same answer for a conversation that never existed, and for a repeat.
    assert beacon(stack, json.dumps({"session_id": uuid.uuid4().hex}).encode()) == (204, b"")
    assert beacon(stack, json.dumps({"session_id": sid}).encode()) == (204, b"")

    def traces() -> dict[str, int]:
        with sessions() as session:
            return {
                "tracker_events": tracker_events(stack, sid),
                "queue": len(list(session.scalars(
                    select(HandoffRequest.id).where(HandoffRequest.conversation_id == sid)
                ))),
                "loose_evidence": len(list(session.scalars(
                    select(Evidence.id).where(
                        Evidence.conversation_key == sid, Evidence.case_id.is_(None)
                    )
                ))),
                "loose_file": int((settings.evidence_dir / loose_name).exists()),
            }

    nothing = {"tracker_events": 0, "queue": 0, "loose_evidence": 0, "loose_file": 0}
    deadline = time.monotonic() + 60
    while traces() != nothing and time.monotonic() < deadline:
        time.sleep(1)
    assert traces() == nothing
    time.sleep(12)  # past the message in flight and the first sweep: nothing came back
    assert traces() == nothing

    with sessions() as session:
        case = service.get_case(session, keyring, reference)
        kept = session.scalar(select(Evidence.case_id).where(Evidence.id == sent_file))
    assert case is not None and kept is not None  # the report already sent is the case: it stays
    logs = stack.log_text()
    assert DESCRIPTION not in logs


def test_an_oversized_or_malformed_erase_request_erases_nothing(stack: Stack) -> None:
    person = WidgetSocket(stack)
    person.say("/greet")
    before = tracker_events(stack, person.session_id)
    assert before > 0
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/socketio/erase",
        data=json.dumps({"session_id": person.session_id, "pad": "x" * 4000}).encode(),
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413
    assert beacon(stack, b"session_id=" + person.session_id.encode()) == (204, b"")
    time.sleep(2)
    assert tracker_events(stack, person.session_id) == before
    person.sio.disconnect()



MONDAY_10 = "2025-03-10T10:00:00+00:00"


@pytest.fixture(scope="module")
def in_hours(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A stack in opening hours (fake clock) with one operator online; no web service needed."""
    from bot.handoff.accounts import create_user
    from tests.e2e.conftest import start_stack

    running = start_stack(
        tmp_path_factory.mktemp("queue-stack"),
        {"ALLOW_FAKE_CLOCK": "1", "HOURS_NOW": MONDAY_10, "HANDOFF_ONLINE_SECONDS": "86400"},
        service=False,
    )
    with running.case_store().unit_of_work() as session:
        user = create_user(
            session, email="op@example.org", password="an e2e operator password", role="operator"
        )
        live.heartbeat(session, user.id, now=dt.datetime.fromisoformat(MONDAY_10))
    try:
        yield running
    finally:
        for name in list(running.procs):
            running.stop(name)


def _queued(stack: Stack, sender: str) -> list[str]:
    sessions, _keyring = stack.store()
    with sessions() as session:
        return [
            r.status
            for r in session.scalars(
                select(HandoffRequest).where(HandoffRequest.conversation_id == sender)
            )
        ]


def test_back_to_the_assistant_and_exit_take_the_person_out_of_the_queue(in_hours: Stack) -> None:
    from tests.e2e.conftest import RestChat
    from tests.e2e.test_handoff import _start_report

    # In a report: queued at a question, then "Back to the assistant".
    chat = RestChat(in_hours, f"e2e-{uuid.uuid4().hex[:12]}")
    _start_report(chat)
    chat.say("about two weeks ago")
    assert "number 1 in the queue" in chat.text(chat.say("talk to a person"))
    assert _queued(in_hours, chat.sender) == ["waiting"]
    chat.choose("leave_queue")
    assert _queued(in_hours, chat.sender) == ["left"]

    # Outside a report: the first thing said is "a person", then "Back to the assistant".
    outside = RestChat(in_hours, f"e2e-{uuid.uuid4().hex[:12]}")
    assert "number 1 in the queue" in outside.text(outside.say("I want to talk to a person"))
    assert _queued(in_hours, outside.sender) == ["waiting"]
    back = outside.choose("leave_queue")
    assert _queued(in_hours, outside.sender) == ["left"]
    assert outside.payloads(back)  # the report starts: never a dead end

    # Queued, then a typed "exit": erased, and no operator can accept it any more.
    leaving = RestChat(in_hours, f"e2e-{uuid.uuid4().hex[:12]}")
    _start_report(leaving)
    leaving.say("about two weeks ago")
    leaving.say("talk to a person")
    assert _queued(in_hours, leaving.sender) == ["waiting"]
    leaving.say("exit")
    assert _queued(in_hours, leaving.sender) == []
    assert tracker_events(in_hours, leaving.sender) == 0
