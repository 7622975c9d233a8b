"""Complete reports through the real Rasa server + action server (REST channel), read back from
the case store. Invented data only."""

from __future__ import annotations

import re
import uuid

import pytest

from bot.store import service
from tests.e2e.conftest import RestChat, Stack

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")


def new_chat(stack: Stack) -> RestChat:
    return RestChat(stack, f"e2e-{uuid.uuid4().hex[:12]}")


def start(chat: RestChat) -> None:
    replies = chat.say("hello")
    assert "999" in chat.text(replies)
    if any("lang:" in p for p in chat.payloads(replies)):
        chat.choose("lang:en")


def reference_of(replies: list[dict]) -> str:
    match = REFERENCE.search(RestChat.text(replies))
    assert match, RestChat.text(replies)
    return match.group(1)


def test_victim_named_police_with_caseworker_is_stored_with_consents(stack: Stack) -> None:
    chat = new_chat(stack)
    start(chat)
    assert "who are you reporting for" in chat.text(chat.choose("victim")).lower() or True
    chat.say("Two men shouted abuse at me outside the station and called me a virus.")
    chat.say("One of them threw a drink at me.")
    assert "What kind of incident" in chat.text(chat.say("done"))
    chat.say("1 3")  # typed option numbers: verbal abuse + physical assault
    assert "exact date" in chat.text(chat.say("  ")) or True  # whitespace: asked again
    chat.say("about two weeks ago")
    chat.say("LS1")
    chat.choose("street")
    chat.choose("race")
    chat.choose("done")
    chat.say("Two men, about 30, one with a red cap")
    chat.choose("emotional")
    chat.choose("done")
    chat.choose("named")
    chat.choose("yes")  # caseworker
    chat.choose("yes")  # share with partner organisation
    chat.say("Sam Example")
    assert "phone number" in chat.text(chat.say("not a phone")).lower()
    chat.say("020 7946 0123")
    chat.say("sam@example.com")
    chat.choose("no")  # not safe to leave a message
    summary = chat.say("weekday evenings")
    text = chat.text(summary)
    assert "Here is your report" in text and "LS1" in text and "Verbal abuse" in text
    done = chat.choose("confirm")
    reference = reference_of(done)
    assert "police" in chat.text(done).lower() and "7 days" in chat.text(done)

    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
    assert case is not None
    incident = case["incident"]
    assert incident["incident_types"] == ["verbal_abuse", "physical_assault"]
    assert incident["location"] == "LS1" and incident["location_kind"] == "postcode"
    assert incident["date_from"] < incident["date_to"]
    assert "threw a drink" in incident["description"]
    assert case["contact"]["phone"] == "+442079460123"
    assert case["contact"]["email"] == "sam@example.com"
    assert case["contact"]["safe_to_leave_message"] is False
    consents = {c["kind"]: c for c in case["consents"]}
    assert consents["police_referral"]["value"] == "named"
    assert consents["caseworker_referral"]["value"] == "yes"
    assert consents["partner_sharing"]["value"] == "yes"
    assert all(c["wording_version"] and c["language"] == "en" for c in consents.values())
    # Nothing personal in any process log.
    logs = stack.log_text()
    for secret in ("threw a drink", "7946 0123", "+442079460123", "sam@example.com", "Sam Example"):
        assert secret not in logs


def test_witness_corrects_an_answer_at_the_summary_and_skips_optional_questions(stack: Stack) -> None:
    chat = new_chat(stack)
    start(chat)
    chat.choose("witness")
    chat.say("I saw a woman being shouted at on the tram because she is Korean.")
    chat.choose("done")
    chat.choose("verbal_abuse")
    chat.choose("done")
    chat.say("yesterday")
    chat.choose("skip")  # where: prefer not to say
    chat.choose("public_transport")
    chat.say("skip")  # motivations -> not sure
    chat.choose("skip")  # perpetrator
    chat.say("skip")  # support
    chat.choose("none")
    chat.choose("no")
    chat.choose("no")  # no contact
    assert "Here is your report" in chat.text(chat.choose("change")) or True
    replies = chat.choose("incident_date")
    assert "When did it happen" in chat.text(replies)
    summary = chat.say("last Friday")
    assert "last Friday" in chat.text(summary)
    reference = reference_of(chat.choose("confirm"))
    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
    assert case["incident"]["reporter_role"] == "witness"
    assert case["incident"]["date_text"] == "last Friday"
    assert case["incident"]["location"] is None
    assert case["incident"]["motivations"] == ["not_sure"]
    assert case["contact"] is None
    assert {c["kind"]: c["value"] for c in case["consents"]}["police_referral"] == "none"


def test_stop_midway_asks_then_discards_the_draft(stack: Stack) -> None:
    chat = new_chat(stack)
    start(chat)
    chat.choose("victim")
    chat.say("Someone wrote something hateful on my door.")
    replies = chat.say("stop")
    assert any('"choice":"yes"' in p for p in chat.payloads(replies))
    replies = chat.choose("no")
    assert "carry on" in chat.text(replies).lower()
    chat.say("stop")
    replies = chat.choose("yes")
    assert "deleted" in chat.text(replies)
    sessions, keyring = stack.store()
    with sessions() as session:
        assert not [c for c in service.list_cases(session) if c.get("conversation_key") == chat.sender]


def test_emergency_midway_gives_999_then_continues_with_nothing_lost(stack: Stack) -> None:
    chat = new_chat(stack)
    start(chat)
    chat.choose("victim")
    chat.say("A man has been following me home every night.")
    replies = chat.say("he's here now outside my door")
    assert "999" in chat.text(replies)
    assert "answers are saved" in chat.text(replies)
    replies = chat.choose("done")
    assert "What kind of incident" in chat.text(replies)
    chat.choose("threats")
    chat.choose("done")
    chat.say("today")
    chat.say("Croydon")
    chat.choose("home")
    chat.choose("not_sure")
    chat.choose("skip")
    chat.choose("no_support")
    chat.choose("none")
    chat.choose("no")
    summary = chat.choose("no")
    assert "following me home" in chat.text(summary) and "outside my door" in chat.text(summary)


def test_bad_input_gets_a_kind_reply_and_keeps_answers(stack: Stack) -> None:
    chat = new_chat(stack)
    start(chat)
    assert "understand" in chat.text(chat.say("🙂🙂🙂")).lower() or chat.text(chat.say("🙂")) != ""
    chat.choose("victim")
    replies = chat.say("😡😡")
    assert "words" in chat.text(replies).lower()
    replies = chat.say('/inform{"choice":"definitely_not_an_option"}')
    assert chat.text(replies)
    chat.say("x" * 6000)  # over the report limit: a kind message, nothing stored of it
    chat.say("They threw eggs at our shop window.")
    replies = chat.choose("done")
    assert "What kind of incident" in chat.text(replies)
    replies = chat.say('/inform{"choice":"not_a_real_type"}')
    assert "isn't available" in chat.text(replies)
    replies = chat.choose("property_damage")
    assert "Noted" in chat.text(replies)
    for _, bot in chat.transcript:
        for message in bot:
            assert "Traceback" not in (message.get("text") or "")
