"""A live chat through the console against a fake Rasa: queue, accept (pause), both directions,
hand back (resume + re-ask), and the time-out that gives the conversation back to the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.handoff import live
from tests.service.console.conftest import MakeConsole, console_state, login

CID = "web-sid-0001"


async def _queue_request(session_factory: Any, users: Any, language: str = "zh-Hant") -> int:
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        live.heartbeat(session, users["op"].id, now=now)
        return live.enqueue(
            session, conversation_id=CID, channel="socketio", language=language, now=now
        ).request_id


async def test_operator_accepts_chats_both_ways_and_hands_back(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users)
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    origin = str(client.make_url("")).rstrip("/")
    ws = await client.ws_connect("/api/live/ws", headers={"Origin": origin})
    queued = await ws.receive_json(timeout=5)
    assert (
        queued["live"][0]["language"] == "zh-Hant"
        and queued["live"][0]["interpreter_needed"] is False
    )

    await ws.send_json({"type": "accept", "id": request_id, "csrf_token": csrf})
    while (message := await ws.receive_json(timeout=5))["type"] != "ok":
        pass
    assert fake.paused(CID)
    assert (CID, "utter_handoff_connected", None) in fake.executed

    fake.person_says(CID, "Invented: can someone help me?")
    await console_state(client).hub.tick()
    while (message := await ws.receive_json(timeout=5))["type"] != "line":
        pass
    assert message["sender"] == "person" and message["text"] == "Invented: can someone help me?"

    await ws.send_json(
        {"type": "reply", "id": request_id, "text": "Hello, I am here.", "csrf_token": csrf}
    )
    while (message := await ws.receive_json(timeout=5))["type"] != "ok":
        pass
    assert (CID, "utter_operator_message", "Hello, I am here.") in fake.executed

    await ws.send_json({"type": "handback", "id": request_id, "csrf_token": csrf})
    while (message := await ws.receive_json(timeout=5))["type"] != "ok":
        pass
    assert not fake.paused(CID)
    assert fake.executed[-1][1] == "action_handoff_returned"
    with session_factory() as session:
        assert live.get_request(session, request_id).status == "returned"
    await ws.close()


async def test_websocket_actions_need_the_csrf_token(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    request_id = await _queue_request(session_factory, users)
    client = await make_console()
    await login(client, "operator@example.org")
    ws = await client.ws_connect(
        "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    await ws.receive_json(timeout=5)
    await ws.send_json({"type": "accept", "id": request_id})
    assert (await ws.receive_json(timeout=5))["type"] == "error"
    assert not fake_rasa[0].paused(CID)
    await ws.close()


async def test_caseworker_cannot_take_live_chats(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    request_id = await _queue_request(session_factory, users)
    client = await make_console()
    csrf = await login(client, "cw@lotus.example.org")
    response = await client.post(
        f"/api/live/{request_id}/accept", json={}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 403


async def test_nobody_accepts_in_time_the_bot_offers_a_callback(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    fake, _server = fake_rasa
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    with session_factory() as session:
        request_id = live.enqueue(
            session, conversation_id=CID, channel="socketio", language="en", now=old
        ).request_id
    client = await make_console(handoff_wait=dt.timedelta(minutes=5))
    await login(client, "operator@example.org")
    await console_state(client).hub.tick()
    assert (CID, "utter_handoff_timeout", None) in fake.executed
    with session_factory() as session:
        assert live.get_request(session, request_id).status == "timed_out"


async def test_a_line_sent_while_the_operator_has_no_socket_is_pushed_once_one_opens(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    """Accepting navigates to the live page, so for a moment the operator has no socket: a line
    the person sends then must not be marked seen and lost (the flaky browser test's cause)."""
    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users)
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    response = await client.post(
        f"/api/live/{request_id}/accept", json={}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 200
    fake.person_says(CID, "Invented: hello, anyone?")
    await console_state(client).hub.tick()  # nobody to push to: held back

    ws = await client.ws_connect(
        "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    await console_state(client).hub.tick()
    message = await asyncio.wait_for(_next_line(ws), timeout=5)
    assert message["sender"] == "person" and message["text"] == "Invented: hello, anyone?"
    await ws.close()


async def _next_line(ws: Any) -> dict[str, Any]:
    while (message := await ws.receive_json())["type"] != "line":
        pass
    return message
