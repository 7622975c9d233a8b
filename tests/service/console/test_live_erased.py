"""The console never lists, and no operator can take, a chat the person left or erased."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.handoff import live
from bot.privacy.erasure import erase_unsent
from tests.service.console.conftest import MakeConsole, console_state, login

CID = "web-sid-erased-01"


def _queue(session_factory: Any, users: Any, cid: str = CID) -> int:
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        live.heartbeat(session, users["op"].id, now=now)
        return live.enqueue(
            session, conversation_id=cid, channel="socketio", language="en", now=now
        ).request_id


async def _queue_push(ws: Any) -> list[dict[str, Any]]:
    while (message := await ws.receive_json(timeout=5))["type"] != "queue":
        pass
    return list(message["live"])


async def test_an_erased_waiting_chat_leaves_every_console_and_cannot_be_accepted(
    make_console: MakeConsole, users: Any, session_factory: Any, temp_store: Any
) -> None:
    request_id = _queue(session_factory, users)
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    origin = str(client.make_url("")).rstrip("/")
    ws = await client.ws_connect("/api/live/ws", headers={"Origin": origin})
    assert [item["id"] for item in await _queue_push(ws)] == [request_id]

    assert erase_unsent(temp_store, CID)["live_requests"] == 1
    await console_state(client).hub.tick()
    assert await _queue_push(ws) == []

    await ws.send_json({"type": "accept", "id": request_id, "csrf_token": csrf})
    assert (await ws.receive_json(timeout=5))["type"] == "error"
    with session_factory() as session:
        assert live.get_request(session, request_id) is None
    await ws.close()


async def test_an_erased_active_chat_is_dropped_and_the_operator_cannot_write_to_it(
    make_console: MakeConsole, users: Any, session_factory: Any, temp_store: Any,
    fake_rasa: Any,
) -> None:
    request_id = _queue(session_factory, users)
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    origin = str(client.make_url("")).rstrip("/")
    ws = await client.ws_connect("/api/live/ws", headers={"Origin": origin})
    await _queue_push(ws)
    await ws.send_json({"type": "accept", "id": request_id, "csrf_token": csrf})
    while (await ws.receive_json(timeout=5))["type"] != "ok":
        pass
    hub = console_state(client).hub
    assert request_id in hub._seen

    erase_unsent(temp_store, CID)
    await hub.tick()
    while (message := await ws.receive_json(timeout=5))["type"] != "queue" or message["live"]:
        pass
    assert request_id not in hub._seen
    await ws.send_json(
        {"type": "reply", "id": request_id, "text": "Invented: hello?", "csrf_token": csrf}
    )
    assert (await ws.receive_json(timeout=5))["type"] == "error"
    assert not [e for e in fake_rasa[0].executed if e[2] == "Invented: hello?"]
    await ws.close()


async def test_a_chat_the_person_left_is_not_listed(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    request_id = _queue(session_factory, users)
    client = await make_console()
    await login(client, "operator@example.org")
    origin = str(client.make_url("")).rstrip("/")
    ws = await client.ws_connect("/api/live/ws", headers={"Origin": origin})
    assert [item["id"] for item in await _queue_push(ws)] == [request_id]
    with session_factory() as session:
        assert live.leave(session, CID, now=dt.datetime.now(dt.timezone.utc))
    await console_state(client).hub.tick()
    assert await _queue_push(ws) == []
    await ws.close()


def test_erasing_a_conversation_ends_its_my_report_grant(
    session_factory: Any, temp_store: Any, keyring: Any
) -> None:
    from bot.store import person
    from tests.service.console.cases import add_case

    reference = add_case(session_factory, keyring, "conversation-with-a-grant")
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        person.grant_access(session, keyring, CID, reference, now=now)
        assert person.granted_reference(session, keyring, CID, now=now) == reference
    assert erase_unsent(temp_store, CID)["access_grants"] == 1
    later = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        assert person.granted_reference(session, keyring, CID, now=later) is None
