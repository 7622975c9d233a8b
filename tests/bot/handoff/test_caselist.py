"""The case list: reference search, filters, what needs attention first, pages, who sees what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bot.crypto import Keyring
from bot.handoff.accounts import User
from bot.handoff.caselist import (
    CaseFilters,
    FilterError,
    list_cases,
    parse_filters,
    reference_prefix,
)
from bot.handoff.partners import load_partners
from bot.handoff.queue import can_see_case, sync_queue
from bot.hours import OpeningHours
from bot.store.handoff_models import CallbackTask, Casework
from bot.store.models import Case
from bot.store.person import withdraw_consent
from tests.bot.store.drafts import make_draft
from tests.service.console.cases import consent

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc)  # a Monday
OPERATOR = User(1, "operator@example.org", "operator", None, ("en",))
ADMIN = User(2, "admin@example.org", "admin", None, ("en",))
CW_LONDON = User(3, "cw@lotus.example.org", "caseworker", "lotus-bridge-london", ("vi", "en"))
CW_NORTH = User(4, "cw@lantern.example.org", "caseworker", "northern-lantern", ("ko", "en"))
CW_NO_ORG = User(5, "cw@nowhere.example.org", "caseworker", None, ("en",))


def store_case(
    session_factory: Any,
    keyring: Keyring,
    key: str,
    *,
    created: dt.datetime,
    language: str = "vi",
    channel: str = "socketio",
    police: str = "named",
    caseworker: bool = True,
    sharing: str = "yes",
    contact: bool = True,
    location: str = "near E1 6AN",
) -> str:
    """An invented case submitted at ``created``; returns its reference."""
    from bot.store.service import submit_report

    overrides: dict[str, Any] = {
        "language": language,
        "channel": channel,
        "conversation_key": f"web-{key}",
        "location": location,
        "police": police,
        "caseworker": caseworker,
        "consents": [
            consent("police_referral", police),
            consent("caseworker_referral", "yes" if caseworker else "no"),
            consent("partner_sharing", sharing),
        ],
    }
    if not contact:
        overrides["contact"] = None
    with session_factory() as session:
        reference = submit_report(
            session, keyring, make_draft(**overrides), submission_key=key
        ).reference
        row = session.scalar(select(Case).where(Case.reference == reference))
        row.created_at = created
        session.commit()
    return reference


def sync(session_factory: Any, keyring: Keyring) -> None:
    with session_factory() as session:
        sync_queue(session, keyring, hours=OpeningHours(), partners=load_partners())


def refs(session_factory: Any, user: User, filters: CaseFilters | None = None) -> list[str]:
    with session_factory() as session:
        page = list_cases(session, user, filters or CaseFilters(), now=NOW, per_page=100)
    return [row.reference for row in page.rows]


@pytest.fixture
def cases(session_factory: Any, keyring: Keyring) -> dict[str, str]:
    """A small invented case load (keys say what each is)."""
    made = {
        # contact, caseworker, sharing: callback + casework for the London partner (vi, E1)
        "vi_london": store_case(
            session_factory, keyring, "vi-london", created=NOW - dt.timedelta(days=1)
        ),
        # no contact, no caseworker: nothing due, only operators see it
        "bare": store_case(
            session_factory,
            keyring,
            "bare",
            created=NOW - dt.timedelta(hours=2),
            language="en",
            channel="whatsapp",
            police="none",
            caseworker=False,
            sharing="no",
            contact=False,
        ),
        # asked for a caseworker but would not share: operators only
        "unshared": store_case(
            session_factory,
            keyring,
            "unshared",
            created=NOW - dt.timedelta(days=3),
            language="vi",
            channel="telegram",
            police="anonymous",
            sharing="no",
            contact=False,
        ),
        # Korean, in the north: matched to the northern partner; old, so overdue
        "ko_north": store_case(
            session_factory,
            keyring,
            "ko-north",
            created=NOW - dt.timedelta(days=20),
            language="ko",
            channel="sms",
            location="M1 1AE",
        ),
    }
    sync(session_factory, keyring)
    return made


# -- reference search ---------------------------------------------------------------------------


def test_reference_prefix_forgives_case_dash_spaces_and_look_alike_letters() -> None:
    assert reference_prefix("abcd2345") == "ABCD-2345"
    assert reference_prefix(" abcd 23 ") == "ABCD-23"
    assert reference_prefix("ab") == "AB"
    assert reference_prefix("abcd-") == "ABCD"
    assert reference_prefix("ABOI-L234") == "AB01-1234"
    assert reference_prefix("") is None
    for bad in ("ABCD-23456", "AB%", "ABCU", "名字"):
        with pytest.raises(FilterError):
            reference_prefix(bad)


def test_search_by_whole_reference_or_its_beginning(
    session_factory: Any, cases: dict[str, str]
) -> None:
    target = cases["bare"]
    typed = target.lower().replace("-", "")
    assert refs(session_factory, OPERATOR, CaseFilters(reference=reference_prefix(typed))) == [
        target
    ]
    beginning = reference_prefix(typed[:6])
    found = refs(session_factory, OPERATOR, CaseFilters(reference=beginning))
    assert target in found
    assert all(r.startswith(target[:7]) for r in found)
    # A reference nobody has: nothing
    unused = next(
        c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if not any(r[0] == c for r in cases.values())
    )
    assert refs(session_factory, OPERATOR, CaseFilters(reference=unused)) == []


# -- filters -------------------------------------------------------------------------------------


def test_each_filter_narrows_the_list(session_factory: Any, cases: dict[str, str]) -> None:
    def only(**filters: Any) -> set[str]:
        return set(refs(session_factory, OPERATOR, CaseFilters(**filters)))

    assert only(language="ko") == {cases["ko_north"]}
    assert only(language="vi") == {cases["vi_london"], cases["unshared"]}
    assert only(channel="whatsapp") == {cases["bare"]}
    assert only(channel="telegram") == {cases["unshared"]}
    assert only(police="anonymous") == {cases["unshared"]}
    assert only(police="none") == {cases["bare"]}
    assert only(caseworker=False) == {cases["bare"]}
    assert only(caseworker=True) == {cases["vi_london"], cases["unshared"], cases["ko_north"]}
    assert only(status="received") == set(cases.values())
    assert only(status="closed") == set()
    assert only(overdue=True) == {cases["ko_north"]}
    # Dates are London days, both ends included
    today = NOW.date()
    assert only(submitted_from=today) == {cases["bare"]}
    assert only(submitted_from=today - dt.timedelta(days=3), submitted_to=today) == {
        cases["bare"],
        cases["vi_london"],
        cases["unshared"],
    }
    assert only(submitted_to=today - dt.timedelta(days=4)) == {cases["ko_north"]}
    # Filters combine
    assert only(language="vi", caseworker=True, channel="socketio") == {cases["vi_london"]}


def test_london_dates_around_midnight(session_factory: Any, keyring: Keyring) -> None:
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (summer time)
    late = store_case(
        session_factory,
        keyring,
        "late",
        created=dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.timezone.utc),
        contact=False,
    )
    second = dt.date(2026, 7, 2)
    assert refs(session_factory, OPERATOR, CaseFilters(submitted_from=second)) == [late]
    assert refs(session_factory, OPERATOR, CaseFilters(submitted_to=second)) == [late]
    assert refs(session_factory, OPERATOR, CaseFilters(submitted_to=second.replace(day=1))) == []


def test_parse_filters_reads_the_form_and_explains_bad_values() -> None:
    filters, errors = parse_filters(
        {
            "q": "abcd 23",
            "status": "closed",
            "language": "zh-Hant",
            "channel": "sms",
            "police": "anonymous",
            "caseworker": "no",
            "overdue": "1",
            "from": "2026-12-01",
            "to": "06/12/2026",
            "page": "3",
            "unknown": "ignored",
        }
    )
    assert errors == []
    assert filters == CaseFilters(
        reference="ABCD-23",
        status="closed",
        language="zh-Hant",
        channel="sms",
        police="anonymous",
        caseworker=False,
        overdue=True,
        submitted_from=dt.date(2026, 12, 1),
        submitted_to=dt.date(2026, 12, 6),
        page=3,
    )
    assert filters.params()["q"] == "ABCD-23" and "page" not in filters.params()
    assert parse_filters({}) == (CaseFilters(), [])
    assert parse_filters({"status": "", "overdue": ""}) == (CaseFilters(), [])

    bad, errors = parse_filters(
        {
            "status": "verbal_abuse",
            "language": "xx",
            "channel": "fax",
            "police": "maybe",
            "caseworker": "perhaps",
            "overdue": "sometimes",
            "from": "yesterday",
            "page": "-1",
            "q": "<script>",
        }
    )
    assert len(errors) == 9
    assert bad == CaseFilters()
    assert all("verbal_abuse" not in e and "<script>" not in e for e in errors)
    _, errors = parse_filters({"from": "2026-12-06", "to": "2026-12-01"})
    assert errors == ["The “Submitted from” date is after the “Submitted until” date."]
    for page in ("0", "abc", "1.5", "99999999999"):
        assert parse_filters({"page": page})[1], page


# -- attention order and pages ------------------------------------------------------------------


def test_overdue_first_then_soonest_due_then_newest(session_factory: Any, keyring: Keyring) -> None:
    made = {
        name: store_case(session_factory, keyring, name, created=NOW - dt.timedelta(hours=hours))
        for name, hours in (
            ("new_nothing", 1),
            ("old_nothing", 30),
            ("due_soon", 5),
            ("due_later", 4),
            ("overdue_long", 3),
            ("overdue_short", 2),
        )
    }
    sync(session_factory, keyring)
    dues = {
        "due_soon": NOW + dt.timedelta(hours=3),
        "due_later": NOW + dt.timedelta(days=2),
        "overdue_long": NOW - dt.timedelta(days=2),
        "overdue_short": NOW - dt.timedelta(minutes=5),
    }
    with session_factory() as session:
        for name in made:
            case_id = session.scalar(select(Case.id).where(Case.reference == made[name]))
            work = session.scalar(select(Casework).where(Casework.case_id == case_id))
            task = session.scalar(select(CallbackTask).where(CallbackTask.case_id == case_id))
            if name in dues:
                # the callback is the earliest promise; casework later
                task.due_at = dues[name]
                work.first_contact_due = work.caseworker_due = dues[name] + dt.timedelta(days=9)
            else:  # promises kept: nothing due
                task.status = "done"
                work.first_contact_at = NOW - dt.timedelta(minutes=30)
        session.commit()
    order = [
        "overdue_long",
        "overdue_short",
        "due_soon",
        "due_later",
        "new_nothing",
        "old_nothing",
    ]
    assert refs(session_factory, OPERATOR) == [made[n] for n in order]
    with session_factory() as session:
        page = list_cases(session, OPERATOR, CaseFilters(), now=NOW)
    first = page.rows[0]
    assert first.overdue and first.next_due == dues["overdue_long"]
    assert first.next_due_kind == "callback" and first.next_due_name == "Call back"
    assert not page.rows[2].overdue and page.rows[2].next_due == dues["due_soon"]
    assert page.rows[-1].next_due is None and not page.rows[-1].overdue


def test_casework_dates_count_when_there_is_no_callback(
    session_factory: Any, keyring: Keyring
) -> None:
    ref = store_case(session_factory, keyring, "cw-only", created=NOW - dt.timedelta(days=1))
    sync(session_factory, keyring)
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == ref))
        session.scalar(
            select(CallbackTask).where(CallbackTask.case_id == case_id)
        ).status = "cancelled"
        work = session.scalar(select(Casework).where(Casework.case_id == case_id))
        work.first_contact_due = NOW + dt.timedelta(days=5)
        work.caseworker_due = NOW + dt.timedelta(days=2)
        session.commit()
        row = list_cases(session, OPERATOR, CaseFilters(), now=NOW).rows[0]
    assert row.next_due == NOW + dt.timedelta(days=2)
    assert row.next_due_name == "Caseworker's call"


def test_pages_of_25_and_a_page_past_the_end_gives_the_last(
    session_factory: Any, keyring: Keyring
) -> None:
    made = [
        store_case(
            session_factory,
            keyring,
            f"many-{i}",
            created=NOW - dt.timedelta(minutes=i),
            contact=False,
            caseworker=False,
            sharing="no",
        )
        for i in range(27)
    ]
    with session_factory() as session:
        first = list_cases(session, OPERATOR, CaseFilters(), now=NOW)
        second = list_cases(session, OPERATOR, CaseFilters(page=2), now=NOW)
        beyond = list_cases(session, OPERATOR, CaseFilters(page=40), now=NOW)
    assert (first.total, first.pages, first.page, len(first.rows)) == (27, 2, 1, 25)
    assert [r.reference for r in first.rows] == made[:25]  # newest first
    assert [r.reference for r in second.rows] == made[25:]
    assert (second.first, second.last) == (26, 27)
    assert beyond.page == 2 and [r.reference for r in beyond.rows] == made[25:]


# -- who sees what ------------------------------------------------------------------------------


def test_operators_and_admins_see_every_case_including_one_with_no_contact_or_caseworker(
    session_factory: Any, cases: dict[str, str]
) -> None:
    for user in (OPERATOR, ADMIN):
        assert set(refs(session_factory, user)) == set(cases.values())


def test_caseworkers_see_only_their_organisations_consented_cases(
    session_factory: Any, keyring: Keyring, cases: dict[str, str]
) -> None:
    assert refs(session_factory, CW_LONDON) == [cases["vi_london"]]
    assert refs(session_factory, CW_NORTH) == [cases["ko_north"]]
    assert refs(session_factory, CW_NO_ORG) == []
    assert refs(session_factory, User(9, "x@example.org", "auditor", None, ())) == []
    # Filters never widen a caseworker's view
    assert refs(session_factory, CW_LONDON, CaseFilters(language="ko")) == []
    assert refs(session_factory, CW_LONDON, CaseFilters(reference=cases["unshared"])) == []
    # The SQL rule is the access rule of the case page
    with session_factory() as session:
        for user in (CW_LONDON, CW_NORTH, CW_NO_ORG):
            listed = set(refs(session_factory, user))
            for reference in cases.values():
                assert (reference in listed) == can_see_case(session, user, reference)
    # Consent withdrawn: gone from the caseworker's list at once, still there for operators
    with session_factory() as session:
        withdraw_consent(
            session,
            keyring,
            cases["vi_london"],
            "partner_sharing",
            channel="socketio",
            language="vi",
            now=NOW,
        )
    assert refs(session_factory, CW_LONDON) == []
    assert cases["vi_london"] in refs(session_factory, OPERATOR)


def test_an_unconsented_case_matched_by_hand_never_shows_for_caseworkers(
    session_factory: Any, keyring: Keyring, cases: dict[str, str]
) -> None:
    # Even a casework row pointing at their organisation does not open a case without consent
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == cases["unshared"]))
        session.add(
            Casework(
                case_id=case_id,
                partner_id="lotus-bridge-london",
                status="queued",
                first_contact_due=NOW,
                caseworker_due=NOW,
            )
        )
        session.commit()
    assert refs(session_factory, CW_LONDON) == [cases["vi_london"]]


def test_rows_carry_words_not_codes(session_factory: Any, cases: dict[str, str]) -> None:
    with session_factory() as session:
        rows = {
            r.reference: r
            for r in list_cases(session, OPERATOR, CaseFilters(), now=NOW, per_page=100).rows
        }
    bare = rows[cases["bare"]]
    assert (bare.language_name, bare.channel_name, bare.status_name, bare.police_name) == (
        "English",
        "WhatsApp",
        "Received",
        "No police report",
    )
    assert bare.next_due is None
    ko = rows[cases["ko_north"]]
    assert (ko.language_name, ko.channel_name) == ("Korean", "Text message (SMS)")
    assert ko.police_name == "Yes, with their name (not passed on yet)"
    assert rows[cases["unshared"]].police_name.startswith("Yes, anonymously")
    data = bare.as_dict()
    assert data["language_name"] == "English" and data["next_due"] is None
