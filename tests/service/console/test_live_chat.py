"""A live chat through the console against a fake Rasa: queue, accept (pause), both directions,
hand back (resume + re-ask), and the time-out that gives the conversation back to the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.handoff import live
from tests.service.console.conftest import MakeConsole, console_state, login, queue_live_chat

CID = "web-sid-0001"


async def _queue_request(session_factory: Any, users: Any, language: str = "zh-Hant") -> int:
    return queue_live_chat(session_factory, users, language, CID)


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


# -- the chat's state, refused steps, audited replies, prepared messages, interpreter ------------


async def _post(client: Any, csrf: str, request_id: int, action: str, **body: Any) -> Any:
    return await client.post(
        f"/api/live/{request_id}/{action}", json=body, headers={"X-CSRF-Token": csrf}
    )


async def _chat(client: Any, request_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/live/{request_id}")
    assert response.status == 200
    return dict(await response.json())


def _audit_rows(session_factory: Any) -> list[Any]:
    from sqlalchemy import select

    from bot.store.handoff_models import AuditEntry

    with session_factory() as session:
        return [
            (r.user_id, r.action, r.subject, r.detail)
            for r in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


async def test_a_chat_goes_waiting_accepted_handed_back_and_refuses_steps_out_of_turn(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users, language="vi")
    client = await make_console()
    csrf = await login(client, "operator@example.org")

    chat = await _chat(client, request_id)
    assert (chat["status"], chat["mine"], chat["operator"]) == ("waiting", False, None)
    assert (chat["language_name"], chat["channel_name"]) == ("Vietnamese", "Web chat")
    # Nothing can be said or ended before accepting.
    for action, body in (("reply", {"text": "Invented"}), ("canned", {"key": "greeting"})):
        response = await _post(client, csrf, request_id, action, **body)
        assert response.status == 409
    assert (await _post(client, csrf, request_id, "handback")).status == 409
    assert not [e for e in fake.executed if e[1] == "utter_operator_message"]

    assert (await _post(client, csrf, request_id, "accept")).status == 200
    chat = await _chat(client, request_id)
    assert (chat["status"], chat["mine"], chat["operator"]) == (
        "active",
        True,
        "operator@example.org",
    )
    assert (await _post(client, csrf, request_id, "accept")).status == 409  # not twice

    # Another signed-in member of staff cannot write in a chat they did not accept.
    other = await make_console()
    other_csrf = await login(other, "admin@example.org")
    refused = await _post(other, other_csrf, request_id, "reply", text="Invented")
    assert refused.status == 409
    assert "accepted" in (await refused.json())["error"]
    refused = await _post(other, other_csrf, request_id, "canned", key="greeting")
    assert refused.status == 409
    assert not [e for e in fake.executed if e[1] == "utter_operator_message"]

    assert (await _post(client, csrf, request_id, "handback")).status == 200
    chat = await _chat(client, request_id)
    assert (chat["status"], chat["mine"]) == ("returned", True)
    for action, body in (("reply", {"text": "Invented"}), ("close", {}), ("handback", {})):
        assert (await _post(client, csrf, request_id, action, **body)).status == 409


async def test_every_reply_is_audited_without_its_words_and_a_prepared_one_goes_in_vietnamese(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    from bot.handoff import canned

    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users, language="vi")
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    assert (await _post(client, csrf, request_id, "accept")).status == 200
    typed = "Invented: tôi ở đây để giúp"
    assert (await _post(client, csrf, request_id, "reply", text=typed)).status == 200
    assert (await _post(client, csrf, request_id, "canned", key="are_you_safe")).status == 200
    assert (await _post(client, csrf, request_id, "canned", key="no_such_key")).status == 409

    vietnamese = canned.canned_text("are_you_safe", "vi")
    assert vietnamese != canned.canned_text("are_you_safe", "en")
    sent = [e[2] for e in fake.executed if e[1] == "utter_operator_message"]
    assert sent == [typed, vietnamese]

    op = users["op"].id
    rows = [r for r in _audit_rows(session_factory) if r[1].startswith("live.reply")]
    assert rows == [
        (op, "live.reply", f"chat-{request_id}", None),
        (op, "live.reply_canned", f"chat-{request_id}", {"canned": "are_you_safe"}),
    ]
    for row in _audit_rows(session_factory):
        assert typed not in repr(row) and vietnamese not in repr(row)

    # The transcript shows the prepared message in Vietnamese with its English beside it.
    lines = (await _chat(client, request_id))["lines"]
    operator_lines = [line for line in lines if line["sender"] == "operator"]
    assert operator_lines[-1]["text"] == vietnamese
    assert operator_lines[-1]["english"] == canned.canned_text("are_you_safe", "en")


async def test_the_transcript_shows_a_pressed_button_as_its_title_never_the_payload(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    import json
    import time

    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users, language="vi")
    now = time.time()
    fake.events[CID] = [
        {
            "event": "bot",
            "timestamp": now - 5,
            "text": "Trước tiên, bạn báo cáo cho ai?",
            "data": {
                "buttons": [
                    {"title": "Chuyện xảy ra với tôi", "payload": '/inform{"choice":"victim"}'}
                ]
            },
            "metadata": {"utter_action": "utter_ask_reporter_role"},
        },
        {"event": "user", "timestamp": now - 4, "text": '/inform{"choice":"victim"}'},
    ]
    client = await make_console()
    await login(client, "operator@example.org")
    chat = await _chat(client, request_id)
    person = [line for line in chat["lines"] if line["sender"] == "person"]
    assert [(p["text"], p["english"]) for p in person] == [
        ("Chuyện xảy ra với tôi", "It happened to me")
    ]
    assert "/inform" not in json.dumps(chat["lines"], ensure_ascii=False)


async def test_the_assistants_words_and_the_buttons_it_offered_carry_their_english(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    """An operator who does not read Vietnamese sees what the assistant asked and what each
    button offered meant; the person's own words and a filled-in text get no guessed English."""
    import time

    from bot import i18n, labels

    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users, language="vi")
    now = time.time()
    offered = i18n.variation(labels.domain(), "utter_ask_reporter_role", "vi") or {}
    fake.events[CID] = [
        {
            "event": "bot",
            "timestamp": now - 5,
            "text": labels.response_text("utter_ask_reporter_role", "vi"),
            "data": {"buttons": offered["buttons"]},
            "metadata": {"utter_action": "utter_ask_reporter_role"},
        },
        {"event": "user", "timestamp": now - 4, "text": "Invented: tôi muốn nói chuyện"},
        {"event": "bot", "timestamp": now - 3, "text": "Invented: một câu không có trong domain"},
    ]
    client = await make_console()
    await login(client, "operator@example.org")
    chat = await _chat(client, request_id)
    question, person, unknown = chat["lines"]
    assert question["english"] == labels.response_text("utter_ask_reporter_role", "en")
    assert question["choices"] == [
        "Chuyện xảy ra với tôi",
        "Tôi đã chứng kiến",
        "Báo cáo thay người khác",
    ]
    assert question["choices_english"] == [
        title for _value, title in i18n.buttons(labels.domain(), "utter_ask_reporter_role", "en")
    ]
    assert "english" not in person and "english" not in unknown


async def test_an_operator_marks_an_interpreter_arranged_and_every_console_sees_it(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    request_id = await _queue_request(session_factory, users, language="my")
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    ws = await client.ws_connect(
        "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    first = await ws.receive_json(timeout=5)
    assert first["live"][0]["interpreter_needed"] is True
    assert first["live"][0]["interpreter_arranged"] is False

    assert (await _post(client, csrf, request_id, "interpreter")).status == 200
    # Pushed to every console (the background loop may push an earlier queue first).
    while not (
        (message := await ws.receive_json(timeout=5))["type"] == "queue"
        and message["live"][0]["interpreter_arranged"] is True
    ):
        pass
    assert (await _chat(client, request_id))["interpreter_arranged"] is True
    assert (users["op"].id, "live.interpreter_arranged", f"chat-{request_id}", None) in (
        _audit_rows(session_factory)
    )
    await ws.close()

    caseworker = await make_console()
    cw_csrf = await login(caseworker, "cw@lotus.example.org")
    assert (await _post(caseworker, cw_csrf, request_id, "interpreter")).status == 403


async def test_a_new_message_is_flagged_in_the_queue_until_the_operator_looks(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users)
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    hub = console_state(client).hub
    ws = await client.ws_connect(
        "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    await ws.receive_json(timeout=5)
    assert (await _post(client, csrf, request_id, "accept")).status == 200

    async def queue_until(active: bool, unread: bool) -> None:
        # The background loop may push too: read pushes until the expected one comes.
        while True:
            message = await ws.receive_json(timeout=5)
            if message["type"] != "queue":
                continue
            item = message["live"][0]
            if (item["status"] == "active") is active and item["unread"] is unread:
                return

    await queue_until(active=True, unread=False)
    await asyncio.sleep(0.01)
    fake.person_says(CID, "Invented: are you still there?")
    await hub.tick()
    await queue_until(active=True, unread=True)
    # The live page in view tells the hub it has been read.
    await ws.send_json({"type": "seen", "id": request_id, "csrf_token": csrf})
    await queue_until(active=True, unread=False)
    await ws.close()


async def test_a_line_the_person_sent_just_before_a_reply_still_reaches_the_operator(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    fake, _server = fake_rasa
    request_id = await _queue_request(session_factory, users)
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    ws = await client.ws_connect(
        "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    assert (await _post(client, csrf, request_id, "accept")).status == 200
    await asyncio.sleep(0.01)
    fake.person_says(CID, "Invented: one more thing")
    # The operator replies before the hub has read the person's line.
    assert (await _post(client, csrf, request_id, "reply", text="Invented: go on")).status == 200
    await console_state(client).hub.tick()
    while True:
        message = await asyncio.wait_for(_next_line(ws), timeout=5)
        if message["sender"] == "person":
            break
    assert message["text"] == "Invented: one more thing"
    await ws.close()
