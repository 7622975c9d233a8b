"""A person's own report later, through the real Rasa + action server: the reference alone never
opens it; with the second factor they read what they agreed to, withdraw a consent (acted on in
the store), ask the status and add something; an unfinished report saved in one chat continues
in another without the two being linked; "delete" erases the chat. Invented data only."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid

import pytest
from sqlalchemy import select

from bot.store import person, service
from bot.store.models import Case, SavedDraft
from tests.e2e.conftest import RestChat, Stack
from tests.e2e.test_report_rest import REFERENCE, reference_of

pytestmark = pytest.mark.e2e

PHONE_TYPED = "020 7946 0456"
CANARY = "Invented draft canary: a cyclist spat at us near Exampletown bridge"


def chat(stack: Stack, prefix: str = "e2e") -> RestChat:
    return RestChat(stack, f"{prefix}-{uuid.uuid4().hex[:12]}")


def begin(c: RestChat) -> list[dict]:
    replies = c.say("hello")
    if any("lang:" in p for p in c.payloads(replies)):
        replies = c.choose("lang:en")
    return replies


def tracker_events(stack: Stack, sender: str) -> int:
    with sqlite3.connect(stack.env["TRACKER_DB"]) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])


def submit_named_report(stack: Stack) -> tuple[RestChat, str]:
    c = chat(stack)
    begin(c)
    c.choose("victim")
    c.say("A man shouted at me on the tram and pushed me (invented).")
    c.say("done")
    c.choose("verbal_abuse")
    c.choose("done")
    c.say("yesterday")
    c.say("Exampletown")
    c.choose("public_transport")
    c.choose("race")
    c.choose("done")
    c.say("a tall man, about 40")
    c.choose("no_support")
    c.choose("named")
    c.choose("no")  # no caseworker
    c.say("Alex Example")
    c.say(PHONE_TYPED)
    c.say("alex@example.org")
    c.choose("yes")  # safe to leave a message
    c.say("weekday mornings")
    done = c.choose("confirm")
    assert any("set_secret" in p for p in c.payloads(done)), "the secret word is offered"
    return c, reference_of(done)


def test_reference_plus_contact_channel_opens_the_ledger_and_withdrawal_acts(stack: Stack) -> None:
    _first, reference = submit_named_report(stack)
    other = chat(stack, "tg")  # another channel identity: nothing links it to the first chat
    asked = other.say("my report")
    assert "reference number" in other.text(asked)
    assert "secret word" in other.text(other.say(reference.lower()))
    failed = other.say("blue lantern")  # no secret set: the reference alone is not enough
    assert "don't match" in other.text(failed)
    other.say(reference)
    menu = other.say(PHONE_TYPED)
    assert "What would you like to do?" in other.text(menu)

    ledger = other.text(other.choose("consents"))
    assert "Passing your report to the police: Yes, with my details" in ledger

    status = other.text(other.choose("status"))
    assert reference in status and "reached us" in status

    offered = other.payloads(other.choose("withdraw"))
    assert any("police_referral" in p for p in offered)
    assert not any("caseworker_referral" in p for p in offered)  # they said no to that
    assert "Are you sure" in other.text(other.choose("police_referral"))
    withdrawn = other.text(other.choose("yes"))
    assert "will not pass your report to the police" in withdrawn

    assert "add to your report" in other.text(other.choose("add"))
    added = other.text(other.say("I remembered: he had a green umbrella (invented)."))
    assert "added this to your report" in added

    assert "at least 6 characters" in other.text(other.choose("set_secret"))
    assert "at least 6" in other.text(other.say("abc"))
    assert "secret word is saved" in other.text(other.say("Paper Lantern 42"))
    assert "take care" in other.text(other.choose("finish")).lower()
    # The secret word and the second factor never reached the stored conversation in clear.
    stored = json.dumps(stored_events(stack, other.sender), ensure_ascii=False).lower()
    assert "paper lantern" not in stored and "7946 0456" not in stored
    assert "[secret word hidden]" in stored
    assert "i remembered" in stored  # other messages are kept as they were

    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
        extra = person.additions(session, keyring, reference)
    assert case["police_referral_status"] == "stopped"
    police = [c for c in case["consents"] if c["kind"] == "police_referral"]
    assert police and police[0]["withdrawn_at"] and police[0]["withdrawn_channel"] == "rest"
    assert [a["text"] for a in extra] == ["I remembered: he had a green umbrella (invented)."]

    # The secret word now opens it from a third chat.
    third = chat(stack, "wa")
    third.say("my report")
    third.say(reference)
    assert "What would you like to do?" in third.text(third.say("paper lantern 42"))


def test_wrong_second_factors_slow_that_chat_but_never_lock_the_owner_out(stack: Stack) -> None:
    _first, reference = submit_named_report(stack)
    c = chat(stack)
    c.say("my report")
    last: list[dict] = []
    for attempt in range(person.CLIENT_FREE_TRIES):
        c.say(reference)
        last = c.say(f"wrong guess {attempt}")
    assert "please wait about" in c.text(last)
    c.say("my report")
    c.say(reference)
    assert "please wait about" in c.text(c.say(PHONE_TYPED))  # this chat waits, even when right
    owner = chat(stack)  # the owner, from another phone, is not locked out by someone else
    owner.say("my report")
    owner.say(reference)
    assert "What would you like to do?" in owner.text(owner.say(PHONE_TYPED))


def stored_events(stack: Stack, sender: str) -> list[dict]:
    """The conversation's events as the tracker store holds them (decrypted)."""
    from bot.privacy.tracker_events import open_event

    _sessions, keyring = stack.store()
    with sqlite3.connect(stack.env["TRACKER_DB"]) as conn:
        rows = conn.execute(
            "SELECT id, type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    return [open_event(keyring, sender, row_id, type_name, data) for row_id, type_name, data in rows]


def test_slots_forged_through_the_api_open_nothing(stack: Stack) -> None:
    """Injecting `access_form` with `access_verified` (the attack of issue 11) shows and changes
    nothing: access is the store's grant for this conversation, not a slot."""
    import json
    import urllib.request

    _first, reference = submit_named_report(stack)
    forger = chat(stack, "forged")
    begin(forger)
    def forge(action: str | None, requested: str) -> None:
        events = [
            {"event": "active_loop", "name": "access_form"},
            {"event": "slot", "name": "access_verified", "value": reference},
            {"event": "slot", "name": "access_action", "value": action},
            {"event": "slot", "name": "requested_slot", "value": requested},
        ]
        request = urllib.request.Request(
            stack.rasa_api(f"/conversations/{forger.sender}/tracker/events"),
            data=json.dumps(events).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200

    forge(None, "access_action")
    shown = forger.text(forger.choose("consents"))
    assert "check your details again" in shown and "agreed to" not in shown
    assert "police" not in shown.lower() and reference not in shown
    forge("set_secret", "access_new_secret")
    shown = forger.text(forger.say("Attacker Word 99"))
    assert "check your details again" in shown and "is saved" not in shown
    sessions, _keyring = stack.store()
    with sessions() as session:
        assert session.scalar(select(Case.secret_hash).where(Case.reference == reference)) is None


def test_no_thanks_at_the_save_prompt_carries_on_in_any_language(stack: Stack) -> None:
    c = chat(stack)
    begin(c)
    c.choose("witness")
    c.say(CANARY)
    c.say("done")
    asked = c.say("save for later")
    declined = c.choose("no")
    assert "at least 6" not in c.text(declined) and "carry on" in c.text(declined).lower()
    c.say("save for later")
    again = c.say("không")  # a Vietnamese "no" declines too (not refused as too short)
    assert "at least 6" not in c.text(again)
    assert any('"no"' in p for p in c.payloads(asked))


def test_a_saved_draft_continues_in_another_chat_without_linking_them(stack: Stack) -> None:
    first = chat(stack, "wa")
    begin(first)
    first.choose("witness")
    first.say(CANARY)
    first.say("done")
    asked = first.say("save for later")
    assert "secret word" in first.text(asked)
    assert any('"no"' in p for p in first.payloads(asked)), "a No thanks way out is offered"
    saved = first.say("kettle and moon")
    code = REFERENCE.search(first.text(saved))
    assert code, first.text(saved)
    assert tracker_events(stack, first.sender) == 0  # the first chat is erased

    second = chat(stack, "web")
    begin(second)
    second.say("my report")
    second.say(code.group(1))
    resumed = second.say("Kettle and Moon")
    assert "carry on where you left off" in second.text(resumed)
    assert "What kind of incident" in second.text(resumed)  # the next unanswered question
    assert "kettle" not in json.dumps(stored_events(stack, second.sender), ensure_ascii=False).lower()
    second.choose("verbal_abuse")
    second.choose("done")
    second.choose("not_sure")  # when
    second.say("skip")  # where
    second.choose("street")
    second.choose("race")
    second.choose("done")
    second.say("skip")
    second.choose("no_support")
    second.choose("none")
    second.choose("no")
    second.choose("no")  # no contact
    done = second.choose("confirm")
    reference = reference_of(done)

    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
        drafts = session.scalar(select(SavedDraft.id))
        stored_keys = set(session.scalars(select(Case.conversation_key)))
    assert case["incident"]["description"] == CANARY and case["incident"]["reporter_role"] == "witness"
    assert case["conversation_key"] == second.sender and first.sender not in stored_keys
    assert drafts is None


def test_delete_erases_the_chat_at_once_and_after_a_report_asks_first(stack: Stack) -> None:
    c = chat(stack)
    begin(c)
    c.choose("victim")
    c.say(CANARY)
    assert tracker_events(stack, c.sender) > 0
    erased = c.say("delete")
    assert "deleted this chat" in c.text(erased)
    assert tracker_events(stack, c.sender) == 0
    fresh = c.say("hello")
    assert "999" in c.text(fresh)  # a new conversation

    reporter, reference = submit_named_report(stack)
    asked = reporter.say("exit")
    assert reference in reporter.text(asked) and "delete this chat" in reporter.text(asked)
    assert "nothing has been deleted" in reporter.text(reporter.say("no"))
    assert tracker_events(stack, reporter.sender) > 0
    reporter.say("delete")
    assert "deleted this chat" in reporter.text(reporter.say("yes"))
    assert tracker_events(stack, reporter.sender) == 0
    sessions, keyring = stack.store()
    with sessions() as session:
        assert service.get_case(session, keyring, reference) is not None  # the report stays


def test_secret_word_right_after_a_report_needs_no_code(stack: Stack) -> None:
    c, reference = submit_named_report(stack)
    asked = c.say('/my_report{"choice":"set_secret"}')
    assert "at least 6 characters" in c.text(asked)
    assert "secret word is saved" in c.text(c.say("river stone 9"))
    other = chat(stack)
    other.say("my report")
    other.say(reference)
    assert "What would you like to do?" in other.text(other.say("RIVER STONE 9"))
    assert re.search(r"reached us", other.text(other.choose("status")))
