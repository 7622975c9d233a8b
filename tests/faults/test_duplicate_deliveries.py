"""Providers retry webhooks: the same Twilio MessageSid / Telegram update_id delivered to two
real Rasa servers (behind one load balancer, sharing the case store) gets one reply and makes
one case. Signed with the channels' own test helpers; provider APIs are loopback fakes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.store import service
from bot.store.models import DeliveryClaim
from tests.channels.conftest import FakeTelegram, FakeTwilio
from tests.channels.test_telegram_channel import CHAT_ID, callback_update, message_update
from tests.e2e.conftest import Stack, start_stack
from tests.faults.conftest import (
    TELEGRAM_SECRET,
    signed_twilio_request,
    start_second_rasa,
    twilio_inbound,
    wait_quiet,
    write_channel_credentials,
)

pytestmark = pytest.mark.e2e

PERSON = "+447700900321"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory,
                fakes: tuple[FakeTwilio, FakeTelegram]) -> Iterator[tuple[Stack, list[str]]]:
    """One stack with Twilio and Telegram configured, plus a second Rasa server."""
    tmp = tmp_path_factory.mktemp("dups")
    twilio, telegram = fakes
    creds = write_channel_credentials(tmp, twilio.base_url, telegram.base_url)
    stack = start_stack(tmp, {"RASA_CREDENTIALS": str(creds)}, service=False)
    try:
        second = start_second_rasa(stack)
        yield stack, [stack.rasa_url, second]
    finally:
        for name in list(stack.procs):
            stack.stop(name)


def deliver_everywhere(urls: list[str], path: str, body: bytes,
                       headers: dict[str, str]) -> list[int]:
    """POSTs the same delivery to every server at once; returns the statuses."""

    def one(url: str) -> int:
        request = urllib.request.Request(f"{url}{path}", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(one, urls))


def telegram_texts(fake: FakeTelegram) -> list[str]:
    """Texts sent to the test chat."""
    return [str(p.get("text")) for p in fake.called("sendMessage")
            if int(p.get("chat_id", 0)) == CHAT_ID]


def test_duplicate_twilio_message_sid_on_two_servers_gets_one_reply(
    two_servers: tuple[Stack, list[str]], fakes: tuple[FakeTwilio, FakeTelegram],
) -> None:
    stack, urls = two_servers
    twilio, _ = fakes
    params = twilio_inbound(f"whatsapp:{PERSON}", "hello", "SM" + "d" * 32)
    body, headers = signed_twilio_request(params)
    statuses = deliver_everywhere(urls, "/webhooks/twilio/webhook", body, headers)
    assert statuses == [200, 200]
    count = wait_quiet(lambda: len(twilio.sent), at_least=1, timeout=60, quiet=2.0)
    bodies = [m.get("Body") for m in twilio.sent if m.get("To") == f"whatsapp:{PERSON}"]
    assert count >= 1 and len(bodies) == len(set(bodies)), "each reply sent once"
    sessions, _ = stack.store()
    with sessions() as session:
        claims = session.scalar(select(func.count()).select_from(DeliveryClaim)
                               .where(DeliveryClaim.provider == "twilio"))
    assert claims == 1


def test_every_telegram_update_delivered_twice_to_two_servers_gives_one_reply_and_one_case(
    two_servers: tuple[Stack, list[str]], fakes: tuple[FakeTwilio, FakeTelegram],
) -> None:
    stack, urls = two_servers
    _, telegram = fakes
    headers = {"Content-Type": "application/json",
               "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    update_id = 5000

    def turn(update: dict[str, Any]) -> list[str]:
        before = len(telegram_texts(telegram))
        statuses = deliver_everywhere(urls, "/webhooks/telegram_ptb/webhook",
                                      json.dumps(update).encode(), headers)
        assert statuses == [200, 200]
        wait_quiet(lambda: len(telegram_texts(telegram)), at_least=before + 1, timeout=60,
                   quiet=1.0)
        replies = telegram_texts(telegram)[before:]
        assert replies and len(replies) == len(set(replies)), replies
        return replies

    def say(text: str) -> list[str]:
        nonlocal update_id
        update_id += 1
        return turn(message_update(update_id, language_code="en", text=text))

    def press(choice: str) -> list[str]:
        nonlocal update_id
        update_id += 1
        return turn(callback_update(update_id, f'/inform{{"choice":"{choice}"}}'))

    say("hello")
    press("lang:en")
    press("witness")
    say("Someone spat at my friend in the supermarket queue.")
    press("done")
    press("physical_assault")
    press("done")
    say("last Saturday")
    press("skip")
    press("shop")
    press("skip")
    press("skip")
    press("skip")
    press("none")
    press("no")
    assert any("Here is your report" in t for t in press("no"))
    done = press("confirm")
    sessions, keyring = stack.store()
    with sessions() as session:
        cases = service.list_cases(session)
    assert len(cases) == 1
    assert any(cases[0]["reference"] in t for t in done)
