"""Over SMS (real Rasa + action server, fake Twilio API) the police question arrives with all its
choices: before, the bullets made it UCS-2, it needed more than 5 parts and the rest was replaced
by an ellipsis, so only "Yes, with my details" ever arrived."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from channels.render import GSM7, sms_encoding
from tests.channels.conftest import FakeTwilio, run_fake
from tests.e2e.test_channels_full import ACCOUNT_SID, AUTH_TOKEN, SMS_NUMBER, settle, start

pytestmark = pytest.mark.e2e

# Invented numbers: a UK one (Ofcom drama range) and a Vietnamese-looking one (a language hint).
PEOPLE = {"en": "+447700900123", "vi": "+84900000123"}
FLOW = {
    "en": ("Hello, I want to report something", "A man shouted at me at the bus stop.", "yesterday"),
    "vi": ("Xin chào, tôi muốn báo cáo một chuyện", "Có người đàn ông chửi tôi ở trạm xe buýt.",
           "hôm qua"),
}
CHOICES = {
    "en": ["Yes, with my details", "Yes, anonymously", "No, not the police"],
    "vi": ["Có, kèm thông tin của tôi", "Có, nhưng giấu tên", "Không, không báo cảnh sát"],
}


async def test_the_police_question_arrives_whole_over_sms(tmp_path: Any) -> None:
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
                for code, person in PEOPLE.items():

                    async def sms(body: str, person: str = person) -> list[str]:
                        params = {
                            "From": person, "To": SMS_NUMBER, "Body": body, "NumMedia": "0",
                            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                        }
                        headers = {"X-Twilio-Signature": validator.compute_signature(webhook, params)}
                        before = len(fake.sent)
                        async with http.post(webhook, data=params, headers=headers) as response:
                            assert response.status == 200
                        await settle(lambda: len(fake.sent), before)
                        return [m["Body"] for m in fake.sent[before:]]

                    opener, description, when = FLOW[code]
                    first = await sms(opener)
                    if any("1) English" in b for b in first):  # the language menu
                        await sms("1" if code == "en" else "4")
                    for answer in ("1", description, "1", "1", "1", when, "Leeds", "1", "1", "1",
                                   "1"):
                        await sms(answer)
                    police = "\n".join(await sms("7"))  # no support needed → the police question
                    for number, title in enumerate(CHOICES[code], start=1):
                        assert f"{number}) {title}" in police, (code, police)
                    assert "…" not in police and "..." not in police
                    if code == "en":
                        assert sms_encoding(police) == GSM7  # bullets sent as "-"
        finally:
            for name in list(stack.procs):
                stack.stop(name)
