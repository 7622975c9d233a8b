"""One unit of work per change (bot.store.uow): the domain functions never commit, so a change and
its audit row are committed together at the end of ``Store.unit_of_work()`` or not at all, and a
step that races for a unique constraint (``savepoint``) is undone alone. Invented data only."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.crypto import Keyring
from bot.store import person, service
from bot.store.handoff_models import AuditEntry
from bot.store.models import (
    AccessAttempt,
    Case,
    ChannelState,
    Consent,
    DeliveryClaim,
    Evidence,
    SavedDraft,
)
from bot.store.uow import Store, process_store, savepoint, use_process_store
from tests.bot.store.drafts import make_draft

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


class Boom(RuntimeError):
    """Raised on purpose half-way through a unit of work."""


def _count(store: Store, model: Any, *where: Any) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _submit(store: Store, key: str = "uow-1") -> str:
    with store.unit_of_work() as session:
        return service.submit_report(
            session, store.keyring, make_draft(), submission_key=key
        ).reference


def _withdrawn(store: Store, reference: str) -> list[Any]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(Consent.withdrawn_at)
                .join(Case, Case.id == Consent.case_id)
                .where(Case.reference == reference, Consent.kind == "police_referral")
            )
        )


def test_a_unit_commits_once_at_its_end_and_nothing_before(uow_store: Store) -> None:
    with uow_store.unit_of_work() as session:
        reference = service.submit_report(
            session, uow_store.keyring, make_draft(), submission_key="uow-end"
        ).reference
        assert _count(uow_store, Case) == 0  # another connection sees nothing yet
    assert _count(uow_store, Case, Case.reference == reference) == 1


def test_a_unit_that_raises_half_way_leaves_nothing_written(
    uow_store: Store, settings: Any
) -> None:
    with pytest.raises(Boom), uow_store.unit_of_work() as session:
        service.add_evidence(
            session, uow_store.keyring, settings, "web-uow", "text/plain", b"invented file"
        )
        service.submit_report(
            session,
            uow_store.keyring,
            make_draft(conversation_key="web-uow"),
            submission_key="uow-boom",
        )
        service.set_channel_state(session, "telegram", "tg-uow", "k", {"v": 1})
        raise Boom
    assert _count(uow_store, Case) == 0
    assert _count(uow_store, Consent) == 0
    assert _count(uow_store, Evidence) == 0
    assert _count(uow_store, ChannelState) == 0
    # The encrypted file written for the evidence row went with the row.
    assert not settings.evidence_dir.exists() or list(settings.evidence_dir.iterdir()) == []


def test_a_change_and_its_audit_row_commit_together(uow_store: Store) -> None:
    reference = _submit(uow_store)
    with uow_store.unit_of_work() as session:
        outcome = person.withdraw_consent(
            session, uow_store.keyring, reference, "police_referral",
            channel="rest", language="en", now=NOW,
        )
    assert outcome.changed
    withdrawn = _withdrawn(uow_store, reference)
    assert len(withdrawn) == 1 and withdrawn[0] is not None
    assert _count(uow_store, AuditEntry, AuditEntry.action == "person.consent_withdrawn") == 1


def test_a_change_whose_audit_row_fails_is_not_written_either(
    uow_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _submit(uow_store)

    def failing_audit(*_args: Any, **_kwargs: Any) -> None:
        raise Boom

    monkeypatch.setattr(person, "audit", failing_audit)
    with pytest.raises(Boom), uow_store.unit_of_work() as session:
        person.withdraw_consent(
            session, uow_store.keyring, reference, "police_referral",
            channel="rest", language="en", now=NOW,
        )
    assert _withdrawn(uow_store, reference) == [None]  # the withdrawal went with its row
    with uow_store.reading() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None and case.police_referral_status == "pending"
    assert _count(uow_store, AuditEntry) == 0


def test_an_audit_row_written_before_a_failure_goes_with_the_change(uow_store: Store) -> None:
    reference = _submit(uow_store)
    with pytest.raises(Boom), uow_store.unit_of_work() as session:
        assert person.mark_police_referral_sent(session, reference, now=NOW)  # change + row
        raise Boom  # e.g. the commit of the unit fails
    assert _count(uow_store, AuditEntry) == 0
    with uow_store.reading() as session:
        status = session.scalar(
            select(Case.police_referral_status).where(Case.reference == reference)
        )
    assert status == "pending"


def test_a_failed_attempt_counted_in_a_unit_that_fails_is_not_counted(uow_store: Store) -> None:
    reference = _submit(uow_store)
    with pytest.raises(Boom), uow_store.unit_of_work() as session:
        access = person.verify_access(
            session, uow_store.keyring, reference, "wrong words", now=NOW, client="web-c"
        )
        assert not access.ok
        raise Boom
    assert _count(uow_store, AccessAttempt) == 0
    with uow_store.unit_of_work() as session:
        person.verify_access(
            session, uow_store.keyring, reference, "wrong words", now=NOW, client="web-c"
        )
    assert _count(uow_store, AccessAttempt) == 2  # the reference's and the client's counters


def test_a_lost_race_is_undone_alone_and_the_rest_of_the_unit_commits(uow_store: Store) -> None:
    with uow_store.unit_of_work() as session:
        service.set_channel_state(session, "twilio", "tw-race", "k", {"v": 1})
        assert service.claim_delivery(session, "twilio", "SM-race")
        assert not service.claim_delivery(session, "twilio", "SM-race")  # the unique row wins
        service.set_channel_state(session, "twilio", "tw-race", "k2", {"v": 2})
    assert _count(uow_store, DeliveryClaim) == 1
    assert _count(uow_store, ChannelState) == 2


def test_a_savepoint_released_on_sqlite_is_not_committed_before_its_unit(
    uow_store: Store,
) -> None:
    """Python's sqlite3 driver would let a first SAVEPOINT start (and its RELEASE commit) a
    transaction of its own; uow.savepoint begins the unit's transaction first."""
    with pytest.raises(Boom), uow_store.unit_of_work() as session:
        with savepoint(session):
            session.add(DeliveryClaim(provider="twilio", delivery_id="SM-sp", created_at=NOW))
        assert _count(uow_store, DeliveryClaim) == 0  # released, not committed
        raise Boom
    assert _count(uow_store, DeliveryClaim) == 0
    with uow_store.unit_of_work() as session:  # the delivery was never claimed
        assert service.claim_delivery(session, "twilio", "SM-sp")


def test_saving_a_draft_in_a_unit_that_fails_keeps_no_draft(
    uow_store: Store, keyring: Keyring
) -> None:
    with pytest.raises(Boom), uow_store.unit_of_work() as session:
        person.save_draft(
            session, keyring, {"description": "Invented"}, "secret words", language="en",
            conversation_key="web-draft", now=NOW, keep_days=30,
        )
        raise Boom
    assert _count(uow_store, SavedDraft) == 0


def test_reading_never_commits(uow_store: Store) -> None:
    with uow_store.reading() as session:
        service.set_channel_state(session, "twilio", "tw-read", "k", {"v": 1})
    assert _count(uow_store, ChannelState) == 0


def test_the_process_store_is_made_once_and_can_be_replaced(uow_store: Store) -> None:
    assert process_store() is uow_store  # the fixture installed it
    assert process_store() is process_store()
    other = Store(uow_store.settings)
    assert use_process_store(other) is uow_store
    assert process_store() is other
    use_process_store(uow_store)
    other.dispose()
