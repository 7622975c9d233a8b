"""Operator reply reaches a WhatsApp user through the fake Twilio API.

The real Rasa server (``--enable-api``), action server and web service run on loopback with a fake
Twilio API (``TWILIO_API_BASE_URL``). A person on WhatsApp (signed webhooks) starts a report and
asks for a person in opening hours (fake clock) while an operator is online; the operator accepts
over the console WebSocket; the person's next WhatsApp message reaches the operator; the
operator's reply goes out through Rasa's ``execute?output_channel=latest`` and the Twilio output
channel to the person's WhatsApp number; the operator hands back; the bot re-asks the open
question and the report completes with every answer. Numbers are from Ofcom's drama range and
everything else is invented.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from bot.settings import Settings
from bot.store import service
from channels.store import ServiceChannelStore
from tests.channels.conftest import FakeTwilio, run_fake
from tests.e2e.conftest import ROOT, VENV_BIN, Stack, start_stack
from tests.e2e.test_channels_full import ACCOUNT_SID, AUTH_TOKEN, REFERENCE, settle
from tests.e2e.test_handoff import MONDAY_10, PASSWORD, _operator, _until

pytestmark = pytest.mark.e2e

WHATSAPP_NUMBER = "+442079460998"  # the helpline's (invented)
PERSON = "+442079460555"  # Ofcom drama range: invented
OPERATOR_TEXT = "Invented: yes, I am here to help you on WhatsApp."


def _start(tmp: Path, api: str) -> Stack:
    stack = start_stack(
        tmp,
        {
            "ALLOW_FAKE_CLOCK": "1",
            "HOURS_NOW": MONDAY_10,
            "CONSOLE_COOKIE_SECURE": "0",
            "HANDOFF_POLL_SECONDS": "0.5",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
            "TWILIO_API_BASE_URL": api,
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
    return stack


async def _sent_to(fake: FakeTwilio, before: int, text: str, timeout: float = 30) -> dict[str, Any]:
    """The first message sent after index ``before`` whose body contains ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in fake.sent[before:]:
            if text in (message.get("Body") or ""):
                return message
        await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing containing {text!r} was sent")


async def test_operator_reply_reaches_a_whatsapp_user(tmp_path: Path) -> None:
    fake = FakeTwilio()
    async with run_fake(fake.app()) as url:
        fake.base_url = url
        stack = await asyncio.to_thread(_start, tmp_path, url)
        webhook = f"{stack.rasa_url}/webhooks/twilio/webhook"
        validator = RequestValidator(AUTH_TOKEN)
        channels = ServiceChannelStore.from_settings(Settings.from_env(stack.env))
        pseudonym = channels.pseudonymise("whatsapp", PERSON)
        try:
            async with aiohttp.ClientSession() as person:

                async def post(body: str) -> None:
                    params = {
                        "From": f"whatsapp:{PERSON}", "To": f"whatsapp:{WHATSAPP_NUMBER}",
                        "Body": body, "NumMedia": "0", "MessageSid": "SM" + uuid.uuid4().hex,
                        "AccountSid": ACCOUNT_SID, "ProfileName": "Invented",
                    }
                    headers = {"X-Twilio-Signature": validator.compute_signature(webhook, params)}
                    async with person.post(webhook, data=params, headers=headers) as response:
                        assert response.status == 200

                async def say(body: str) -> str:
                    before = len(fake.sent)
                    await post(body)
                    await settle(lambda: len(fake.sent), before)
                    return "\n".join(m.get("Body") or "" for m in fake.sent[before:])

                async def choose(value: str) -> str:
                    """Answers with the number of the option whose payload carries ``value``."""
                    options = await channels.get_state("whatsapp", pseudonym, "options") or []
                    wanted = json.dumps({"choice": value}, separators=(",", ":"))
                    numbers = [i for i, o in enumerate(options, 1) if wanted in o["payload"]]
                    assert numbers, f"no option {value!r} among {[o['title'] for o in options]}"
                    return await say(str(numbers[0]))

                http, csrf = await _operator(stack)
                ws = await http.ws_connect(
                    f"{stack.service_url.replace('http', 'ws')}/api/live/ws",
                    headers={"Origin": stack.service_url},
                )
                await _until(ws, "queue")  # the operator is online

                first = await say("hello")
                assert "999" in first
                options = await channels.get_state("whatsapp", pseudonym, "options") or []
                if any("lang:" in o["payload"] for o in options):
                    await choose("lang:en")
                await choose("victim")
                await say("Invented: a man shouted at me at the bus stop and called me names.")
                await choose("done")
                await choose("verbal_abuse")
                assert "When did it happen" in await choose("done")
                await say("about two weeks ago")  # the date; the next question is where
                queued = await say("talk to a person")
                assert "number 1 in the queue" in queued

                while True:  # the queue is pushed whenever it changes
                    queue = await _until(ws, "queue")
                    live_chats = [c for c in queue["live"] if c["status"] == "waiting"]
                    if live_chats:
                        break
                [waiting] = live_chats
                assert waiting["channel"] == "whatsapp" and waiting["language"] == "en"
                before = len(fake.sent)
                await ws.send_json({"type": "accept", "id": waiting["id"], "csrf_token": csrf})
                await _until(ws, "ok")
                connected = await _sent_to(fake, before, "talking to a person")
                assert connected["To"] == f"whatsapp:{PERSON}"

                # The bot is paused: the person's message reaches the operator, no bot answer.
                before = len(fake.sent)
                await post("Invented: is anyone there?")
                line = await _until(ws, "line")
                assert line["sender"] == "person" and line["text"] == "Invented: is anyone there?"
                await asyncio.sleep(1)
                assert fake.sent[before:] == []

                await ws.send_json(
                    {"type": "reply", "id": waiting["id"], "text": OPERATOR_TEXT,
                     "csrf_token": csrf}
                )
                await _until(ws, "ok")
                reply = await _sent_to(fake, before, OPERATOR_TEXT)
                assert reply["To"] == f"whatsapp:{PERSON}"
                assert reply["From"] == f"whatsapp:{WHATSAPP_NUMBER}"
                assert reply["Body"] == OPERATOR_TEXT
                async with http.get(f"{stack.service_url}/api/live/{waiting['id']}") as response:
                    assert response.status == 200
                    record = await response.json()
                said = [(item["sender"], item["text"]) for item in record["lines"]]
                assert ("person", "Invented: is anyone there?") in said
                assert ("operator", OPERATOR_TEXT) in said

                before = len(fake.sent)
                await ws.send_json({"type": "handback", "id": waiting["id"], "csrf_token": csrf})
                await _until(ws, "ok")
                await settle(lambda: len(fake.sent), before)
                back = "\n".join(m["Body"] for m in fake.sent[before:])
                assert "back with the assistant" in back
                assert "Where did it happen?" in back  # the open question, asked again
                await ws.close()
                await http.close()

                await say("LS1")
                await choose("street")
                await choose("race")
                await choose("done")
                await say("Two men, about 30, one with a red cap")
                await choose("emotional")
                await choose("done")
                await choose("named")
                await choose("yes")
                await choose("yes")
                await say("Sam Example")
                await say("020 7946 0123")
                await say("sam@example.com")
                await choose("no")
                await say("weekday evenings")
                done = await choose("confirm")
                reference = REFERENCE.search(done)
                assert reference, done

            assert {m["To"] for m in fake.sent} == {f"whatsapp:{PERSON}"}
            sessions, keyring = stack.store()
            with sessions() as session:
                case = service.get_case(session, keyring, reference.group(1))
            assert case["channel"] == "whatsapp"
            assert case["conversation_key"] == pseudonym and "7946" not in pseudonym
            incident = case["incident"]
            assert "shouted at me" in incident["description"]
            assert incident["incident_types"] == ["verbal_abuse"]
            assert incident["date_text"] == "about two weeks ago"
            assert incident["location"] == "LS1"
            assert case["contact"]["email"] == "sam@example.com"
            assert case["contact"]["phone"]
            logs = stack.log_text()
            for secret in (PERSON, "is anyone there", "here to help you", "shouted at me",
                           "sam@example.com"):
                assert secret not in logs
        finally:
            for name in list(stack.procs):
                stack.stop(name)
