"""The case list over HTTP: /console/cases (HTML, no JavaScript needed) and /api/cases (JSON)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import select

from bot.crypto import Keyring
from bot.store.handoff_models import AuditEntry
from tests.bot.store.drafts import make_draft
from tests.service.console.cases import add_case, consent
from tests.service.console.conftest import MakeConsole, login

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def bare_case(session_factory: Any, keyring: Keyring, key: str, language: str = "en") -> str:
    """A report with no contact details and no caseworker (it joins no queue)."""
    from bot.store.service import submit_report

    draft = make_draft(
        language=language,
        channel="whatsapp",
        conversation_key=f"web-{key}",
        police="none",
        caseworker=False,
        contact=None,
        consents=[consent("police_referral", "none"), consent("caseworker_referral", "no")],
    )
    with session_factory() as session:
        reference = submit_report(session, keyring, draft, submission_key=key).reference
        session.commit()  # also from a plain session factory (the browser tests')
    return reference


class Table(HTMLParser):
    """The references listed in the page's #cases table."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "cases") in attrs:
            self._inside = True
        href = dict(attrs).get("href") or ""
        if self._inside and tag == "a" and href.startswith("/console/cases/"):
            self.references.append(href.rsplit("/", 1)[1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False


def listed(html: str) -> list[str]:
    table = Table()
    table.feed(html)
    return table.references


def visible_text(html: str) -> str:
    """The page's text without tags, attributes and the form's option values."""
    return re.sub(r"<[^>]+>", " ", html)


async def test_the_list_needs_a_session(make_console: MakeConsole, users: Any) -> None:
    client = await make_console()
    page = await client.get("/console/cases", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == "/login"
    api = await client.get("/api/cases", allow_redirects=False)
    assert api.status == 401


async def test_operator_sees_every_case_in_words_with_a_count(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    consented = add_case(session_factory, keyring, "k1")
    bare = bare_case(session_factory, keyring, "k2")
    client = await make_console()
    await login(client, "operator@example.org")
    response = await client.get("/console/cases")
    assert response.status == 200
    html = await response.text()
    assert set(listed(html)) == {consented, bare}
    assert "2 cases." in html
    assert "<caption>" in html and "<fieldset>" in html and "<legend>" in html
    text = visible_text(html)
    for words in (
        "Vietnamese",
        "English",
        "WhatsApp",
        "Web chat",
        "No police report",
        "Nothing due",
    ):
        assert words in text, words
    # No codes, no ISO times, no JSON in what staff read
    for code in ("socketio", "with_caseworker", "null", "None", "True", "False"):
        assert code not in text, code
    assert not ISO_TIME.search(text)
    # The read is audited, with the filters (no free text)
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cases.list")).all()[
            -1
        ]
    assert entry.detail == {"page": 1, "shown": 2}


async def test_caseworkers_see_only_their_organisations_consented_cases(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    ours = add_case(session_factory, keyring, "k1")  # vi, E1: London partner, consented
    unshared = add_case(session_factory, keyring, "k2", sharing="no")
    bare = bare_case(session_factory, keyring, "k3")
    client = await make_console()
    await login(client, "cw@lotus.example.org")
    html = await (await client.get("/console/cases")).text()
    assert listed(html) == [ours]
    data = await (await client.get("/api/cases")).json()
    assert [c["reference"] for c in data["cases"]] == [ours]
    # Searching for a case they may not see finds nothing (and says nothing about it)
    for other in (unshared, bare):
        html = await (await client.get("/console/cases", params={"q": other})).text()
        assert listed(html) == [] and "No case matches this search" in html
    # Another organisation sees none of it
    await client.post("/logout", data={"csrf_token": await _csrf(client)})
    await login(client, "cw@lantern.example.org")
    html = await (await client.get("/console/cases")).text()
    assert listed(html) == [] and "No cases of your organisation yet" in html
    assert (await (await client.get("/api/cases")).json())["total"] == 0


async def _csrf(client: Any) -> str:
    return str((await (await client.get("/api/me")).json())["csrf_token"])


async def test_filters_and_search_in_the_query_string(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    vi = add_case(session_factory, keyring, "k1")
    en = bare_case(session_factory, keyring, "k2")
    ko = add_case(session_factory, keyring, "k3", language="ko", location="M1 1AE")
    client = await make_console()
    await login(client, "admin@example.org")

    async def refs(**params: str) -> list[str]:
        response = await client.get("/console/cases", params=params)
        assert response.status == 200
        return listed(await response.text())

    assert await refs(language="ko") == [ko]
    assert await refs(channel="whatsapp") == [en]
    assert await refs(police="none") == [en]
    assert set(await refs(caseworker="yes")) == {vi, ko}
    assert await refs(caseworker="no", language="en") == [en]
    assert await refs(overdue="1") == []
    assert await refs(status="closed") == []
    assert set(await refs(**{"from": "2000-01-01", "to": "2999-12-31"})) == {vi, en, ko}
    assert await refs(to="2001-01-01") == []
    # Search: lower case, no dash, or just the beginning
    assert await refs(q=vi.lower().replace("-", "")) == [vi]
    assert vi in await refs(q=vi[:3])
    # The form shows what was chosen
    html = await (await client.get("/console/cases", params={"language": "ko"})).text()
    assert '<option value="ko" selected>Korean</option>' in html
    # JSON twin: same filters, codes and words
    data = await (await client.get("/api/cases", params={"language": "ko"})).json()
    assert data["total"] == 1 and data["cases"][0]["reference"] == ko
    assert data["cases"][0]["language_name"] == "Korean"


async def test_bad_filter_values_get_a_kind_400_never_a_500(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    add_case(session_factory, keyring, "k1")
    client = await make_console()
    await login(client, "operator@example.org")
    for params in (
        {"status": "verbal_abuse"},
        {"language": "xx"},
        {"channel": "fax"},
        {"police": "maybe"},
        {"caseworker": "perhaps"},
        {"overdue": "sometimes"},
        {"from": "yesterday"},
        {"to": "2026-02-30"},
        {"from": "2026-12-06", "to": "2026-12-01"},
        {"page": "-3"},
        {"page": "x"},
        {"page": "9" * 40},
        {"q": "<script>alert(1)</script>"},
        {"q": "ABCD-23456"},
    ):
        page = await client.get("/console/cases", params=params)
        assert page.status == 400, params
        html = await page.text()
        assert 'role="alert"' in html and "Please check the search" in html
        assert "<script>alert" not in html
        assert listed(html) == []
        api = await client.get("/api/cases", params=params)
        assert api.status == 400, params
        assert (await api.json())["error"]
    # Unknown parameters are ignored
    assert (await client.get("/console/cases", params={"colour": "blue"})).status == 200


async def test_pages_keep_the_filters_and_a_page_past_the_end_shows_the_last(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    made = [bare_case(session_factory, keyring, f"k{i}") for i in range(27)]
    client = await make_console()
    await login(client, "operator@example.org")
    first = await (await client.get("/console/cases", params={"language": "en"})).text()
    assert len(listed(first)) == 25
    assert "27 cases; showing 1 to 25 (page 1 of 2)." in first
    assert 'href="/console/cases?language=en&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    second = await (await client.get("/console/cases?language=en&page=2")).text()
    assert len(listed(second)) == 2
    assert 'href="/console/cases?language=en" rel="prev"' in second
    assert set(listed(first) + listed(second)) == set(made)
    beyond = await client.get("/console/cases?language=en&page=50")
    assert beyond.status == 200
    assert listed(await beyond.text()) == listed(second)
    data = await (await client.get("/api/cases?page=50")).json()
    assert (data["page"], data["pages"], len(data["cases"])) == (2, 2, 2)


async def test_an_empty_store_says_so(make_console: MakeConsole, users: Any) -> None:
    client = await make_console()
    await login(client, "operator@example.org")
    html = await (await client.get("/console/cases")).text()
    assert "No cases yet." in html and 'id="cases"' not in html
    assert '<p id="count" role="status">0 cases.</p>' in html


async def test_a_new_case_joins_its_queue_before_the_list_is_read(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    # Submitted after the app started: the list syncs the queue first, so the caseworker sees it
    client = await make_console()
    await login(client, "cw@lotus.example.org")
    ref = add_case(session_factory, keyring, "late")
    data = await (await client.get("/api/cases")).json()
    assert [c["reference"] for c in data["cases"]] == [ref]
    assert data["cases"][0]["next_due"] is not None


async def test_an_overdue_case_comes_first_and_says_overdue_in_words(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    import datetime as dt

    from bot.handoff.partners import load_partners
    from bot.handoff.queue import sync_queue
    from bot.hours import OpeningHours
    from bot.store.handoff_models import CallbackTask, Casework
    from bot.store.models import Case

    newer = add_case(session_factory, keyring, "k1", language="ko", location="M1 1AE")
    late = add_case(session_factory, keyring, "k2")
    with session_factory() as session:
        sync_queue(session, keyring, hours=OpeningHours(), partners=load_partners())
        case_id = session.scalar(select(Case.id).where(Case.reference == late))
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
        session.scalar(select(CallbackTask).where(CallbackTask.case_id == case_id)).due_at = past
        work = session.scalar(select(Casework).where(Casework.case_id == case_id))
        work.first_contact_due = work.caseworker_due = past + dt.timedelta(days=10)
        session.commit()
    client = await make_console()
    await login(client, "operator@example.org")
    html = await (await client.get("/console/cases")).text()
    assert listed(html) == [late, newer]
    row = html.split('<tr class="overdue">', 1)[1].split("</tr>", 1)[0]
    assert late in row
    assert re.search(r"Call back: \w+day, \d+ \w+ \d{4}, \d\d:\d\d", visible_text(row))
    assert "<strong>Overdue</strong>, was due 2 days ago" in row
    assert listed(await (await client.get("/console/cases?overdue=1")).text()) == [late]
