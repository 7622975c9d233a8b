"""Tests of bot.store.service on SQLite."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.crypto import Keyring
from bot.settings import Settings
from bot.store import service
from bot.store.models import Case, Consent, ContactDetails, Evidence, IncidentDetails
from bot.store.references import normalise_reference
from tests.bot.store.drafts import DESCRIPTION, PHONE, make_draft


def _count(session_factory: Any, model: Any) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def _submit(
    session_factory: Any, keyring: Keyring, key: str = "draft-1", **overrides: Any
) -> service.SubmitResult:
    with session_factory() as session:
        return service.submit_report(session, keyring, make_draft(**overrides), submission_key=key)


# -- submit and read back ------------------------------------------------------------------------


def test_submit_then_get_case_round_trip(session_factory: Any, keyring: Keyring) -> None:
    result = _submit(session_factory, keyring)
    assert result.created is True
    assert normalise_reference(result.reference) == result.reference
    with session_factory() as session:
        case = service.get_case(session, keyring, result.reference)
    assert case is not None
    assert case["reference"] == result.reference
    assert case["status"] == "received"
    assert case["channel"] == "socketio" and case["language"] == "en"
    assert case["police_referral"] == "named" and case["caseworker_requested"] is True
    assert case["incident"]["description"] == DESCRIPTION
    assert case["incident"]["incident_types"] == ["verbal_abuse"]
    assert case["incident"]["reporter_role"] == "victim"
    assert case["incident"]["date_from"] == "2025-03-07"
    assert case["contact"]["phone"] == PHONE
    assert case["contact"]["safe_to_leave_message"] is False
    assert [c["kind"] for c in case["consents"]] == [
        "police_referral",
        "caseworker_referral",
        "partner_sharing",
    ]
    assert case["consents"][2]["value"] == "no"
    assert case["consents"][0]["given_at"] == "2025-03-08T10:15:00+00:00"
    assert datetime.fromisoformat(case["created_at"]).tzinfo is not None


def test_get_case_result_is_json_serialisable(session_factory: Any, keyring: Keyring) -> None:
    import json

    reference = _submit(session_factory, keyring).reference
    with session_factory() as session:
        case = service.get_case(session, keyring, reference)
    assert json.loads(json.dumps(case)) == case


def test_get_case_forgives_how_reference_is_typed(session_factory: Any, keyring: Keyring) -> None:
    reference = _submit(session_factory, keyring).reference
    typed = reference.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    with session_factory() as session:
        case = service.get_case(session, keyring, typed)
    assert case is not None and case["reference"] == reference


@pytest.mark.parametrize("reference", ["ZZZZ-ZZZZ", "not a reference", ""])
def test_get_case_unknown_reference_returns_none(
    session_factory: Any, keyring: Keyring, reference: str
) -> None:
    _submit(session_factory, keyring)
    with session_factory() as session:
        assert service.get_case(session, keyring, reference) is None


def test_submit_without_contact_stores_no_contact_row(
    session_factory: Any, keyring: Keyring
) -> None:
    reference = _submit(session_factory, keyring, contact=None, police="anonymous").reference
    with session_factory() as session:
        case = service.get_case(session, keyring, reference)
    assert case is not None and case["contact"] is None
    assert case["police_referral"] == "anonymous"
    assert _count(session_factory, ContactDetails) == 0
    assert _count(session_factory, IncidentDetails) == 1


def test_submit_minimal_draft_defaults_optional_fields(
    session_factory: Any, keyring: Keyring
) -> None:
    draft = {
        key: make_draft()[key]
        for key in (
            "language",
            "channel",
            "conversation_key",
            "reporter_role",
            "description",
            "police",
            "caseworker",
            "contact",
            "consents",
        )
    }
    with session_factory() as session:
        result = service.submit_report(session, keyring, draft, submission_key="minimal")
        case = service.get_case(session, keyring, result.reference)
    assert case is not None
    assert case["incident"]["incident_types"] == [] and case["incident"]["location"] is None


def test_consents_are_stored_as_separate_rows(session_factory: Any, keyring: Keyring) -> None:
    _submit(session_factory, keyring)
    with session_factory() as session:
        rows = session.scalars(select(Consent).order_by(Consent.id)).all()
    assert [(r.kind, r.value, r.wording_version) for r in rows] == [
        ("police_referral", "yes", "1"),
        ("caseworker_referral", "yes", "1"),
        ("partner_sharing", "no", "2"),
    ]
    assert all(r.withdrawn_at is None and r.given_at.tzinfo is not None for r in rows)
    assert len({r.case_id for r in rows}) == 1


def test_list_cases_has_no_free_text_and_newest_first(
    session_factory: Any, keyring: Keyring
) -> None:
    first = _submit(session_factory, keyring, key="a").reference
    second = _submit(session_factory, keyring, key="b", language="vi").reference
    with session_factory() as session:
        cases = service.list_cases(session)
    assert [c["reference"] for c in cases] == [second, first]
    assert set(cases[0]) == {
        "reference",
        "status",
        "created_at",
        "channel",
        "language",
        "police_referral",
        "police_referral_status",
        "caseworker_requested",
    }
    assert DESCRIPTION not in repr(cases) and PHONE not in repr(cases)
    with session_factory() as session:
        assert len(service.list_cases(session, limit=1)) == 1


# -- idempotency ---------------------------------------------------------------------------------


def test_submit_same_key_twice_creates_one_case(session_factory: Any, keyring: Keyring) -> None:
    first = _submit(session_factory, keyring, key="draft-42")
    second = _submit(session_factory, keyring, key="draft-42", description="changed on retry")
    assert first.created is True and second.created is False
    assert second.reference == first.reference
    assert _count(session_factory, Case) == 1
    assert _count(session_factory, Consent) == 3


def test_submit_different_keys_creates_two_cases(session_factory: Any, keyring: Keyring) -> None:
    assert (
        _submit(session_factory, keyring, key="x").reference
        != _submit(session_factory, keyring, key="y").reference
    )
    assert _count(session_factory, Case) == 2


def test_concurrent_double_submit_creates_one_case(session_factory: Any, keyring: Keyring) -> None:
    barrier = threading.Barrier(2)
    results: list[service.SubmitResult] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            with session_factory() as session:
                barrier.wait()
                results.append(
                    service.submit_report(session, keyring, make_draft(), submission_key="double")
                )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].reference == results[1].reference
    assert _count(session_factory, Case) == 1


def test_reference_collision_draws_another(
    session_factory: Any, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    references = iter(["AAAA-2222", "AAAA-2222", "BBBB-3333"])
    monkeypatch.setattr(service, "generate_reference", lambda: next(references))
    assert _submit(session_factory, keyring, key="one").reference == "AAAA-2222"
    assert _submit(session_factory, keyring, key="two").reference == "BBBB-3333"
    assert _count(session_factory, Case) == 2


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,message",
    [
        ({"description": ""}, "description"),
        ({"police": "maybe"}, "police"),
        ({"caseworker": "yes"}, "caseworker"),
        ({"unexpected": 1}, "unknown keys: unexpected"),
        ({"incident_types": "verbal_abuse"}, "incident_types"),
        ({"contact": {"phone": PHONE, "address": "x"}}, "contact"),
        ({"consents": [{"kind": "police_referral"}]}, "missing"),
        ({"consents": [dict(make_draft()["consents"][0], kind="marketing")]}, "kind"),
        ({"consents": [dict(make_draft()["consents"][0], given_at="soon")]}, "given_at"),
    ],
)
def test_submit_invalid_draft_raises_value_error(
    session_factory: Any, keyring: Keyring, change: dict[str, Any], message: str
) -> None:
    with session_factory() as session, pytest.raises(ValueError, match=message):
        service.submit_report(session, keyring, make_draft(**change), submission_key="bad")
    assert _count(session_factory, Case) == 0


def test_submit_missing_required_key_names_it(session_factory: Any, keyring: Keyring) -> None:
    draft = make_draft()
    del draft["consents"], draft["language"]
    with session_factory() as session, pytest.raises(ValueError, match="language, consents"):
        service.submit_report(session, keyring, draft, submission_key="bad")


def test_submit_validation_error_never_echoes_values(
    session_factory: Any, keyring: Keyring
) -> None:
    with session_factory() as session, pytest.raises(ValueError) as info:
        service.submit_report(
            session, keyring, make_draft(contact={"phone": 447700900123}), submission_key="k"
        )
    assert "447700900123" not in str(info.value)


# -- nothing personal in plaintext ------------------------------------------------------------------


def test_sqlite_file_holds_no_plaintext_personal_data(
    session_factory: Any, keyring: Keyring, settings: Settings, uow_store: Any
) -> None:
    _submit(session_factory, keyring)
    with session_factory() as session:
        service.remember_address(session, keyring, "twilio", "tw-abc", PHONE)
    uow_store.engine.dispose()  # checkpoint the WAL into the main file
    db_path = Path(settings.database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    for secret in (DESCRIPTION, PHONE, "447700900123", "Test Person", "example.org", "red coat"):
        assert secret.encode() not in raw, secret
    assert b"socketio" in raw  # the file was really written


# -- webhook dedup -----------------------------------------------------------------------------------


def test_claim_delivery_true_once_then_false(session_factory: Any) -> None:
    with session_factory() as session:
        assert service.claim_delivery(session, "twilio", "SM0001") is True
        assert service.claim_delivery(session, "twilio", "SM0001") is False
        assert service.claim_delivery(session, "telegram", "SM0001") is True
    with session_factory() as other_session:
        assert service.claim_delivery(other_session, "twilio", "SM0001") is False


def test_claim_delivery_concurrent_claims_win_once(session_factory: Any) -> None:
    barrier = threading.Barrier(4)
    wins: list[bool] = []

    def claim() -> None:
        with session_factory() as session:
            barrier.wait()
            wins.append(service.claim_delivery(session, "telegram", 991))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False, False, False, True]


# -- channel addresses and state -------------------------------------------------------------------


def test_remember_and_lookup_address(session_factory: Any, keyring: Keyring) -> None:
    pseudonym = keyring.pseudonymise("twilio", PHONE)
    with session_factory() as session:
        assert service.lookup_address(session, keyring, "twilio", pseudonym) is None
        service.remember_address(session, keyring, "twilio", pseudonym, PHONE)
        assert service.lookup_address(session, keyring, "twilio", pseudonym) == PHONE
        service.remember_address(session, keyring, "twilio", pseudonym, "whatsapp:" + PHONE)
        assert service.lookup_address(session, keyring, "twilio", pseudonym) == "whatsapp:" + PHONE
        assert service.lookup_address(session, keyring, "telegram", pseudonym) is None


def test_channel_state_set_get_replace_delete(session_factory: Any) -> None:
    with session_factory() as session:
        assert service.get_channel_state(session, "twilio", "tw-1", "sms_options", []) == []
        service.set_channel_state(session, "twilio", "tw-1", "sms_options", ["victim", "witness"])
        service.set_channel_state(session, "twilio", "tw-1", "sms_options", ["yes", "no"])
        service.set_channel_state(session, "twilio", "tw-2", "sms_options", {"n": 1})
        assert service.get_channel_state(session, "twilio", "tw-1", "sms_options") == ["yes", "no"]
        assert service.get_channel_state(session, "twilio", "tw-2", "sms_options") == {"n": 1}
        service.set_channel_state(session, "twilio", "tw-1", "sms_options", None)
        assert service.get_channel_state(session, "twilio", "tw-1", "sms_options") is None


# -- evidence ----------------------------------------------------------------------------------------


def test_add_evidence_is_encrypted_and_linked_at_submit(
    session_factory: Any, keyring: Keyring, settings: Settings
) -> None:
    image = b"\x89PNG invented image bytes"
    conversation = make_draft()["conversation_key"]
    with session_factory() as session:
        evidence_id = service.add_evidence(
            session, keyring, settings, conversation, "Image/PNG", image
        )
        other_id = service.add_evidence(
            session, keyring, settings, "web-other", "image/jpeg", b"jpg"
        )
    files = list(settings.evidence_dir.iterdir())
    assert len(files) == 2 and all(image not in f.read_bytes() for f in files)
    reference = _submit(session_factory, keyring).reference
    with session_factory() as session:
        case = service.get_case(session, keyring, reference)
        assert service.read_evidence(session, keyring, settings, evidence_id) == image
        other = session.get(Evidence, other_id)
    assert case is not None
    assert case["evidence"] == [
        {
            "id": evidence_id,
            "content_type": "image/png",
            "size": len(image),
            "created_at": case["evidence"][0]["created_at"],
        }
    ]
    assert other.case_id is None


def test_add_evidence_over_limit_is_refused(
    session_factory: Any, keyring: Keyring, tmp_path: Path
) -> None:
    small = Settings.from_env({"VAR_DIR": str(tmp_path / "var"), "EVIDENCE_MAX_BYTES": "10"})
    with session_factory() as session, pytest.raises(service.EvidenceTooLarge):
        service.add_evidence(session, keyring, small, "web-x", "image/png", b"x" * 11)
    assert _count(session_factory, Evidence) == 0


@pytest.mark.parametrize(
    "content_type,data", [("image/png", b""), ("not a type", b"x"), ("a/b;c", b"x")]
)
def test_add_evidence_rejects_bad_input(
    session_factory: Any, keyring: Keyring, settings: Settings, content_type: str, data: bytes
) -> None:
    with session_factory() as session, pytest.raises(ValueError):
        service.add_evidence(session, keyring, settings, "web-x", content_type, data)


def test_read_evidence_unknown_id_raises_lookup_error(
    session_factory: Any, keyring: Keyring, settings: Settings
) -> None:
    with session_factory() as session, pytest.raises(LookupError):
        service.read_evidence(session, keyring, settings, 12345)


# -- key rotation --------------------------------------------------------------------------------------


def test_reencrypt_all_moves_everything_to_new_key(
    session_factory: Any, keyring: Keyring, settings: Settings
) -> None:
    from datetime import datetime, timezone

    from bot.store import person

    reference = _submit(session_factory, keyring).reference
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with session_factory() as session:
        service.remember_address(session, keyring, "telegram", "tg-1", "123456789")
        evidence_id = service.add_evidence(session, keyring, settings, "web-y", "image/png", b"img")
        person.add_to_case(session, keyring, reference, "Invented addition", channel="rest",
                           language="en", now=now)
        code = person.save_draft(session, keyring, {"description": "Invented"}, "secret words",
                                 language="en", conversation_key="web-z", now=now, keep_days=30)
    old_key = keyring.primary_key_id
    new_key = keyring.rotate()

    with session_factory() as session:
        stats = service.reencrypt_all(session, keyring, settings)
    assert stats == service.ReencryptStats(1, 1, 1, 1, other_records=2)
    with session_factory() as session:
        assert [a["text"] for a in person.additions(session, keyring, reference)] == ["Invented addition"]
        assert person.take_draft(session, keyring, code, conversation_key="web-q", now=now) == {
            "description": "Invented"
        }

    with session_factory() as session:
        blobs = [
            *session.scalars(select(IncidentDetails.data)),
            *session.scalars(select(ContactDetails.data)),
        ]
        assert {Keyring.key_id_of(b) for b in blobs} == {new_key}
        case = service.get_case(session, keyring, reference)
        assert case is not None and case["incident"]["description"] == DESCRIPTION
        assert service.lookup_address(session, keyring, "telegram", "tg-1") == "123456789"
        assert service.read_evidence(session, keyring, settings, evidence_id) == b"img"
    assert all(
        Keyring.key_id_of(f.read_bytes()) == new_key for f in settings.evidence_dir.iterdir()
    )
    assert old_key in keyring.key_ids

    with session_factory() as session:
        assert service.reencrypt_all(session, keyring, settings) == service.ReencryptStats(
            0, 0, 0, 0
        )


def test_swapped_ciphertext_between_cases_does_not_decrypt(
    session_factory: Any, keyring: Keyring
) -> None:
    first = _submit(session_factory, keyring, key="a").reference
    _submit(session_factory, keyring, key="b", description="another invented incident")
    with session_factory() as session:
        rows = session.scalars(select(IncidentDetails).order_by(IncidentDetails.case_id)).all()
        rows[0].data, rows[1].data = rows[1].data, rows[0].data
        session.commit()
    with session_factory() as session, pytest.raises(Exception, match="authentication"):
        service.get_case(session, keyring, first)


def test_created_at_is_utc(session_factory: Any, keyring: Keyring) -> None:
    before = datetime.now(timezone.utc)
    _submit(session_factory, keyring)
    with session_factory() as session:
        created = session.scalar(select(Case.created_at))
    assert created.tzinfo is not None and before <= created <= datetime.now(timezone.utc)
