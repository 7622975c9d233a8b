"""Operator service down: the bot falls back to out-of-hours intake and queues the callback.

An operator is online in opening hours (fake clock, ticking with ``HOURS_NOW_SINCE`` so heartbeats
can go stale; a short ``HANDOFF_ONLINE_SECONDS``). The web service (console) is then killed
without a goodbye, so the operator's last heartbeat stays in the store. Once it is older than the
online window, a person who asks for a person mid-report is not put in a live queue nobody serves:
the bot offers the callback instead, the report carries on with every answer, is stored with
contact details, and a callback task is queued for it (the web service builds callback tasks from
stored cases when it is back). Invented data only.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.handoff import clock, live
from bot.store import service
from bot.store.handoff_models import CallbackTask, HandoffRequest
from bot.store.models import Case
from tests.e2e.conftest import ROOT, VENV_BIN, RestChat, Stack, start_stack
from tests.e2e.test_handoff import (
    MONDAY_10,
    PASSWORD,
    _finish_report,
    _operator,
    _start_report,
    _until,
)

pytestmark = pytest.mark.e2e

ONLINE_SECONDS = 6


@pytest.fixture
def in_hours(tmp_path: Path) -> Any:
    stack = start_stack(
        tmp_path,
        {
            "ALLOW_FAKE_CLOCK": "1",
            "HOURS_NOW": MONDAY_10,
            "HOURS_NOW_SINCE": str(time.time()),  # the fake clock runs on from Monday 10:00
            "HANDOFF_ONLINE_SECONDS": str(ONLINE_SECONDS),
            "CONSOLE_COOKIE_SECURE": "0",
            "HANDOFF_POLL_SECONDS": "0.5",
        },
    )
    subprocess.run(
        [
            str(VENV_BIN / "python"), "-m", "bot.cli", "users", "add", "--role", "operator",
            "--email", "op@example.org", "--languages", "en", "--password-stdin",
        ],
        input=PASSWORD + "\n", text=True, cwd=ROOT, env=stack.env, check=True,
        capture_output=True,
    )
    yield stack
    for name in list(stack.procs):
        stack.stop(name)


def _online(stack: Stack) -> int:
    sessions, _ = stack.store()
    with sessions() as session:
        return live.operators_online(session, now=clock.now(stack.env))


async def test_service_down_the_bot_offers_a_callback_and_the_report_completes(
    in_hours: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = in_hours
    # The action server's view of "online" (it reads the variable from its environment).
    monkeypatch.setenv("HANDOFF_ONLINE_SECONDS", str(ONLINE_SECONDS))
    chat = RestChat(stack, f"e2e-{uuid.uuid4().hex[:12]}")
    _start_report(chat)
    chat.say("about two weeks ago")  # the date; the next question is where

    http, _ = await _operator(stack)
    ws = await http.ws_connect(
        f"{stack.service_url.replace('http', 'ws')}/api/live/ws",
        headers={"Origin": stack.service_url},
    )
    await _until(ws, "queue")
    assert _online(stack) == 1  # in hours with an operator online

    # The web service dies (no graceful close: its operator's last heartbeat stays behind).
    stack.stop("service", sig=9)
    await ws.close()
    await http.close()
    assert _online(stack) == 1  # not yet stale
    deadline = time.monotonic() + ONLINE_SECONDS + 10
    while _online(stack) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _online(stack) == 0

    said = chat.text(chat.say("talk to a person"))
    assert "in the queue" not in said
    assert "call you" in said  # the callback is offered
    sessions, keyring = stack.store()
    with sessions() as session:
        assert not session.scalars(
            select(HandoffRequest).where(HandoffRequest.conversation_id == chat.sender)
        ).all()

    reference = _finish_report(chat)  # where, ..., contact details, confirm
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
    incident = case["incident"]
    assert "shouted at me" in incident["description"]
    assert incident["incident_types"] == ["verbal_abuse"]
    assert incident["date_text"] == "about two weeks ago"
    assert incident["location"] == "LS1"
    assert case["contact"]["email"] == "sam@example.com"
    assert case["contact"]["phone"]

    # The service is back: the stored case becomes a queued callback task.
    stack.start("service", [str(VENV_BIN / "python"), "-m", "service"], f"{stack.service_url}/health")
    http, _ = await _operator(stack)
    try:
        queue = await (await http.get(f"{stack.service_url}/api/queue")).json()
    finally:
        await http.close()
    callbacks = {c["reference"]: c for c in queue["callbacks"]}
    assert callbacks[reference]["status"] == "open"
    assert callbacks[reference]["safe_times"] == "weekday evenings"
    assert callbacks[reference]["may_leave_message"] is False
    assert queue["live"] == []
    with sessions() as session:
        [task] = session.scalars(
            select(CallbackTask)
            .join(Case, Case.id == CallbackTask.case_id)
            .where(Case.reference == reference)
        ).all()
        assert task.status == "open" and task.reason == "report_contact" and task.due_at
    logs = stack.log_text()
    for secret in ("shouted at me", "sam@example.com", "weekday evenings"):
        assert secret not in logs
