"""Live handoff end to end: the real Rasa server (``--enable-api``), action server and web service.

A person (Rasa REST channel) starts a report and asks for a person in opening hours (fake clock);
an operator logged in to the console accepts over the WebSocket; messages flow both ways; the
operator hands back; the report continues where it was and is stored with every answer. Out of
hours the bot gives the next opening time and the report's contact becomes a queued callback.
Invented data only.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.store import service
from tests.e2e.conftest import ROOT, VENV_BIN, RestChat, Stack, start_stack

pytestmark = pytest.mark.e2e

PASSWORD = "an e2e operator password"
MONDAY_10 = "2025-03-10T10:00:00+00:00"
SATURDAY_10 = "2025-03-08T10:00:00+00:00"


def _stack(tmp: Path, now: str) -> Stack:
    stack = start_stack(
        tmp,
        {
            "ALLOW_FAKE_CLOCK": "1",
            "HOURS_NOW": now,
            "CONSOLE_COOKIE_SECURE": "0",
            "HANDOFF_POLL_SECONDS": "0.5",
        },
    )
    subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-m",
            "bot.cli",
            "users",
            "add",
            "--role",
            "operator",
            "--email",
            "op@example.org",
            "--languages",
            "en",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        cwd=ROOT,
        env=stack.env,
        check=True,
        capture_output=True,
    )
    return stack


@pytest.fixture
def in_hours(tmp_path: Path) -> Any:
    stack = _stack(tmp_path, MONDAY_10)
    yield stack
    for name in list(stack.procs):
        stack.stop(name)


@pytest.fixture
def out_of_hours(tmp_path: Path) -> Any:
    stack = _stack(tmp_path, SATURDAY_10)
    yield stack
    for name in list(stack.procs):
        stack.stop(name)


async def _operator(stack: Stack) -> tuple[aiohttp.ClientSession, str]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    page = await (await http.get(f"{stack.service_url}/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    await http.post(
        f"{stack.service_url}/login",
        data={"email": "op@example.org", "password": PASSWORD, "csrf_token": token},
    )
    csrf = (await (await http.get(f"{stack.service_url}/api/me")).json())["csrf_token"]
    return http, csrf


async def _until(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 30) -> dict[str, Any]:
    """The next console message of type ``kind`` (an error message fails the test)."""
    while True:
        message = await ws.receive_json(timeout=timeout)
        if message["type"] == kind:
            return message
        assert message["type"] != "error", message


async def _waiting_chat(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The waiting live chat, from the first queue broadcast that has one (a broadcast sent just
    before the person joined the queue has none)."""
    while True:
        queue = await _until(ws, "queue")
        waiting = [c for c in queue["live"] if c["status"] == "waiting"]
        if waiting:
            assert len(waiting) == 1, waiting
            return waiting[0]


def _start_report(chat: RestChat) -> None:
    replies = chat.say("hello")
    if any("lang:" in p for p in chat.payloads(replies)):
        chat.choose("lang:en")
    chat.choose("victim")
    chat.say("Invented: a man shouted at me at the bus stop and called me names.")
    chat.choose("done")
    chat.choose("verbal_abuse")
    chat.choose("done")


def _finish_report(chat: RestChat) -> str:
    chat.say("LS1")
    chat.choose("street")
    chat.choose("race")
    chat.choose("done")
    chat.say("Two men, about 30, one with a red cap")
    chat.choose("emotional")
    chat.choose("done")
    chat.choose("named")
    chat.choose("yes")
    chat.choose("yes")
    chat.say("Sam Example")
    chat.say("020 7946 0123")
    chat.say("sam@example.com")
    chat.choose("no")
    chat.say("weekday evenings")
    done = chat.choose("confirm")
    found = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4})\b", chat.text(done))
    assert found, "\n".join(
        f"> {said}\n{chat.text(replies)}" for said, replies in chat.transcript[-18:]
    )
    return found.group(1)


async def test_live_handoff_and_back_to_the_report(in_hours: Stack) -> None:
    stack = in_hours
    http, csrf = await _operator(stack)
    ws = await http.ws_connect(
        f"{stack.service_url.replace('http', 'ws')}/api/live/ws",
        headers={"Origin": stack.service_url},
    )
    await _until(ws, "queue")
    chat = RestChat(stack, f"e2e-{uuid.uuid4().hex[:12]}")
    _start_report(chat)
    chat.say("about two weeks ago")  # the date; the next question is where
    queued = chat.text(chat.say("talk to a person"))
    assert "number 1 in the queue" in queued

    waiting = await _waiting_chat(ws)
    await ws.send_json({"type": "accept", "id": waiting["id"], "csrf_token": csrf})
    await _until(ws, "ok")

    assert chat.say("Invented: is anyone there?") == []  # the bot is paused
    line = await _until(ws, "line")
    assert line["sender"] == "person" and line["text"] == "Invented: is anyone there?"

    await ws.send_json(
        {
            "type": "reply",
            "id": waiting["id"],
            "text": "Yes, I am here to help.",
            "csrf_token": csrf,
        }
    )
    await _until(ws, "ok")
    async with http.get(stack.rasa_api(f"/conversations/{chat.sender}/tracker")) as response:
        events = (await response.json())["events"]
    assert any(e["event"] == "bot" and e.get("text") == "Yes, I am here to help." for e in events)

    await ws.send_json({"type": "handback", "id": waiting["id"], "csrf_token": csrf})
    await _until(ws, "ok")
    reference = _finish_report(chat)
    await ws.close()
    await http.close()

    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
    incident = case["incident"]
    assert "shouted at me" in incident["description"]
    assert incident["incident_types"] == ["verbal_abuse"]
    assert incident["date_text"] == "about two weeks ago"
    assert incident["location"] == "LS1"
    assert case["contact"]["email"] == "sam@example.com"
    logs = stack.log_text()
    for secret in ("is anyone there", "here to help", "shouted at me", "sam@example.com"):
        assert secret not in logs


async def test_out_of_hours_next_opening_and_a_queued_callback(out_of_hours: Stack) -> None:
    stack = out_of_hours
    http, csrf = await _operator(stack)
    ws = await http.ws_connect(
        f"{stack.service_url.replace('http', 'ws')}/api/live/ws",
        headers={"Origin": stack.service_url},
    )
    await _until(ws, "queue")  # an operator online does not matter out of hours
    chat = RestChat(stack, f"e2e-{uuid.uuid4().hex[:12]}")
    _start_report(chat)
    chat.say("about two weeks ago")
    said = chat.text(chat.say("talk to a person"))
    assert "next available on Monday 10 March, 09:00" in said
    reference = _finish_report(chat)
    queue = await (await http.get(f"{stack.service_url}/api/queue")).json()
    callbacks = {c["reference"]: c for c in queue["callbacks"]}
    assert callbacks[reference]["may_leave_message"] is False
    assert callbacks[reference]["safe_times"] == "weekday evenings"
    # Due 3 working days after the case was stored (the store stamps cases with the real clock).
    assert callbacks[reference]["due"] and callbacks[reference]["status"] == "open"
    await ws.close()
    await http.close()
