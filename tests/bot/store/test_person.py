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


def test_attempts_are_limited_per_reference_then_unlock_later(session_factory: Any, keyring: Keyring) -> None:
    ref = _submit(session_factory, keyring)
    results = [_verify(session_factory, keyring, ref, f"wrong guess {i}") for i in range(person.MAX_FAILURES)]
    assert [r.locked for r in results] == [False] * (person.MAX_FAILURES - 1) + [True]
    # Locked: even the right factor is refused until the lock ends.
    assert _verify(session_factory, keyring, ref, PHONE).locked
    later = NOW + timedelta(minutes=person.LOCK_MINUTES + 1)
    assert _verify(session_factory, keyring, ref, PHONE, now=later).ok


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
