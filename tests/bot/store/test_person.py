"""Person-side access to a report (bot.store.person): second factor, attempt limits, consent
withdrawal acting everywhere, additions, saved drafts. Invented data only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from bot.crypto import Keyring
from bot.store import person, service
from bot.store.handoff_models import AuditEntry, CallbackTask, Casework
from bot.store.models import Case, SavedDraft
from tests.bot.store.drafts import make_draft

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PHONE = "+442079460321"  # Ofcom drama range (London)


def _contact(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Test Person",
        "phone": PHONE,
        "email": "test.person@example.org",
        "safe_to_leave_message": False,
        "safe_times": "weekday mornings",
        **extra,
    }


def _submit(sessions: Any, keyring: Keyring, key: str = "d1", **overrides: Any) -> str:
    overrides.setdefault("contact", _contact())
    with sessions() as session:
        return service.submit_report(
            session, keyring, make_draft(**overrides), submission_key=key
        ).reference


def _verify(sessions: Any, keyring: Keyring, ref: str, factor: str, now: datetime = NOW) -> person.Access:
    with sessions() as session:
        return person.verify_access(session, keyring, ref, factor, now=now)


def test_reference_alone_never_opens_and_the_contact_channel_does(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    assert not _verify(session_factory, keyring, ref, "").ok
    assert not _verify(session_factory, keyring, ref, ref).ok
    assert not _verify(session_factory, keyring, ref, "020 7946 0999").ok
    opened = _verify(session_factory, keyring, ref.lower().replace("-", " "), "020 7946 0321")
    assert opened.ok and opened.kind == "case" and opened.reference == ref
    assert _verify(session_factory, keyring, ref, " Test.Person@Example.org ").ok


def test_secret_word_is_a_second_factor_and_is_stored_hashed(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring, contact=None)
    assert not _verify(session_factory, keyring, ref, "blue lantern").ok
    with session_factory() as session:
        with pytest.raises(person.AccessError):
            person.set_case_secret(session, ref, "abc")
        person.set_case_secret(session, ref, "Blue  Lantern")
    with session_factory() as session:
        stored = session.scalar(select(Case.secret_hash).where(Case.reference == ref))
    assert stored and "lantern" not in stored.lower() and stored.startswith("$argon2id$")
    assert _verify(session_factory, keyring, ref, "blue lantern").ok
    assert not _verify(session_factory, keyring, ref, "blue lanterns").ok


def test_a_client_that_keeps_failing_waits_longer_each_time_but_nobody_else_does(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)

    def attempt(factor: str, client: str, now: datetime = NOW) -> person.Access:
        with session_factory() as session:
            return person.verify_access(session, keyring, ref, factor, now=now, client=client)

    results = [attempt(f"wrong guess {i}", "attacker-chat") for i in range(person.CLIENT_FREE_TRIES)]
    assert [r.locked for r in results] == [False] * (person.CLIENT_FREE_TRIES - 1) + [True]
    first_wait = results[-1].wait_seconds
    assert first_wait == int(person.CLIENT_BASE_DELAY.total_seconds())
    # While waiting, even the right factor is not checked for this client ...
    assert attempt(PHONE, "attacker-chat").locked
    # ... but the owner, from another chat, gets in at once: no hard lock of the reference.
    assert attempt(PHONE, "owner-new-phone").ok
    later = NOW + timedelta(seconds=first_wait + 1)
    again = attempt("wrong again", "attacker-chat", later)
    assert again.locked and again.wait_seconds == 2 * first_wait  # progressive
    assert not attempt(PHONE, "attacker-chat", NOW + timedelta(days=2)).locked  # forgotten


def test_rotating_conversations_is_slowed_per_reference_but_never_for_an_hour(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)

    def attempt(factor: str, client: str, now: datetime = NOW) -> person.Access:
        with session_factory() as session:
            return person.verify_access(session, keyring, ref, factor, now=now, client=client)

    for i in range(person.REFERENCE_FREE_TRIES):
        attempt(f"guess {i}", f"rotating-{i}")
    blocked = attempt("another guess", "rotating-new")
    assert blocked.locked and 0 < blocked.wait_seconds <= person.REFERENCE_MAX_DELAY.total_seconds()
    # Keep hammering: the spacing grows but stays bounded (the owner waits minutes, not an hour).
    now = NOW
    for i in range(30):
        now += timedelta(seconds=attempt("x", f"r{i}", now).wait_seconds + 1)
        attempt(f"hammer {i}", f"r{i}", now)
    waited = attempt(PHONE, "owner-new-phone", now).wait_seconds
    assert 0 < waited <= person.REFERENCE_MAX_DELAY.total_seconds()
    assert attempt(PHONE, "owner-new-phone", now + timedelta(seconds=waited + 1)).ok
    # The chat that made the report is a known client: never slowed by strangers.
    for i in range(person.REFERENCE_FREE_TRIES + 2):
        attempt(f"more {i}", f"s{i}", now)
    with session_factory() as session:
        maker = service.get_case(session, keyring, ref)["conversation_key"]
    assert attempt(PHONE, maker, now).ok


def test_staff_unlock_clears_the_reference_slow_down_and_is_audited(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    for i in range(person.REFERENCE_FREE_TRIES):
        with session_factory() as session:
            person.verify_access(session, keyring, ref, f"guess {i}", now=NOW, client=f"c{i}")
    with session_factory() as session:
        assert person.is_locked(session, keyring, ref, now=NOW, client="owner")
        assert person.unlock_reference(session, ref.lower(), keyring=keyring, now=NOW) is True
        assert not person.is_locked(session, keyring, ref, now=NOW, client="owner")
        assert person.unlock_reference(session, "ZZZZ-0000", keyring=keyring) is False
        assert person.unlock_reference(session, "not a code", keyring=keyring) is False
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == ref)))
    assert "staff.unlock_reference" in actions
    with session_factory() as session:
        assert person.verify_access(session, keyring, ref, PHONE, now=NOW, client="owner").ok


def test_a_grant_is_bound_to_one_conversation_expires_and_is_revoked(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        assert person.granted_reference(session, keyring, "chat-a", now=NOW) is None
        person.grant_access(session, keyring, "chat-a", ref, now=NOW)
    with session_factory() as session:
        assert person.granted_reference(session, keyring, "chat-a", now=NOW) == ref
        assert person.granted_reference(session, keyring, "chat-b", now=NOW) is None
        soon = NOW + timedelta(minutes=person.GRANT_MINUTES - 1)
        assert person.granted_reference(session, keyring, "chat-a", now=soon) == ref  # refreshed
        idle = soon + timedelta(minutes=person.GRANT_MINUTES + 1)
        assert person.granted_reference(session, keyring, "chat-a", now=idle) is None
        person.grant_access(session, keyring, "chat-a", ref, now=NOW)
        assert person.revoke_access(session, keyring, "chat-a", now=NOW) == 1
        assert person.granted_reference(session, keyring, "chat-a", now=NOW) is None
    with session_factory() as session:
        person.grant_access(session, keyring, "chat-a", ref, now=NOW)
        capped = NOW
        while capped < NOW + timedelta(minutes=person.GRANT_MAX_MINUTES + 5):
            capped += timedelta(minutes=person.GRANT_MINUTES - 1)
            person.granted_reference(session, keyring, "chat-a", now=capped)
        assert person.granted_reference(session, keyring, "chat-a", now=capped) is None  # cap
        from bot.store.models import AccessGrant

        subjects = list(session.scalars(select(AccessGrant.subject)))
    assert subjects and all("chat-a" not in s for s in subjects)  # a keyed hash only


def test_only_the_chat_that_made_a_case_is_granted_without_a_factor_and_only_for_an_hour(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        case = session.scalar(select(Case).where(Case.reference == ref))
        maker, made = case.conversation_key, case.created_at
    with session_factory() as session:
        assert not person.grant_if_just_submitted(session, keyring, "forger", ref, now=made)
        late = made + timedelta(seconds=person.FRESH_SECONDS + 1)
        assert not person.grant_if_just_submitted(session, keyring, maker, ref, now=late)
        assert person.grant_if_just_submitted(session, keyring, maker, ref, now=made + timedelta(minutes=5))
        assert person.granted_reference(session, keyring, maker, now=made + timedelta(minutes=6)) == ref


def test_unknown_reference_and_wrong_factor_look_the_same(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    unknown = "ZZZZ-9999" if ref != "ZZZZ-9999" else "YYYY-9999"
    assert _verify(session_factory, keyring, unknown, PHONE) == _verify(session_factory, keyring, ref, "nope nope")
    assert _verify(session_factory, keyring, "not a code", PHONE) == person.Access(ok=False)


def test_status_follows_casework(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        assert person.case_status(session, ref) == "received"
        case_id = session.scalar(select(Case.id).where(Case.reference == ref))
        session.add(Casework(case_id=case_id, partner_id="p1", status="accepted",
                             first_contact_due=NOW, caseworker_due=NOW))
        session.commit()
        assert person.case_status(session, ref) == "with_caseworker"
        session.scalar(select(Case).where(Case.id == case_id)).status = "closed"
        session.commit()
        assert person.case_status(session, ref) == "closed"


def test_withdrawing_police_consent_stops_an_unsent_referral_and_is_recorded(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        assert "police_referral" in person.withdrawable(session, ref)
        outcome = person.withdraw_consent(session, keyring, ref, "police_referral",
                                          channel="twilio_sms", language="vi", now=NOW)
    assert outcome.changed and not outcome.police_already_sent
    with session_factory() as session:
        case = service.get_case(session, keyring, ref)
        assert person.mark_police_referral_sent(session, ref, now=NOW) is False
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == ref)))
    assert case["police_referral_status"] == "stopped"
    police = [c for c in case["consents"] if c["kind"] == "police_referral"][0]
    assert police["withdrawn_at"] and police["withdrawn_channel"] == "twilio_sms"
    assert police["withdrawn_language"] == "vi"
    assert "person.consent_withdrawn" in actions
    with session_factory() as session:  # withdrawing twice changes nothing
        assert not person.withdraw_consent(session, keyring, ref, "police_referral",
                                           channel="rest", language="en", now=NOW).changed


def test_a_referral_already_sent_is_reported_as_such(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        assert person.mark_police_referral_sent(session, ref, now=NOW)
        outcome = person.withdraw_consent(session, keyring, ref, "police_referral",
                                          channel="rest", language="en", now=NOW)
    assert outcome.changed and outcome.police_already_sent
    with session_factory() as session:
        assert service.get_case(session, keyring, ref)["police_referral_status"] == "sent"


def test_withdrawing_sharing_revokes_the_caseworker_assignment(session_factory: Any, keyring: Keyring) -> None:
    consents = make_draft()["consents"]
    for c in consents:
        if c["kind"] == "partner_sharing":
            c["value"] = True
    ref = _submit(session_factory, keyring, consents=consents)
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == ref))
        session.add(Casework(case_id=case_id, partner_id="partner-a", status="accepted",
                             first_contact_due=NOW, caseworker_due=NOW, accepted_by=None))
        session.commit()
        person.withdraw_consent(session, keyring, ref, "partner_sharing",
                                channel="rest", language="en", now=NOW)
    with session_factory() as session:
        work = session.scalar(select(Casework).where(Casework.case_id == case_id))
        case = session.scalar(select(Case).where(Case.id == case_id))
        assert work.status == "closed" and work.partner_id is None
        assert case.caseworker_requested is False


def test_withdrawing_contact_cancels_callbacks_and_erases_contact_details(session_factory: Any, keyring: Keyring) -> None:
    consents = make_draft()["consents"] + [{
        "kind": "contact", "value": "yes", "wording_key": "utter_ask_contact_wanted",
        "wording_version": "1", "language": "en", "channel": "socketio",
        "given_at": "2025-03-08T10:15:00+00:00"}]
    ref = _submit(session_factory, keyring, consents=consents)
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == ref))
        session.add(CallbackTask(id_key="cb1", case_id=case_id, language="en",
                                 reason="report_contact", due_at=NOW))
        session.commit()
        person.withdraw_consent(session, keyring, ref, "contact", channel="rest", language="en", now=NOW)
    with session_factory() as session:
        assert session.scalar(select(CallbackTask.status)) == "cancelled"
        assert service.get_case(session, keyring, ref)["contact"] is None


def test_additions_are_encrypted_and_read_back(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        with pytest.raises(person.AccessError):
            person.add_to_case(session, keyring, ref, "   ", channel="rest", language="en", now=NOW)
        person.add_to_case(session, keyring, ref, "Invented: he also had a dog", channel="telegram_ptb",
                           language="en", now=NOW)
    with session_factory() as session:
        found = person.additions(session, keyring, ref)
        blob = session.execute(select(Case)).scalars().first()
    assert [a["text"] for a in found] == ["Invented: he also had a dog"] and blob is not None
    assert found[0]["channel"] == "telegram_ptb"


def test_saved_draft_continues_once_with_its_secret_and_holds_no_conversation(session_factory: Any, keyring: Keyring) -> None:
    answers = {"reporter_role": "witness", "description": "Invented: a draft description"}
    with session_factory() as session:
        code = person.save_draft(session, keyring, answers, "green tea 42", language="zh-Hans",
                                 conversation_key="tw-aaaa", now=NOW, keep_days=30)
    with session_factory() as session:
        row = session.scalar(select(SavedDraft))
        columns = {c.name for c in SavedDraft.__table__.columns}
    assert b"draft description" not in row.data and "conversation_key" not in columns
    assert not _verify(session_factory, keyring, code, "green tea 41").ok
    opened = _verify(session_factory, keyring, code, "GREEN TEA 42")
    assert opened.ok and opened.kind == "draft"
    with session_factory() as session:
        assert person.take_draft(session, keyring, code, conversation_key="web-bbbb", now=NOW) == answers
    with session_factory() as session, pytest.raises(person.AccessError):
        person.take_draft(session, keyring, code, conversation_key="web-bbbb", now=NOW)


def test_expired_drafts_cannot_be_opened_and_are_deleted(session_factory: Any, keyring: Keyring) -> None:
    with session_factory() as session:
        code = person.save_draft(session, keyring, {"description": "x"}, "secret word", language="en",
                                 conversation_key="k", now=NOW, keep_days=1)
    later = NOW + timedelta(days=2)
    assert not _verify(session_factory, keyring, code, "secret word", now=later).ok
    with session_factory() as session:
        assert person.delete_expired_drafts(session, now=later) == 1
        assert session.scalar(select(SavedDraft.id)) is None


def test_conversation_keys_in_any_script_are_compared_safely(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    with session_factory() as session:
        assert not person.verify_access(session, keyring, ref, "wrong guess", now=NOW, client="会话-ñ").ok
        assert not person.grant_if_just_submitted(session, keyring, "会话-ñ", ref, now=NOW)
        assert person.verify_access(session, keyring, ref, PHONE, now=NOW, client="会话-ñ").ok
