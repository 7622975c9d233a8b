"""Telegram channel: secret-token webhook, updates built with python-telegram-bot, fake Bot API."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from telegram import Bot, CallbackQuery, Chat, Message, PhotoSize, Sticker, Update, User

from channels.store import ServiceChannelStore
from channels.telegram_channel import (
    SECRET_HEADER,
    TelegramConfig,
    TelegramInput,
    callback_data_for,
    set_webhook,
)
from tests.channels.conftest import JPEG, TELEGRAM_TOKEN, FakeTelegram, Recorder, serve_channel

SECRET = "s3cret_webhook-token"
CHAT_ID = 700900123
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def make_config(fake: FakeTelegram) -> TelegramConfig:
    """Config pointed at the fake Bot API."""
    return TelegramConfig(
        token=TELEGRAM_TOKEN, secret_token=SECRET,
        webhook_url="https://reports.example.org/webhooks/telegram_ptb/webhook",
        base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot",
    )


def make_channel(store: ServiceChannelStore, fake: FakeTelegram) -> TelegramInput:
    """A Telegram channel pointed at the fake Bot API."""
    return TelegramInput(make_config(fake), store)


def person(language_code: str | None = "vi") -> User:
    """The invented person writing to the bot."""
    return User(id=CHAT_ID, first_name="Mai", is_bot=False, language_code=language_code)


def chat() -> Chat:
    """Their private chat."""
    return Chat(id=CHAT_ID, type=Chat.PRIVATE)


def message_update(update_id: int, language_code: str | None = "vi", **fields: Any) -> dict[str, Any]:
    """An Update with a message, as Telegram would post it."""
    message = Message(message_id=update_id, date=WHEN, chat=chat(),
                      from_user=person(language_code), **fields)
    return Update(update_id=update_id, message=message).to_dict()


def callback_update(update_id: int, data: str) -> dict[str, Any]:
    """An Update with an inline-keyboard press."""
    shown = Message(message_id=1, date=WHEN, chat=chat(), text="Who are you reporting as?")
    query = CallbackQuery(id=f"cq{update_id}", from_user=person(), chat_instance="ci-1",
                          data=data, message=shown)
    return Update(update_id=update_id, callback_query=query).to_dict()


async def post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> int:
    """POSTs an update to the webhook; returns the HTTP status."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session, \
            session.post(f"{url}/webhook", json=update, headers=headers) as resp:
        return resp.status


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_webhook_wrong_or_missing_secret_returns_403_and_processes_nothing(
    store: ServiceChannelStore, fake_telegram: FakeTelegram, secret: str | None
) -> None:
    channel = make_channel(store, fake_telegram)
    recorder = Recorder(reply=lambda m: [{"text": "hi"}])
    async with serve_channel(channel, recorder) as url:
        status = await post(url, message_update(1, text="hello"), secret=secret)
        await channel.tasks.join()
    assert status == 403
    assert recorder.messages == []
    assert fake_telegram.calls == []


async def test_text_message_reaches_bot_with_pseudonym_and_language_hint_and_reply_is_sent(
    store: ServiceChannelStore, fake_telegram: FakeTelegram
) -> None:
    channel = make_channel(store, fake_telegram)
    recorder = Recorder(reply=lambda m: [{"text": "Cảm ơn bạn."}])
    async with serve_channel(channel, recorder) as url:
        assert await post(url, message_update(10, text="xin chào")) == 200
        await channel.tasks.join()
    [message] = recorder.messages
    assert message.text == "xin chào"
    assert message.sender_id == store.pseudonymise("telegram", str(CHAT_ID))
    assert str(CHAT_ID) not in message.sender_id
    assert message.input_channel == "telegram_ptb"
    assert message.metadata == {"channel": "telegram", "language_hint": "vi",
                                "hint_source": "telegram"}
    [sent] = fake_telegram.called("sendMessage")
    assert sent["chat_id"] == CHAT_ID and sent["text"] == "Cảm ơn bạn."


async def test_buttons_become_inline_keyboard_and_press_is_answered_and_mapped(
    store: ServiceChannelStore, fake_telegram: FakeTelegram
) -> None:
    long_payload = '/inform{"choice":"' + "someone_else_" * 6 + '"}'
    buttons = [{"title": "Tôi là nạn nhân", "payload": '/inform{"choice":"victim"}'},
               {"title": "Người khác", "payload": long_payload}]

    def bot(message: UserMessage) -> list[dict[str, Any]]:
        return [{"text": "Bạn là ai?", "buttons": buttons}] if message.text == "xin chào" else []

    channel = make_channel(store, fake_telegram)
    recorder = Recorder(reply=bot)
    async with serve_channel(channel, recorder) as url:
        await post(url, message_update(20, text="xin chào"))
        await channel.tasks.join()
        [sent] = fake_telegram.called("sendMessage")
        keyboard = sent["reply_markup"]["inline_keyboard"]
        data = [row[0]["callback_data"] for row in keyboard]
        await post(url, callback_update(21, data[0]))
        await post(url, callback_update(22, data[1]))
        await channel.tasks.join()
    assert [row[0]["text"] for row in keyboard] == ["Tôi là nạn nhân", "Người khác"]
    assert data[0] == '/inform{"choice":"victim"}'
    assert len(data[1].encode()) <= 64 and data[1] == callback_data_for(long_payload)
    assert recorder.texts[1:] == ['/inform{"choice":"victim"}', long_payload]
    assert [c["callback_query_id"] for c in fake_telegram.called("answerCallbackQuery")] == [
        "cq21", "cq22"]


async def test_duplicate_update_id_is_processed_once(
    store: ServiceChannelStore, fake_telegram: FakeTelegram
) -> None:
    channel = make_channel(store, fake_telegram)
    recorder = Recorder()
    update = message_update(30, text="hello")
    async with serve_channel(channel, recorder) as url:
        statuses = [await post(url, update), await post(url, update)]
        await channel.tasks.join()
    assert statuses == [200, 200]
    assert recorder.texts == ["hello"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/start", "/greet"), ("/stop", "/stop"), ("/language@report_bot", "/change_language"),
     ("/inform{\"choice\":\"victim\"}", 'inform{"choice":"victim"}')],
)
async def test_commands_map_to_documented_payloads_and_typed_intents_are_defused(
    store: ServiceChannelStore, fake_telegram: FakeTelegram, text: str, expected: str
) -> None:
    channel = make_channel(store, fake_telegram)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        await post(url, message_update(40, text=text))
        await channel.tasks.join()
    assert recorder.texts == [expected]


async def test_photo_largest_size_is_fetched_and_stored_as_evidence(
    store: ServiceChannelStore, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.files["big"] = JPEG
    photo = (PhotoSize(file_id="small", file_unique_id="s", width=90, height=90, file_size=10),
             PhotoSize(file_id="big", file_unique_id="b", width=800, height=600,
                       file_size=len(JPEG)))
    channel = make_channel(store, fake_telegram)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        await post(url, message_update(50, photo=photo, caption="ở trạm xe buýt"))
        await channel.tasks.join()
    assert [c["file_id"] for c in fake_telegram.called("getFile")] == ["big"]
    assert recorder.texts == ["ở trạm xe buýt", '/inform{"choice":"evidence_received"}']


async def test_sticker_is_unsupported_media_and_still_200(
    store: ServiceChannelStore, fake_telegram: FakeTelegram
) -> None:
    sticker = Sticker(file_id="st", file_unique_id="st", width=512, height=512,
                      is_animated=False, is_video=False, type=Sticker.REGULAR)
    channel = make_channel(store, fake_telegram)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        assert await post(url, message_update(60, sticker=sticker)) == 200
        await channel.tasks.join()
    assert recorder.texts == ['/inform{"choice":"unsupported_media"}']


async def test_bot_token_chat_id_and_text_never_appear_in_logs(
    store: ServiceChannelStore, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_telegram.fail_methods.add("sendPhoto")  # an API error is logged too
    channel = make_channel(store, fake_telegram)  # Bot created after DEBUG is on
    recorder = Recorder(reply=lambda m: [{"text": "reply words"},
                                         {"image": "https://example.org/a.png"}])
    async with serve_channel(channel, recorder) as url:
        await post(url, message_update(70, text="secret words"))
        await post(url, message_update(70, text="secret words"))
        await post(url, message_update(71, text="secret words"), secret="wrong")
        await channel.tasks.join()
    assert recorder.texts == ["secret words"]
    assert fake_telegram.called("sendMessage") and fake_telegram.called("sendPhoto")
    assert "Telegram API call failed" in caplog.text
    for needle in (TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1], str(CHAT_ID), "secret words",
                   "reply words", SECRET):
        assert needle not in caplog.text


async def test_set_webhook_registers_url_with_secret_token(fake_telegram: FakeTelegram) -> None:
    config = make_config(fake_telegram)
    assert await set_webhook(config)
    [call] = fake_telegram.called("setWebhook")
    assert call["url"] == config.webhook_url
    assert call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]


def test_from_credentials_without_token_disables_the_channel() -> None:
    channel = TelegramInput.from_credentials({"token": "${TELEGRAM_BOT_TOKEN}",
                                              "secret_token": SECRET})
    assert isinstance(channel, TelegramInput)
    assert not channel.enabled


def test_config_repr_hides_the_token(fake_telegram: FakeTelegram) -> None:
    assert TELEGRAM_TOKEN not in repr(make_config(fake_telegram))
    assert isinstance(make_config(fake_telegram).make_bot(), Bot)


def test_set_webhook_reads_its_settings_from_the_environment_typed() -> None:
    from channels.telegram_channel import _config_from_env

    config = _config_from_env(
        {
            "TELEGRAM_BOT_TOKEN": " 123456:invented-token ",
            "TELEGRAM_WEBHOOK_SECRET": "invented-secret",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
            "TELEGRAM_API_BASE_URL": "",
        }
    )
    assert config is not None
    assert config.token == "123456:invented-token"  # stripped, like every setting
    assert config.secret_token == "invented-secret"
    assert config.webhook_url == "https://bot.example.org/webhooks/telegram/webhook"
    assert _config_from_env({}) is None  # no token: nothing to set
