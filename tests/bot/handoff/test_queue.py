"""Due dates in working days (bank holidays, closures), overdue flags, and partner matching."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from bot.handoff.accounts import User
from bot.handoff.hours import add_working_days, load_hours
from bot.handoff.partners import load_partners, match_partner, region_of
from bot.handoff.queue import queue_view, sync_queue
from bot.hours import LONDON, OpeningHours
from tests.service.console.cases import add_case

OPERATOR = User(1, "operator@example.org", "operator", None, ("en",))


def test_three_working_days_from_friday_evening_is_wednesday_closing() -> None:
    friday = dt.datetime(2025, 3, 7, 19, 0, tzinfo=LONDON)
    assert add_working_days(OpeningHours(), friday, 3) == dt.datetime(
        2025, 3, 12, 17, 0, tzinfo=LONDON
    )


def test_easter_bank_holidays_push_the_deadline() -> None:
    # Thursday 17 April 2025; Good Friday 18th and Easter Monday 21st are bank holidays.
    thursday = dt.datetime(2025, 4, 17, 10, 0, tzinfo=LONDON)
    assert add_working_days(OpeningHours(), thursday, 3).date() == dt.date(2025, 4, 24)


def test_scottish_and_english_bank_holidays_differ() -> None:
    # 2 January is a bank holiday in Scotland only; 31 Dec 2024 is a Tuesday.
    start = dt.datetime(2024, 12, 31, 12, 0, tzinfo=LONDON)
    assert add_working_days(OpeningHours(region="england"), start, 1).date() == dt.date(2025, 1, 2)
    assert add_working_days(OpeningHours(region="scotland"), start, 1).date() == dt.date(2025, 1, 3)


def test_ad_hoc_closure_is_not_a_working_day() -> None:
    hours = OpeningHours(closures=frozenset({dt.date(2025, 3, 10)}))
    monday_start = dt.datetime(2025, 3, 7, 12, 0, tzinfo=LONDON)
    assert add_working_days(hours, monday_start, 1).date() == dt.date(2025, 3, 11)


def test_region_of_postcodes() -> None:
    assert region_of("near E1 6AN") == "london"
    assert region_of("M1 1AE") == "north_west"
    assert region_of("G2") == "scotland"
    assert region_of("BT1 5GS") == "northern_ireland"
    assert region_of("somewhere in town") is None


def test_partner_matching_prefers_language_then_region_then_support() -> None:
    partners = load_partners()
    vi_london = match_partner(partners, language="vi", region="london", needs=["legal_advice"])
    assert vi_london is not None and vi_london.partner.id == "lotus-bridge-london"
    assert "region" in vi_london.reasons
    ko_north = match_partner(partners, language="ko", region="north_west", needs=["emotional"])
    assert ko_north is not None and ko_north.partner.id == "northern-lantern"
    km_anywhere = match_partner(partners, language="km", region="scotland", needs=[])
    assert km_anywhere is not None and km_anywhere.partner.id == "monsoon-link"
    ko_scotland = match_partner(partners, language="ko", region="scotland", needs=[])
    assert ko_scotland is not None and ko_scotland.partner.id == "kite-remote"
    assert match_partner(partners, language="xx", region="london", needs=[]) is None


def test_sync_makes_callbacks_and_consented_casework_only(
    session_factory: Any, keyring: Any
) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 7, 18, 0, tzinfo=LONDON), tick=False):
        consented = add_case(session_factory, keyring, "c1", language="vi", location="E1 6AN")
        refused = add_case(session_factory, keyring, "c2", sharing="no")
    with session_factory() as session:
        stats = sync_queue(
            session, keyring, hours=load_hours(session, OpeningHours()), partners=load_partners()
        )
        again = sync_queue(
            session, keyring, hours=load_hours(session, OpeningHours()), partners=load_partners()
        )
    assert (stats.callbacks, stats.casework) == (2, 1)
    assert (again.callbacks, again.casework) == (0, 0)
    with session_factory() as session:
        view = queue_view(
            session, keyring, OPERATOR, now=dt.datetime(2025, 3, 10, 9, 0, tzinfo=LONDON)
        )
    assert [c["reference"] for c in view["casework"]] == [consented]
    work = view["casework"][0]
    assert work["partner_id"] == "lotus-bridge-london"
    assert work["first_contact_due"].startswith("2025-03-12T17:00")
    assert work["caseworker_due"].startswith("2025-03-14T18:00")
    assert {c["reference"] for c in view["callbacks"]} == {consented, refused}
    assert all(
        c["may_leave_message"] is False and c["safe_times"] == "weekday mornings"
        for c in view["callbacks"]
    )
    assert not any(c["overdue"] for c in view["callbacks"] + view["casework"])


def test_overdue_items_stand_out(session_factory: Any, keyring: Any) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 7, 18, 0, tzinfo=LONDON), tick=False):
        add_case(session_factory, keyring, "late")
    with session_factory() as session:
        sync_queue(
            session, keyring, hours=load_hours(session, OpeningHours()), partners=load_partners()
        )
    with (
        time_machine.travel(dt.datetime(2025, 3, 13, 9, 0, tzinfo=LONDON), tick=False),
        session_factory() as session,
    ):
        view = queue_view(session, keyring, OPERATOR, now=dt.datetime.now(dt.timezone.utc))
    assert view["casework"][0]["overdue"] is True
    assert view["callbacks"][0]["overdue"] is True


def test_a_sync_another_process_got_to_first_adds_nothing_and_keeps_the_rest_of_its_unit(
    session_factory: Any, keyring: Any, monkeypatch: Any
) -> None:
    """Two syncs race for the same new case: the loser's rows are undone alone (a savepoint), so
    what else its unit of work holds, before and after (here audit rows), is still committed."""
    from sqlalchemy import func, select

    import bot.handoff.queue as queue_module
    from bot.store.audit import audit
    from bot.store.handoff_models import AuditEntry, CallbackTask, Casework

    add_case(session_factory, keyring, "raced", language="vi", location="E1 6AN")
    real = queue_module.add_working_days
    raced: list[Any] = []

    def the_other_process_first(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            with session_factory() as other:  # another unit of work, committed before ours
                won = sync_queue(other, keyring, hours=OpeningHours(), partners=load_partners())
            raced.append(won)
        return real(*args, **kwargs)

    monkeypatch.setattr(queue_module, "add_working_days", the_other_process_first)
    with session_factory() as session:
        # Earlier work of the same unit, still pending (not flushed, so in one thread the other
        # "process" is not locked out: in real life it would simply be first).
        audit(session, None, "privacy.retention_run", None, {"invented": 1})
        with session.no_autoflush:
            lost = sync_queue(session, keyring, hours=OpeningHours(), partners=load_partners())
        audit(session, None, "privacy.retention_run", None, {"invented": 2})  # the unit goes on
    assert (raced[1].callbacks, raced[1].casework) == (1, 1)
    assert (lost.callbacks, lost.casework) == (0, 0)
    with session_factory() as session:
        assert session.scalar(select(func.count(CallbackTask.id))) == 1
        assert session.scalar(select(func.count(Casework.id))) == 1
        assert session.scalar(select(func.count(AuditEntry.id))) == 2
