"""The admin page over HTTP: the hours override (set, shown in words, cleared, audited in the same
transaction), the standard hours form, accounts, and refusals: admins only, CSRF, bad input is a
kind 400 page that keeps what was entered and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.handoff.accounts import audit
from bot.handoff.hours import load_hours
from bot.hours import LONDON
from bot.store.handoff_models import AuditEntry, ServiceHoursOverride
from service.console import audit_words
from tests.service.console.conftest import MakeConsole, login

#: A Monday morning in standard hours (the console's fake clock).
MONDAY_10 = dt.datetime(2025, 3, 10, 10, 0, tzinfo=LONDON)


@pytest.fixture
def monday(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setenv("ALLOW_FAKE_CLOCK", "1")
    monkeypatch.setenv("HOURS_NOW", MONDAY_10.isoformat())
    return MONDAY_10


async def _admin(make_console: MakeConsole) -> tuple[TestClient, str]:
    client = await make_console()
    csrf = await login(client, "admin@example.org")
    assert csrf
    return client, csrf


def _text(html: str) -> str:
    """The page's words without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _audit(session_factory: Any) -> list[tuple[str, Any]]:
    with session_factory() as session:
        return [
            (e.action, e.detail)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


async def test_admin_sets_closed_now_until_tomorrow_and_clears_it(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    client, csrf = await _admin(make_console)
    page = _text(await (await client.get("/console/admin")).text())
    assert "The service is open now" in page and "No override" in page
    response = await client.post(
        "/console/admin/override",
        data={
            "csrf_token": csrf,
            "mode": "closed",
            "until_day": "2025-03-11",
            "until_time": "09:00",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/console/admin?done=override#message"
    page = _text(await (await client.get(response.headers["Location"])).text())
    assert "The override is set" in page
    assert "The service is closed now" in page
    assert "closed now until Tuesday, 11 March 2025, 09:00" in page
    assert "set by admin@example.org" in page
    with session_factory() as session:
        assert not load_hours(session).is_open(monday)
    actions = _audit(session_factory)
    assert actions[-1] == (
        "admin.hours_override",
        {"mode": "closed", "until": "2025-03-11T09:00:00+00:00"},
    )
    assert (
        "Overrode the opening hours for now (closed now until Tuesday, 11 March 2025, 09:00)"
        in page
    )

    # Every console page says so in its header, for operators too.
    operator = await make_console()
    await login(operator, "operator@example.org")
    notice = "Opening hours overridden: closed now until Tuesday, 11 March 2025, 09:00"
    assert notice in _text(await (await operator.get("/console")).text())

    response = await client.post(
        "/console/admin/override/clear", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert response.status == 303
    page = _text(await (await client.get(response.headers["Location"])).text())
    assert "The override is cleared" in page and "No override" in page
    assert "The service is open now" in page
    assert _audit(session_factory)[-1] == ("admin.hours_override_clear", None)
    with session_factory() as session:
        assert session.get(ServiceHoursOverride, 1) is None
    assert "Opening hours overridden" not in _text(await (await operator.get("/console")).text())


async def test_an_override_past_its_end_is_gone_from_every_page_by_itself(
    make_console: MakeConsole,
    users: Any,
    session_factory: Any,
    monday: dt.datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, csrf = await _admin(make_console)
    form = {"csrf_token": csrf, "mode": "closed", "until_day": "2025-03-10", "until_time": "12:30"}
    assert (await client.post("/console/admin/override", data=form)).status == 200
    page = _text(await (await client.get("/console/admin")).text())
    assert "Opening hours overridden: closed now until Monday, 10 March 2025, 12:30" in page
    assert "Override: closed now until Monday, 10 March 2025, 12:30 (in " in page
    assert "The service is closed now" in page and "opens Monday, 10 March 2025, 12:30" in page
    monkeypatch.setenv("HOURS_NOW", "2025-03-10T12:30:00+00:00")
    page = _text(await (await client.get("/console/admin")).text())
    assert "Opening hours overridden" not in page and "No override" in page
    assert "The service is open now" in page
    body = await (await client.get("/api/admin/hours")).json()
    assert body["override"] is None and body["open_now"] is True


async def test_override_routes_are_for_admins_only_and_need_the_csrf_token(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    form = {"csrf_token": csrf, "mode": "open", "until_day": "2025-03-10", "until_time": "20:00"}
    assert (await client.get("/console/admin")).status == 403
    assert (await client.post("/console/admin/override", data=form)).status == 403
    assert (await client.post("/console/admin/override/clear", data=form)).status == 403
    admin, admin_csrf = await _admin(make_console)
    no_token = {k: v for k, v in form.items() if k != "csrf_token"}
    assert (await admin.post("/console/admin/override", data=no_token)).status == 403
    wrong = {**form, "csrf_token": csrf}  # the operator's token is not the admin's
    assert (await admin.post("/console/admin/override", data=wrong)).status == 403
    with session_factory() as session:
        assert session.get(ServiceHoursOverride, 1) is None
    assert not any(a.startswith("admin.") for a, _ in _audit(session_factory))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"mode": "open", "until_day": "2025-03-10", "until_time": "08:00"}, "later than now"),
        ({"mode": "", "until_day": "2025-03-10", "until_time": "20:00"}, "choose open or closed"),
        ({"mode": "closed", "until_day": "tomorrow", "until_time": "09:00"}, "choose the day"),
        ({"mode": "closed", "until_day": "2025-04-10", "until_time": "09:00"}, "at most 14 days"),
    ],
)
async def test_an_unusable_override_is_a_kind_400_and_changes_nothing(
    make_console: MakeConsole,
    users: Any,
    session_factory: Any,
    monday: dt.datetime,
    form: dict[str, str],
    message: str,
) -> None:
    client, csrf = await _admin(make_console)
    response = await client.post("/console/admin/override", data={"csrf_token": csrf, **form})
    assert response.status == 400
    html = await response.text()
    assert message in _text(html) and 'role="alert"' in html
    if form["mode"]:  # what the admin chose is still chosen
        assert re.search(
            rf'value="{form["mode"]}" required checked|value="{form["mode"]}" checked', html
        )
    with session_factory() as session:
        assert session.get(ServiceHoursOverride, 1) is None
    assert not any(a.startswith("admin.hours") for a, _ in _audit(session_factory))


async def test_standard_hours_form_uses_named_days_and_dates(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    client, csrf = await _admin(make_console)
    html = await (await client.get("/console/admin")).text()
    for name in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        assert re.search(
            rf'<input type="checkbox" name="weekday" value="\d"[^>]*> {name}</label>', html
        )
    form = [
        ("csrf_token", csrf),
        ("weekday", "0"),
        ("weekday", "2"),
        ("weekday", "5"),
        ("opens", "10:00"),
        ("closes", "15:30"),
        ("region", "scotland"),
        ("new_day", "2025-12-24"),
        ("new_label", "Office closed"),
    ]
    response = await client.post("/console/admin/hours", data=form, allow_redirects=False)
    assert response.status == 303
    with session_factory() as session:
        hours = load_hours(session)
    assert hours.weekdays == (0, 2, 5) and hours.region == "scotland"
    assert hours.opens == dt.time(10) and hours.closes == dt.time(15, 30)
    assert dt.date(2025, 12, 24) in hours.closures
    assert _audit(session_factory)[-1] == ("admin.hours", None)
    page = _text(await (await client.get(response.headers["Location"])).text())
    assert "Monday, Wednesday and Saturday, from 10:00 to 15:30" in page
    assert "Wednesday, 24 December 2025: Office closed" in page
    # Unticking the closed day opens it again; its label travels with it while kept.
    response = await client.post(
        "/console/admin/hours",
        data=[(k, v) for k, v in form if not k.startswith("new_")],
        allow_redirects=False,
    )
    assert response.status == 303
    with session_factory() as session:
        assert dt.date(2025, 12, 24) not in load_hours(session).closures


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"opens": "18:00"}, "must open before it closes"),
        ({"weekday": None}, "at least one day"),
        ({"new_day": "24/12/2025"}, "new closed day as a date"),
        ({"region": "atlantis"}, "bank holidays"),
    ],
)
async def test_unusable_hours_are_a_kind_400_that_keeps_what_was_entered(
    make_console: MakeConsole,
    users: Any,
    session_factory: Any,
    monday: dt.datetime,
    change: dict[str, Any],
    message: str,
) -> None:
    client, csrf = await _admin(make_console)
    base = {"opens": "10:00", "closes": "16:00", "region": "wales", "new_label": "Staff training"}
    base.update({k: v for k, v in change.items() if v is not None})
    form = [("csrf_token", csrf), *base.items()]
    if "weekday" not in change:
        form += [("weekday", "1"), ("weekday", "3")]
    response = await client.post("/console/admin/hours", data=form)
    assert response.status == 400
    html = await response.text()
    assert message in _text(html)
    assert 'value="Staff training"' in html  # nothing the admin typed is lost
    if "weekday" not in change:
        assert (
            'name="weekday" value="1" checked' in html
            and 'name="weekday" value="0" checked' not in html
        )
    with session_factory() as session:
        assert load_hours(session).weekdays == (0, 1, 2, 3, 4)  # unchanged
    assert not any(a == "admin.hours" for a, _ in _audit(session_factory))


async def test_json_hours_api_still_works_and_reports_the_override(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    client, csrf = await _admin(make_console)
    await client.post(
        "/console/admin/override",
        data={"csrf_token": csrf, "mode": "open", "until_day": "2025-03-10", "until_time": "20:00"},
    )
    body = await (await client.get("/api/admin/hours")).json()
    assert body["open_now"] is True
    assert body["override"] == {"mode": "open", "until": "2025-03-10T20:00:00+00:00"}
    saved = await client.post(
        "/api/admin/hours",
        json={"opens": "09:30", "closes": "17:00", "weekdays": [0, 1], "region": "wales"},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status == 200 and (await saved.json())["weekdays"] == [0, 1]
    bad = await client.post(
        "/api/admin/hours",
        json={"opens": "18:00", "closes": "17:00", "weekdays": [0], "region": "wales"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status == 400
    with session_factory() as session:
        assert load_hours(session).opens == dt.time(9, 30)


async def test_accounts_are_created_and_disabled_by_forms(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    client, csrf = await _admin(make_console)
    form = [
        ("csrf_token", csrf),
        ("email", "new.caseworker@example.org"),
        ("role", "caseworker"),
        ("organisation", "lotus-bridge-london"),
        ("language", "vi"),
        ("language", "en"),
        ("password", "short"),
    ]
    refused = await client.post("/console/admin/users", data=form)
    assert refused.status == 400
    html = await refused.text()
    assert 'value="new.caseworker@example.org"' in html and 'value="vi" checked' in html
    form[-1] = ("password", "a long invented password 7")
    created = await client.post("/console/admin/users", data=form, allow_redirects=False)
    assert created.status == 303
    page = _text(await (await client.get(created.headers["Location"])).text())
    assert "The account is created" in page
    assert (
        "new.caseworker@example.org Caseworker Lotus Bridge Community Support (London) English, Vietnamese Yes"
        in page
    )
    new_id = users["op"].id
    response = await client.post(
        f"/console/admin/users/{new_id}/active",
        data={"csrf_token": csrf, "active": "0"},
        allow_redirects=False,
    )
    assert response.status == 303
    page = _text(await (await client.get(response.headers["Location"])).text())
    assert "The account is disabled" in page
    assert "Enabled or disabled an account (disabled) the account of operator@example.org" in page
    assert "Created an account (role: Caseworker)" in page


async def test_audit_log_is_in_words_with_no_codes(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    with session_factory() as session:
        for action, subject, detail in [
            ("staff.unlock_reference", "ABCD-2345", None),
            ("case.status", "ABCD-2345", {"status": "in_progress"}),
            ("live.returned", "chat-7", None),
            ("callback.status", "callback-3", {"status": "done"}),
        ]:
            audit(session, users["op"].id, action, subject, detail, now=monday)
    client, _csrf = await _admin(make_console)
    html = await (await client.get("/console/admin")).text()
    table = _text(html.split('id="audit"', 1)[1])
    assert "Let a person try their reference in “my report” again case ABCD-2345" in table
    assert "Changed a case's casework status (casework in progress)" in table
    assert "Handed a live chat back to the assistant live chat 7" in table
    assert "Monday, 10 March 2025, 10:00" in table
    for code in ("staff.unlock_reference", "in_progress", "live.returned", "chat-7", "2025-03-10T"):
        assert code not in table


def test_every_audit_action_the_service_writes_has_words() -> None:
    """Scans the code for audit action literals (``"case.view"``); each must be in ACTIONS."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    prefixes = "admin|case|cases|live|login|queue|callback|staff|person|privacy"
    pattern = re.compile(rf'"((?:{prefixes})(?:\.[a-z_]+)+)"')
    written: set[str] = set()
    for folder in ("bot", "service", "actions"):
        for path in (root / folder).rglob("*.py"):
            if path.name != "audit_words.py":
                written.update(pattern.findall(path.read_text(encoding="utf-8")))
    written = {c for c in written if not c.endswith((".id", ".html"))}  # column names, templates
    assert {"case.view", "admin.hours_override", "live.accept"} <= written  # the scan works
    written |= {"live.returned", "live.closed"}  # f"live.{how}" in the hub
    missing = sorted(code for code in written if code not in audit_words.ACTIONS)
    assert missing == []


async def test_setting_changing_or_clearing_an_override_never_moves_a_promised_due_date(
    make_console: MakeConsole,
    users: Any,
    session_factory: Any,
    keyring: Any,
    monday: dt.datetime,
) -> None:
    """Through the console, as the issue's admin did it: a case that joins the queue while an
    override is in force is promised dates in the standard hours, and later overrides (or none)
    leave the dates on its page as they were."""
    import time_machine

    from tests.service.console.cases import add_case

    client, csrf = await _admin(make_console)

    async def override(mode: str, day: str, at: str) -> None:
        form = {"csrf_token": csrf, "mode": mode, "until_day": day, "until_time": at}
        response = await client.post("/console/admin/override", data=form, allow_redirects=False)
        assert response.status == 303

    async def dues(ref: str) -> str:
        page = await (await client.get(f"/console/cases/{ref}")).text()
        found = re.search(r'<section aria-labelledby="h-due">(.*?)</section>', page, re.S)
        assert found, page
        return _text(found.group(1))

    await override("closed", "2025-03-11", "09:00")  # in force when the case joins the queue
    friday_evening = dt.datetime(2025, 3, 7, 18, 0, tzinfo=LONDON)
    with time_machine.travel(friday_evening, tick=False):
        ref = add_case(session_factory, keyring, "promised-during-override")
    first = await dues(ref)
    # Friday evening + 3 working days = Wednesday at closing; the caseworker's call 7 days on.
    assert "First contact Wednesday, 12 March 2025, 17:00" in first, first
    assert "Caseworker's call Friday, 14 March 2025, 18:00" in first, first
    await override("open", "2025-03-15", "20:00")  # open over the weekend instead
    assert await dues(ref) == first
    clear = await client.post("/console/admin/override/clear", data={"csrf_token": csrf})
    assert clear.status == 200
    assert await dues(ref) == first


async def test_an_account_of_an_organisation_gone_from_the_directory_shows_no_id(
    make_console: MakeConsole, users: Any, session_factory: Any, monday: dt.datetime
) -> None:
    from bot.handoff.accounts import create_user
    from tests.service.console.conftest import PASSWORD

    with session_factory() as session:
        create_user(
            session,
            email="cw@gone.example.org",
            password=PASSWORD,
            role="caseworker",
            organisation="gone-partner-org",
            languages=["vi"],
        )
    client, _csrf = await _admin(make_console)
    page = _text(await (await client.get("/console/admin")).text())
    assert "cw@gone.example.org" in page
    assert "gone-partner-org" not in page
    assert "An organisation no longer in the directory" in page
