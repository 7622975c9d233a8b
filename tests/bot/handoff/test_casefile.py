"""The case page's view model: answers in English with the person's language beside them, no code
anywhere, contact details only where consented, the timeline in order, due dates in words."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from bot.handoff import accounts
from bot.handoff.accounts import User
from bot.handoff.casefile import (
    Event,
    answers,
    consents,
    contact_view,
    due,
    load_casefile,
    status_choices,
    timeline,
)
from bot.handoff.partners import load_partners
from bot.handoff.queue import add_note, record_attempt, set_casework_status, sync_queue
from bot.hours import OpeningHours
from bot.store.handoff_models import HandoffRequest
from bot.store.person import add_to_case, withdraw_consent
from tests.bot.store.drafts import make_draft

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OPERATOR = User(1, "operator@example.org", "operator", None, ("en",))
#: Stored values, payload and JSON shapes and field names that must never reach staff.
CODES = re.compile(
    r"verbal_abuse|no_support|legal_advice|other_type|online_place|on_behalf|police_referral"
    r"|partner_sharing|contact_wanted|utter_|socketio|telegram_ptb|unsafe_to_talk|no_answer"
    r"|in_progress|with_caseworker|/inform|\{\"|\bnull\b|\bNone\b|\bTrue\b|\bFalse\b"
    r"|\d{4}-\d{2}-\d{2}T\d{2}"
)

VI_INCIDENT = {
    "reporter_role": "on_behalf",
    "description": "Chuyện bịa để thử: một người đàn ông la hét ở trạm xe buýt",
    "incident_types": ["verbal_abuse", "other_type"],
    "date_text": "tối thứ Sáu tuần trước",
    "date_from": "2025-03-07",
    "date_to": "2025-03-07",
    "location": "E1 6AN",
    "location_kind": "postcode",
    "place_type": "skipped",
    "motivations": [],
    "perpetrator": None,
    "support_needs": ["no_support"],
    "police": "none",
    "caseworker": False,
}


#: Fields the page uses only inside attributes (lang="vi", a form's option value), never as text.
NOT_SHOWN = {"casework_status_value", "language", "text_language"}


def _strings(value: Any) -> list[str]:
    """Every string inside a view model that the page shows (dataclasses, tuples, lists, dicts)."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value):
        fields = [f.name for f in dataclasses.fields(value) if f.name not in NOT_SHOWN]
        return _strings([getattr(value, name) for name in fields])
    if isinstance(value, dict):
        return _strings(list(value.values()))
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def _by_label(items: Any) -> dict[str, Any]:
    return {a.label: a for a in items}


def test_choices_are_in_english_with_the_persons_words_beside_them() -> None:
    got = _by_label(answers(VI_INCIDENT, "vi"))
    kinds = got["What kind of incident"].choices
    assert [(w.english, w.own) for w in kinds] == [
        ("Verbal abuse", "Chửi bới, lăng mạ"),
        ("Something else", "Việc khác"),
    ]
    assert got["Who it happened to"].choices[0].english == "For someone else"
    assert got["Who it happened to"].choices[0].own == "Báo cáo thay người khác"
    assert got["Support they would like"].choices[0].own == "Tôi không cần hỗ trợ"
    assert got["A caseworker to support them"].choices[0].english == "No, thank you"
    # their own words stay as written; the date they wrote is understood in words, both languages
    assert got["What happened, in their words"].text == VI_INCIDENT["description"]
    when = got["When it happened"]
    assert when.text == "tối thứ Sáu tuần trước"
    assert when.understood.english == "Friday, 7 March 2025"
    assert "tháng 3" in when.understood.own


def test_skipped_answers_say_not_given_in_both_languages() -> None:
    got = _by_label(answers(VI_INCIDENT, "vi"))
    for label in ("Kind of place", "Why they think it happened", "Who did it"):
        assert got[label].skipped
        assert got[label].not_given.english == "Not given"
        assert got[label].not_given.own == "Không cung cấp"


def test_a_report_in_english_has_no_second_column() -> None:
    got = _by_label(answers({**VI_INCIDENT, "place_type": "street"}, "en"))
    assert got["Kind of place"].choices[0].english == "Street or park"
    assert got["Kind of place"].choices[0].own is None
    assert got["Who did it"].not_given.own is None


def test_an_online_incident_says_online_for_where() -> None:
    got = _by_label(answers({**VI_INCIDENT, "location_kind": "online", "location": "online"}, "vi"))
    assert got["Where it happened"].choices[0].english == "Online"
    assert got["Where it happened"].choices[0].own == "Trên mạng"


def test_consents_show_the_question_as_seen_its_english_the_answer_and_history() -> None:
    given = dt.datetime(2025, 3, 8, 10, 15, tzinfo=UTC)
    withdrawn = dt.datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
    ledger = [
        {
            "kind": "police_referral",
            "value": "anonymous",
            "wording_key": "utter_ask_police",
            "wording_version": "old",
            "language": "vi",
            "channel": "socketio",
            "given_at": given,
            "withdrawn_at": withdrawn,
            "withdrawn_channel": "whatsapp",
            "withdrawn_language": "vi",
        }
    ]
    (view,) = consents(ledger)
    assert view.title == "Passing the report to the police"
    assert view.question.own.startswith("Bạn có muốn chúng tôi chuyển báo cáo")
    assert view.question.english.startswith("Would you like")
    assert (view.answer.english, view.answer.own) == ("Yes, anonymously", "Có, nhưng giấu tên")
    assert view.wording_changed and not view.held
    assert [(s.what, s.at, s.channel) for s in view.history] == [
        ("Agreed: Yes, anonymously", given, "the web chat"),
        ("Withdrew this consent", withdrawn, "WhatsApp"),
    ]
    assert view.history[0].language_name == "Vietnamese (Tiếng Việt)"
    assert not [s for s in _strings(view) if CODES.search(s)]


CONTACT = {
    "name": "Invented Person",
    "phone": "+447700900123",
    "email": "invented@example.org",
    "safe_to_leave_message": False,
    "safe_times": "buổi sáng",
}


def _contact_consent(value: str, withdrawn: bool = False) -> dict[str, Any]:
    return {
        "kind": "contact",
        "value": value,
        "withdrawn_at": NOW if withdrawn else None,
    }


def test_contact_details_are_hidden_without_consent() -> None:
    shown, _ = contact_view(CONTACT, [_contact_consent("yes")], "vi")
    assert shown is not None and shown.phone == "+447700900123"
    assert (shown.leave_message.english, shown.leave_message.own) == (
        "No, please don't",
        "Không, xin đừng",
    )
    for ledger in ([_contact_consent("no")], [_contact_consent("yes", withdrawn=True)]):
        hidden, why = contact_view(CONTACT, ledger, "vi")
        assert hidden is None and "did not agree" in why
    none, why = contact_view(None, [], "vi")
    assert none is None and why == "The person gave no contact details."


def test_timeline_is_oldest_first_and_keeps_the_order_of_the_same_moment() -> None:
    t = [NOW + dt.timedelta(minutes=m) for m in range(3)]
    events = [Event(t[2], "c"), Event(t[0], "a"), Event(t[1], "b1"), Event(t[1], "b2")]
    assert [e.title for e in timeline(events)] == ["a", "b1", "b2", "c"]


def test_due_dates_say_how_long_is_left_or_how_overdue() -> None:
    assert due("First contact", NOW + dt.timedelta(days=2), NOW).wording == "2 days left"
    late = due("First contact", NOW - dt.timedelta(hours=3), NOW)
    assert (late.state, late.wording) == ("overdue", "Overdue by 3 hours")
    early = due("First contact", NOW, NOW, met_at=NOW - dt.timedelta(days=2))
    assert (early.state, early.wording) == ("met", "Met, 2 days before it was due")
    after = due(
        "First contact", NOW, NOW + dt.timedelta(days=5), met_at=NOW + dt.timedelta(hours=5)
    )
    assert after.wording == "Met, 5 hours late"
    void = due("Caseworker's call", NOW - dt.timedelta(days=9), NOW, void="Not needed: closed")
    assert (void.state, void.wording) == ("void", "Not needed: closed")


def test_status_choices_leave_out_the_current_one_and_closed_is_for_admins() -> None:
    values = [v for v, _ in status_choices("queued", "caseworker")]
    assert "queued" not in values and "accepted" in values
    assert status_choices(None, "operator") == ()
    assert status_choices("closed", "caseworker") == ()
    assert [v for v, _ in status_choices("closed", "admin")][0] == "queued"


def _vi_case(session_factory: Any, keyring: Any, key: str = "casefile-vi") -> str:
    from bot.store.service import submit_report

    consent = {
        "wording_version": "1",
        "language": "vi",
        "channel": "socketio",
        "given_at": "2026-12-01T10:15:00+00:00",
    }
    draft = make_draft(
        language="vi",
        conversation_key=f"web-{key}",
        location="near E1 6AN",
        support_needs=["emotional", "legal_advice"],
        consents=[
            {
                **consent,
                "kind": "police_referral",
                "value": "named",
                "wording_key": "utter_ask_police",
            },
            {
                **consent,
                "kind": "caseworker_referral",
                "value": "yes",
                "wording_key": "utter_ask_caseworker",
            },
            {
                **consent,
                "kind": "partner_sharing",
                "value": "yes",
                "wording_key": "utter_ask_partner_sharing",
            },
            {
                **consent,
                "kind": "contact",
                "value": "yes",
                "wording_key": "utter_ask_contact_wanted",
            },
        ],
    )
    with session_factory() as session:
        return submit_report(session, keyring, draft, submission_key=key).reference


def test_a_whole_case_reads_without_a_single_code(session_factory: Any, keyring: Any) -> None:
    ref = _vi_case(session_factory, keyring)
    partners = load_partners()
    t = [NOW + dt.timedelta(hours=h) for h in range(8)]
    with session_factory() as session:
        user = accounts.create_user(
            session,
            email="operator@example.org",
            password="a long test password 1",
            role="operator",
            languages=["vi"],
        )
    with session_factory() as session:
        sync_queue(session, keyring, hours=OpeningHours(), partners=partners)
    with session_factory() as session:
        session.add(
            HandoffRequest(
                conversation_id="web-casefile-vi",
                channel="socketio",
                language="vi",
                status="returned",
                operator_id=user.id,
                created_at=t[0],
                accepted_at=t[0] + dt.timedelta(minutes=1),
                ended_at=t[0] + dt.timedelta(minutes=9),
            )
        )
        session.commit()
    with session_factory() as session:
        record_attempt(session, user, ref, "no_answer", now=t[3])
    with session_factory() as session:
        add_note(session, keyring, user, ref, "Invented note: try after six", now=t[2])
    with session_factory() as session:
        set_casework_status(session, user, ref, "in_progress", now=t[4])
        accounts.audit(session, user.id, "case.status", ref, {"status": "in_progress"}, now=t[4])
    with session_factory() as session:
        add_to_case(
            session,
            keyring,
            ref,
            "Bổ sung bịa: có camera",
            channel="whatsapp",
            language="vi",
            now=t[5],
        )
    with session_factory() as session:
        withdraw_consent(
            session, keyring, ref, "police_referral", channel="sms", language="vi", now=t[6]
        )
    with session_factory() as session:
        casefile = load_casefile(session, keyring, ref, now=t[7], partners=partners)
    assert casefile is not None
    leaked = [s for s in _strings(casefile) if CODES.search(s)]
    assert not leaked, leaked
    # the timeline: what happened, oldest first
    titles = [e.title for e in casefile.timeline]
    assert titles[0].startswith("Report submitted on the web chat in Vietnamese")
    order = [
        "Asked for a person (live chat on the web chat)",
        "Live chat taken",
        "Live chat handed back to the assistant",
        "Note",
        "Contact attempt: No answer",
        "Casework status set to “Casework in progress”",
        "The person added to their report",
        "The person withdrew consent: Passing the report to the police",
    ]
    assert [t for t in titles if t in order] == order
    addition = next(e for e in casefile.timeline if e.title == "The person added to their report")
    assert addition.text == "Bổ sung bịa: có camera" and addition.text_language == "vi"
    assert addition.detail == "on WhatsApp"
    note = next(e for e in casefile.timeline if e.title == "Note")
    assert note.by == "operator@example.org" and note.text == "Invented note: try after six"
    # due dates (no contact reached yet) and the rest of the page
    assert [d.label for d in casefile.dues] == ["First contact", "Caseworker's call"]
    assert casefile.partner == "Lotus Bridge Community Support (London)"
    assert casefile.casework_status == "Casework in progress"
    assert casefile.police == "Stopped: the person withdrew their consent before it was sent"
    assert casefile.contact is not None and casefile.contact.name == "Test Person"
    police = casefile.consents[0]
    assert police.question.own.startswith("Bạn có muốn") and not police.held


def test_withdrawn_contact_hides_the_contact_details(session_factory: Any, keyring: Any) -> None:
    ref = _vi_case(session_factory, keyring, "casefile-contact")
    with session_factory() as session:
        assert load_casefile(session, keyring, ref, now=NOW).contact is not None
    with session_factory() as session:
        withdraw_consent(session, keyring, ref, "contact", channel="sms", language="vi", now=NOW)
    with session_factory() as session:
        casefile = load_casefile(session, keyring, ref, now=NOW)
    assert casefile.contact is None and casefile.contact_note
    with session_factory() as session:
        assert load_casefile(session, keyring, "ZZZZ-9999", now=NOW) is None
