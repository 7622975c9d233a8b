"""Production profile: two Rasa servers sharing PostgreSQL (trackers, cases), Redis (conversation
locks) and RabbitMQ (events). Invented data only."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.store import service
from tests.prod.conftest import ProdStack

pytestmark = [pytest.mark.prod, pytest.mark.e2e]

REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")


def post(url: str, sender: str, message: str, timeout: float = 60) -> list[dict[str, Any]]:
    """One REST message to one Rasa server; returns its replies."""
    body = json.dumps({"sender": sender, "message": message, "metadata": {"channel": "rest"}})
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies: list[dict[str, Any]] = json.load(response)
    return replies


def text(replies: list[dict[str, Any]]) -> str:
    """Reply texts joined."""
    return "\n".join(r.get("text") or "" for r in replies)


class AlternatingChat:
    """A person whose messages go to the Rasa servers in turn (as a round-robin balancer)."""

    def __init__(self, urls: list[str]) -> None:
        """Starts a new conversation id."""
        self.urls = urls
        self.sender = f"prod-{uuid.uuid4().hex[:12]}"
        self.turn = 0

    def say(self, message: str) -> list[dict[str, Any]]:
        """Sends to the next server."""
        url = self.urls[self.turn % len(self.urls)]
        self.turn += 1
        return post(url, self.sender, message)

    def choose(self, value: str) -> list[dict[str, Any]]:
        """Presses the button carrying ``value``."""
        return self.say(f'/inform{{"choice":"{value}"}}')


def finish_as_witness(chat: AlternatingChat) -> str:
    """From the incident-type question to the reference."""
    chat.choose("verbal_abuse")
    chat.choose("done")
    chat.say("yesterday")
    chat.choose("skip")
    chat.choose("public_transport")
    chat.choose("skip")
    chat.choose("skip")
    chat.choose("skip")
    chat.choose("none")
    chat.choose("no")
    summary = chat.choose("no")
    assert "Here is your report" in text(summary)
    match = REFERENCE.search(text(chat.choose("confirm")))
    assert match
    return match.group(1)


def get_case(prod: ProdStack, reference: str) -> dict[str, Any]:
    """The stored case from the PostgreSQL case store."""
    sessions, keyring = prod.stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
    assert case is not None
    return case


def test_conversation_alternating_between_two_rasa_servers_completes_a_report(
    prod: ProdStack,
) -> None:
    chat = AlternatingChat(prod.rasa_urls)
    chat.say("hello")
    chat.choose("lang:en")
    chat.choose("witness")
    chat.say("A man on the bus told a family to go back to their country.")
    chat.say("He kept filming them on his phone.")
    assert "What kind of incident" in text(chat.choose("done"))
    reference = finish_as_witness(chat)
    incident = get_case(prod, reference)["incident"]
    assert "go back to their country" in incident["description"]
    assert "filming them" in incident["description"]
    assert incident["date_text"] == "yesterday"


def test_five_messages_at_once_into_one_conversation_are_all_kept_in_order_of_handling(
    prod: ProdStack,
) -> None:
    chat = AlternatingChat(prod.rasa_urls)
    chat.say("hello")
    chat.choose("lang:en")
    chat.choose("witness")
    parts = [f"Detail number {i}: something they shouted, part {i}." for i in range(1, 6)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(post, prod.rasa_urls[i % 2], chat.sender, part)
                   for i, part in enumerate(parts)]
        results = [f.result(timeout=120) for f in futures]
    assert all(text(r) for r in results), "every message got an answer"
    assert "What kind of incident" in text(chat.choose("done"))
    reference = finish_as_witness(chat)
    description = get_case(prod, reference)["incident"]["description"]
    for part in parts:
        assert part in description


async def test_event_broker_publishes_the_conversation_events_to_rabbitmq(
    prod: ProdStack,
) -> None:
    import asyncio

    import aio_pika

    chat = AlternatingChat(prod.rasa_urls)
    await asyncio.to_thread(chat.say, "hello")
    await asyncio.to_thread(chat.choose, "lang:en")
    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    seen: set[str] = set()
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(prod.queue, durable=True, passive=True)
        deadline = asyncio.get_running_loop().time() + 30
        while not {"user", "bot", "action", "slot"} <= seen:
            if asyncio.get_running_loop().time() > deadline:
                break
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            await message.ack()
            event = json.loads(message.body)
            if event.get("sender_id") == chat.sender:
                seen.add(str(event.get("event")))
    finally:
        await connection.close()
    assert {"user", "bot", "action", "slot"} <= seen, seen
