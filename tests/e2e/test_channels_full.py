"""Complete reports over SMS (Twilio) and Telegram through the real Rasa + action server, with
fake Twilio and Telegram APIs on loopback. Requests are signed with the real libraries."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from bot.store import service
from tests.channels.conftest import TELEGRAM_TOKEN, FakeTelegram, FakeTwilio, run_fake
from tests.channels.test_telegram_channel import SECRET, callback_update, message_update
from tests.e2e.conftest import Stack, start_stack

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")
AUTH_TOKEN = "twilio-test-auth-token-0000"
ACCOUNT_SID = "AC" + "0" * 32
SMS_NUMBER = "+442079460999"
PERSON = "+442079460555"  # Ofcom drama range: invented


async def settle(count: Callable[[], int], before: int, quiet: float = 1.5, timeout: float = 60) -> None:
    """Waits until more messages were sent than `before` and none arrived for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    while count() <= before:
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer")
        await asyncio.sleep(0.1)
    last, last_change = count(), time.monotonic()
    while time.monotonic() - last_change < quiet:
        await asyncio.sleep(0.1)
        if count() != last:
            last, last_change = count(), time.monotonic()


async def start(extra: dict[str, str], tmp: Any) -> Stack:
    return await asyncio.to_thread(start_stack, tmp, extra, False)


async def test_full_report_over_sms_with_numbered_replies(tmp_path: Any) -> None:
    fake = FakeTwilio()
    async with run_fake(fake.app()) as url:
        fake.base_url = url
        stack = await start(
            {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_SMS_NUMBER": SMS_NUMBER, "TWILIO_API_BASE_URL": url,
            },
            tmp_path,
        )
        webhook = f"{stack.rasa_url}/webhooks/twilio/webhook"
        validator = RequestValidator(AUTH_TOKEN)
        try:
            async with aiohttp.ClientSession() as http:

                async def sms(body: str, sid: str | None = None) -> list[str]:
                    params = {
                        "From": PERSON, "To": SMS_NUMBER, "Body": body, "NumMedia": "0",
                        "MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                    }
                    headers = {"X-Twilio-Signature": validator.compute_signature(webhook, params)}
                    before = len(fake.sent)
                    async with http.post(webhook, data=params, headers=headers) as response:
                        assert response.status == 200
                    await settle(lambda: len(fake.sent), before)
                    return [m["Body"] for m in fake.sent[before:]]

                first = await sms("hello")
                assert any("999" in b for b in first)
                if any("1) English" in b for b in first):
                    await sms("1")
                await sms("1")  # it happened to me
                await sms("A man shouted at me at the bus stop.")
                await sms("1")  # I've finished
                await sms("1")  # verbal abuse
                replies = await sms("1")  # that's all
                assert any("When did it happen" in b for b in replies)
                await sms("yesterday")
                await sms("Leeds")
                await sms("1")  # street
                await sms("1")  # race
                await sms("1")  # that's all
                await sms("1")  # skip
                await sms("7")  # no support needed
                await sms("3")  # not the police
                await sms("2")  # no caseworker
                summary = await sms("2")  # no contact
                assert any("bus stop" in b for b in summary)
                sid = "SM" + uuid.uuid4().hex
                done = await sms("1", sid)  # send my report
                reference = REFERENCE.search("\n".join(done))
                assert reference
                # Twilio retries the same MessageSid: processed once, no second reply or case.
                params = {"From": PERSON, "To": SMS_NUMBER, "Body": "1", "NumMedia": "0",
                          "MessageSid": sid, "AccountSid": ACCOUNT_SID}
                before = len(fake.sent)
                async with http.post(
                    webhook, data=params,
                    headers={"X-Twilio-Signature": validator.compute_signature(webhook, params)},
                ) as response:
                    assert response.status == 200
                await asyncio.sleep(3)
                assert len(fake.sent) == before
            assert all(m["To"] == PERSON for m in fake.sent)
            sessions, keyring = stack.store()
            with sessions() as session:
                cases = service.list_cases(session)
                case = service.get_case(session, keyring, reference.group(1))
            assert len(cases) == 1 and case["channel"] == "sms"
            assert case["conversation_key"] != PERSON and "7946" not in case["conversation_key"]
            assert PERSON not in stack.log_text() and "bus stop" not in stack.log_text()
        finally:
            for name in list(stack.procs):
                stack.stop(name)


async def test_full_report_over_telegram_with_inline_buttons(tmp_path: Any) -> None:
    fake = FakeTelegram(token=TELEGRAM_TOKEN)
    async with run_fake(fake.app()) as url:
        fake.base_url = url
        stack = await start(
            {
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_WEBHOOK_URL": "https://reports.example.org/webhooks/telegram_ptb/webhook",
                "TELEGRAM_API_BASE_URL": f"{url}/bot", "TELEGRAM_FILE_BASE_URL": f"{url}/file/bot",
            },
            tmp_path,
        )
        webhook = f"{stack.rasa_url}/webhooks/telegram_ptb/webhook"
        update_id = 1000
        try:
            async with aiohttp.ClientSession() as http:

                def sent() -> list[dict[str, Any]]:
                    return fake.called("sendMessage")

                async def post(update: dict[str, Any]) -> list[dict[str, Any]]:
                    before = len(sent())
                    async with http.post(
                        webhook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    ) as response:
                        assert response.status == 200
                    await settle(lambda: len(sent()), before)
                    return sent()[before:]

                async def say(text: str) -> list[dict[str, Any]]:
                    nonlocal update_id
                    update_id += 1
                    return await post(message_update(update_id, "vi", text=text))

                async def press(index: int) -> list[dict[str, Any]]:
                    nonlocal update_id
                    keyboards = [m for m in sent() if m.get("reply_markup")]
                    rows = keyboards[-1]["reply_markup"]["inline_keyboard"]
                    data = [b for row in rows for b in row][index]["callback_data"]
                    update_id += 1
                    return await post(callback_update(update_id, data))

                first = await say("Xin chào, tôi muốn báo cáo")
                assert any("999" in m["text"] for m in first)
                assert "Xin" in "\n".join(m["text"] for m in first) or "Chào" in "\n".join(
                    m["text"] for m in first
                )
                if len([m for m in first if m.get("reply_markup")][-1]["reply_markup"]["inline_keyboard"]) >= 12:
                    await press(3)  # Tiếng Việt
                await press(0)  # it happened to me
                await say("Hôm qua có người chửi tôi trên xe buýt.")
                await press(0)  # finished
                await press(0)  # verbal abuse
                await press(0)  # that's all
                await say("hôm qua")
                await say("Manchester")
                await press(0)  # street
                await press(0)  # race
                await press(0)  # that's all
                await press(0)  # skip
                await press(6)  # no support
                await press(2)  # not the police
                await press(1)  # no caseworker
                await press(1)  # no contact
                done = await press(0)  # send
                reference = REFERENCE.search("\n".join(m["text"] for m in done))
                assert reference
                # The same update delivered twice: one reply only.
                again = callback_update(update_id, "ignored")
                async with http.post(
                    webhook, json=again, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                ) as response:
                    assert response.status == 200
                count = len(sent())
                await asyncio.sleep(3)
                assert len(sent()) == count
            assert fake.called("answerCallbackQuery")
            sessions, keyring = stack.store()
            with sessions() as session:
                case = service.get_case(session, keyring, reference.group(1))
            assert case["language"] == "vi" and case["channel"] == "telegram"
            assert TELEGRAM_TOKEN not in stack.log_text()
        finally:
            for name in list(stack.procs):
                stack.stop(name)
