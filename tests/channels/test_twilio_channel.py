"""Twilio channel: signed webhooks, background processing, replies through a fake Twilio API."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.settings import Settings
from bot.store.models import Evidence
from channels.render import UCS2, sms_units
from channels.store import ServiceChannelStore
from channels.twilio_channel import TwilioConfig, TwilioInput
from tests.channels.conftest import JPEG, FakeTwilio, Recorder, serve_channel

ACCOUNT_SID = "AC" + "0" * 30 + "42"
AUTH_TOKEN = "f" * 32
PUBLIC_URL = "https://reports.example.org/webhooks/twilio/webhook"
SMS_NUMBER = "+447700900001"
WHATSAPP_NUMBER = "+447700900002"
PERSON = "+447700900123"
PERSON_CN = "+8613700900123"


def make_channel(store: ServiceChannelStore, fake: FakeTwilio, **overrides: Any) -> TwilioInput:
    """A Twilio channel pointed at the fake API."""
    values: dict[str, Any] = dict(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, twilio_number=SMS_NUMBER,
        whatsapp_number=WHATSAPP_NUMBER, public_url=PUBLIC_URL, api_base_url=fake.base_url,
        whatsapp_template_sid="HX" + "1" * 32,
    )
    values.update(overrides)
    return TwilioInput(TwilioConfig(**values), store)


def inbound(sender: str, body: str = "", sid: str | None = None, **extra: str) -> dict[str, str]:
    """Form parameters as Twilio posts them for an inbound message."""
    params = {
        "MessageSid": sid or "SM" + str(time.time_ns()).rjust(32, "0"),
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": f"whatsapp:{WHATSAPP_NUMBER}" if sender.startswith("whatsapp:") else SMS_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
    }
    params.update(extra)
    return params


async def post(url: str, params: dict[str, str], *, signed_url: str | None = PUBLIC_URL,
               signature: str | None = None) -> aiohttp.ClientResponse:
    """POSTs form parameters signed with Twilio's own validator over ``signed_url``."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is None and signed_url is not None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    async with aiohttp.ClientSession() as session:
        resp = await session.post(f"{url}/webhook", data=urlencode(params), headers=headers)
        await resp.read()
        return resp


def echo(text: str) -> Any:
    """A bot that answers every message with ``text``."""
    return lambda _m: [{"text": text}]


@pytest.mark.parametrize("signature", [None, "bm90LXRoZS1yaWdodC1zaWduYXR1cmU="])
async def test_webhook_forged_or_unsigned_returns_403_and_processes_nothing(
    store: ServiceChannelStore, fake_twilio: FakeTwilio, signature: str | None
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo("hi"))
    async with serve_channel(channel, recorder) as url:
        resp = await post(url, inbound(PERSON, "hello"), signed_url=None, signature=signature)
        await channel.tasks.join()
    assert resp.status == 403
    assert recorder.messages == []
    assert fake_twilio.sent == []


async def test_webhook_signed_over_other_url_returns_403(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        resp = await post(url, inbound(PERSON, "hello"), signed_url="https://evil.example/hook")
        await channel.tasks.join()
    assert resp.status == 403
    assert recorder.messages == []


async def test_webhook_valid_signature_acknowledges_before_processing_and_reply_reaches_api(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    gate = asyncio.Event()
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo("Thank you for telling us."), gate=gate)
    async with serve_channel(channel, recorder) as url:
        resp = await post(url, inbound(f"whatsapp:{PERSON}", "hello"))
        # The webhook has answered while the bot is still blocked on the gate.
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/xml")
        assert recorder.messages == []
        gate.set()
        await channel.tasks.join()
    [message] = recorder.messages
    assert message.text == "hello"
    assert message.sender_id == store.pseudonymise("whatsapp", PERSON)
    assert PERSON not in message.sender_id
    assert message.input_channel == "twilio"
    assert message.metadata == {"channel": "whatsapp", "language_hint": None,
                                "hint_source": "phone"}
    assert fake_twilio.sent == [{"To": f"whatsapp:{PERSON}", "From": f"whatsapp:{WHATSAPP_NUMBER}",
                                 "Body": "Thank you for telling us."}]


async def test_webhook_without_public_url_validates_against_request_url(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    channel = make_channel(store, fake_twilio, public_url=None)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        resp = await post(url, inbound(PERSON, "hello"), signed_url=f"{url}/webhook")
        await channel.tasks.join()
    assert resp.status == 200
    assert recorder.texts == ["hello"]


async def test_numbered_reply_in_chinese_sms_maps_to_button_payload(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    buttons = [
        {"title": "我是受害者", "payload": '/inform{"choice":"victim"}'},
        {"title": "我是目击者", "payload": '/inform{"choice":"witness"}'},
        {"title": "代他人报告", "payload": '/inform{"choice":"on_behalf"}'},
    ]

    def bot(message: UserMessage) -> list[dict[str, Any]]:
        if message.text == "你好":
            return [{"text": "你想报告什么？", "buttons": buttons}]
        return [{"text": "谢谢。"}]

    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=bot)
    async with serve_channel(channel, recorder) as url:
        await post(url, inbound(PERSON_CN, "你好"))
        await channel.tasks.join()
        await post(url, inbound(PERSON_CN, " ２ "))  # full-width digit, with spaces
        await channel.tasks.join()
        await post(url, inbound(PERSON_CN, "2"))  # options were used up: plain text now
        await channel.tasks.join()
    assert fake_twilio.sent[0]["Body"] == "你想报告什么？\n1) 我是受害者\n2) 我是目击者\n3) 代他人报告"
    assert recorder.texts == ["你好", '/inform{"choice":"witness"}', "2"]
    assert recorder.messages[0].metadata["language_hint"] == "zh-Hans"
    assert recorder.messages[0].metadata["channel"] == "sms"


async def test_option_title_typed_back_maps_to_payload(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    buttons = [{"title": "Yes", "payload": '/inform{"choice":"yes"}'},
               {"title": "No", "payload": '/inform{"choice":"no"}'}]
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=lambda m: [{"text": "Continue?", "buttons": buttons}])
    async with serve_channel(channel, recorder) as url:
        await post(url, inbound(PERSON, "start"))
        await channel.tasks.join()
        await post(url, inbound(PERSON, "  no "))
        await channel.tasks.join()
    assert recorder.texts[1] == '/inform{"choice":"no"}'


async def test_long_chinese_sms_reply_is_split_into_ucs2_parts_that_rejoin(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    long_reply = (
        "谢谢你告诉我们发生了什么。你可以随时停下来，也可以跳过任何问题。"
        "我们不会在未经你同意的情况下分享你的信息。请告诉我事情发生在哪里，大概是什么时候。"
        "如果你现在有危险，请拨打999。我们会尽快联系你。🙏"
    ) * 8  # ~850 UTF-16 units: more than the 10 UCS-2 segments (670) one message may hold
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo(long_reply))
    async with serve_channel(channel, recorder) as url:
        await post(url, inbound(PERSON_CN, "你好"))
        await channel.tasks.join()
    bodies = [m["Body"] for m in fake_twilio.sent]
    assert len(bodies) > 1
    assert "".join(bodies) == long_reply
    assert all(sms_units(b, UCS2) <= 670 for b in bodies)  # each one concatenated SMS
    assert all(m["To"] == PERSON_CN and m["From"] == SMS_NUMBER for m in fake_twilio.sent)


async def test_duplicate_message_sid_is_processed_once(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo("ok"))
    params = inbound(PERSON, "hello", sid="SM" + "d" * 32)
    async with serve_channel(channel, recorder) as url:
        first = await post(url, params)
        second = await post(url, params)
        await channel.tasks.join()
    assert first.status == second.status == 200
    assert recorder.texts == ["hello"]
    assert len(fake_twilio.sent) == 1


async def test_duplicate_message_sid_across_two_processes_sharing_the_db_is_processed_once(
    migrated_settings: Settings, fake_twilio: FakeTwilio
) -> None:
    # Two channels with their own engines on one SQLite file, as two Rasa processes would be.
    channel_a = make_channel(ServiceChannelStore.from_settings(migrated_settings), fake_twilio)
    channel_b = make_channel(ServiceChannelStore.from_settings(migrated_settings), fake_twilio)
    recorder_a, recorder_b = Recorder(), Recorder()
    params = inbound(PERSON, "hello", sid="SM" + "e" * 32)
    async with serve_channel(channel_a, recorder_a) as url_a, \
            serve_channel(channel_b, recorder_b) as url_b:
        responses = await asyncio.gather(post(url_a, params), post(url_b, params))
        await asyncio.gather(channel_a.tasks.join(), channel_b.tasks.join())
    assert [r.status for r in responses] == [200, 200]
    assert len(recorder_a.messages) + len(recorder_b.messages) == 1


async def test_photo_evidence_is_fetched_with_basic_auth_and_stored(
    store: ServiceChannelStore, migrated_settings: Settings, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.media["ME1"] = ("image/jpeg", JPEG)
    fake_twilio.expected_auth = "Basic " + base64.b64encode(
        f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    channel = make_channel(store, fake_twilio)
    recorder = Recorder()
    params = inbound(f"whatsapp:{PERSON}", "", NumMedia="1",
                     MediaUrl0=f"{fake_twilio.base_url}/media/ME1",
                     MediaContentType0="image/jpeg")
    async with serve_channel(channel, recorder) as url:
        resp = await post(url, params)  # Body="" is blank and still signed
        await channel.tasks.join()
    assert resp.status == 200
    assert fake_twilio.media_auth == [fake_twilio.expected_auth]
    assert recorder.texts == ['/inform{"choice":"evidence_received"}']
    pseudonym = store.pseudonymise("whatsapp", PERSON)
    from bot.store.db import make_engine, make_session_factory

    with make_session_factory(make_engine(migrated_settings.database_url))() as session:
        rows = session.scalars(select(Evidence).where(Evidence.conversation_key == pseudonym)).all()
    assert [(r.content_type, r.size) for r in rows] == [("image/jpeg", len(JPEG))]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"NumMedia": "1", "MediaUrl0": "http://127.0.0.1:9/voice.ogg",
          "MediaContentType0": "audio/ogg"}, '/inform{"choice":"unsupported_media"}'),
        ({}, '/inform{"choice":"empty_message"}'),
        ({"Latitude": "51.5", "Longitude": "-0.1"}, '/inform{"choice":"unsupported_media"}'),
    ],
)
async def test_bad_input_returns_200_and_tells_the_bot_with_a_special_payload(
    store: ServiceChannelStore, fake_twilio: FakeTwilio, extra: dict[str, str], expected: str
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        resp = await post(url, inbound(f"whatsapp:{PERSON}", "", **extra))
        await channel.tasks.join()
    assert resp.status == 200
    assert recorder.texts == [expected]
    assert fake_twilio.media_auth == []  # unsupported media is never downloaded


async def test_oversized_image_is_refused_as_unsupported_media(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.media["BIG"] = ("image/jpeg", JPEG + b"\x00" * 2048)
    fake_twilio.expected_auth = "Basic " + base64.b64encode(
        f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    channel = make_channel(store, fake_twilio, media_max_bytes=1024)
    recorder = Recorder()
    params = inbound(f"whatsapp:{PERSON}", "", NumMedia="1",
                     MediaUrl0=f"{fake_twilio.base_url}/media/BIG", MediaContentType0="image/jpeg")
    async with serve_channel(channel, recorder) as url:
        await post(url, params)
        await channel.tasks.join()
    assert recorder.texts == ['/inform{"choice":"unsupported_media"}']


async def test_whatsapp_reply_outside_24h_window_uses_template_once(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo("Welcome back."))
    async with serve_channel(channel, recorder) as url:
        await post(url, inbound(f"whatsapp:{PERSON}", "hello"))
        await channel.tasks.join()
        pseudonym = recorder.messages[0].sender_id
        # 25 hours pass without a message from the person.
        await store.set_state("whatsapp", pseudonym, "last_inbound", time.time() - 25 * 3600)
        output = channel.get_output_channel("whatsapp")
        assert output is not None
        await output.send_text_message(pseudonym, "A caseworker has an update for you.")
        await output.send_text_message(pseudonym, "Second message while still closed.")
        # The person answers: the window is open again and free text flows.
        await post(url, inbound(f"whatsapp:{PERSON}", "yes"))
        await channel.tasks.join()
    first, template, after = fake_twilio.sent
    assert first["Body"] == "Welcome back."
    assert template["ContentSid"] == "HX" + "1" * 32
    assert "Body" not in template
    assert after["Body"] == "Welcome back."


async def test_sms_stop_is_respected_until_start(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo("We are here if you need us."))
    async with serve_channel(channel, recorder) as url:
        await post(url, inbound(PERSON, "Stop"))
        await channel.tasks.join()
        await post(url, inbound(PERSON, "one more thing"))  # still opted out: bot muted
        await channel.tasks.join()
        assert fake_twilio.sent == []
        await post(url, inbound(PERSON, "START"))
        await channel.tasks.join()
        await post(url, inbound(PERSON, "hello again"))
        await channel.tasks.join()
    assert recorder.texts == ["/stop_contact", "one more thing", "hello again"]
    assert [m["Body"] for m in fake_twilio.sent] == ["We are here if you need us."]


async def test_typed_intent_is_not_passed_to_rasa(
    store: ServiceChannelStore, fake_twilio: FakeTwilio
) -> None:
    channel = make_channel(store, fake_twilio)
    recorder = Recorder()
    async with serve_channel(channel, recorder) as url:
        await post(url, inbound(PERSON, "/stop_contact"))
        await channel.tasks.join()
    assert recorder.texts == ["stop_contact"]


async def test_logs_never_contain_phone_numbers_or_message_text(
    store: ServiceChannelStore, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    channel = make_channel(store, fake_twilio)
    recorder = Recorder(reply=echo("reply words"))
    params = inbound(PERSON, "secret words")
    async with serve_channel(channel, recorder) as url:
        await post(url, params)
        await post(url, params)  # duplicate, logged
        await post(url, params, signature="forged")  # forged, logged
        await channel.tasks.join()
    assert recorder.texts == ["secret words"]
    for needle in (PERSON, PERSON.lstrip("+"), "secret words", "reply words", AUTH_TOKEN,
                   params["MessageSid"]):
        assert needle not in caplog.text


def test_from_credentials_without_secrets_disables_the_channel() -> None:
    channel = TwilioInput.from_credentials({"account_sid": "${TWILIO_ACCOUNT_SID}",
                                            "auth_token": ""})
    assert isinstance(channel, TwilioInput)
    assert not channel.enabled
    assert channel.get_output_channel() is None


async def test_disabled_channel_answers_503(store: ServiceChannelStore) -> None:
    channel = TwilioInput(None, None)
    async with serve_channel(channel, Recorder()) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/") as health:
            assert health.status == 503
        async with session.post(f"{url}/webhook", data="Body=x") as hook:
            assert hook.status == 503
