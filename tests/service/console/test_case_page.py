"""The server-rendered case page over HTTP: audited reads, a plain 404 for a case the user may not
see, only the valid forms, each form working (post/redirect/get) and needing the CSRF field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.store.handoff_models import AuditEntry, CaseNote, Casework, ContactAttempt
from bot.store.models import Case
from tests.service.console.cases import add_case
from tests.service.console.conftest import MakeConsole, login

#: What staff must never see on the page: codes, payloads, JSON, ISO times.
NEVER = (
    "verbal_abuse",
    "no_support",
    "legal_advice",
    "partner_sharing",
    "utter_",
    "null",
    "None",
    "True",
    "False",
    "/inform",
    '{"',
    "socketio",
)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _actions(session_factory: Any, reference: str) -> list[str]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject == reference)
                .order_by(AuditEntry.id)
            )
        )


def _visible_text(html: str) -> str:
    """The page's text without tags, attribute values or the script/style elements."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


async def test_reading_the_page_is_audited_like_the_api_and_shows_words_not_codes(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    ref = add_case(session_factory, keyring, "page-read", language="vi")
    client = await make_console()
    await login(client, "operator@example.org")
    response = await client.get(f"/console/cases/{ref}")
    html = await response.text()
    assert response.status == 200
    assert _actions(session_factory, ref) == ["case.view"]
    with session_factory() as session:
        row = session.scalars(select(AuditEntry).where(AuditEntry.subject == ref)).one()
    assert row.user_id == users["op"].id
    text = _visible_text(html)
    for code in NEVER:
        assert code not in text, code
    assert not ISO.search(html)
    assert "Verbal abuse" in text and "Chửi bới, lăng mạ" in text  # English + Vietnamese
    assert "Legal advice" in text and "Tư vấn pháp lý" in text
    assert 'lang="vi"' in html
    assert "Invented test incident" in text  # their own words, decrypted
    assert "Friday, 7 March 2025" in text  # the date of the incident in words


async def test_a_caseworker_refused_a_case_gets_a_plain_404_without_any_form(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    other = add_case(session_factory, keyring, "other-org", language="ko", location="M1 1AE")
    unconsented = add_case(
        session_factory, keyring, "no-sharing", sharing="no", language="vi", location="E1 6AN"
    )
    client = await make_console()
    await login(client, "cw@lotus.example.org")
    for ref in (other, unconsented, "ZZZZ-9999"):
        response = await client.get(f"/console/cases/{ref}")
        html = await response.text()
        assert response.status == 404
        assert "No such case" in html
        assert "<form" not in html.split("</header>", 1)[1]  # only the header's sign-out form
        assert "Invented test incident" not in html
    assert _actions(session_factory, other) == ["case.denied"]
    assert _actions(session_factory, unconsented) == ["case.denied"]


async def test_a_caseworker_sees_their_own_organisations_case(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    ref = add_case(session_factory, keyring, "own-org", language="vi", location="E1 6AN")
    client = await make_console()
    await login(client, "cw@lotus.example.org")
    response = await client.get(f"/console/cases/{ref}")
    html = await response.text()
    assert response.status == 200
    assert 'id="cw-status"' in html and 'id="unlock"' not in html  # unlock: operators/admins


async def test_the_status_form_is_shown_only_for_a_case_in_the_caseworker_queue(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    queued = add_case(session_factory, keyring, "queued", sharing="yes")
    not_queued = add_case(session_factory, keyring, "not-queued", sharing="no", caseworker=False)
    client = await make_console()
    await login(client, "operator@example.org")
    queued_html = await (await client.get(f"/console/cases/{queued}")).text()
    plain_html = await (await client.get(f"/console/cases/{not_queued}")).text()
    assert 'id="cw-status"' in queued_html and "Waiting for a caseworker" in queued_html
    # the current status is not offered again
    assert '<option value="queued">' not in queued_html
    assert 'id="cw-status"' not in plain_html and "/status" not in plain_html
    for html in (queued_html, plain_html):
        assert 'id="outcome"' in html and 'id="note"' in html and 'id="unlock"' in html


async def _csrf(client: Any, ref: str) -> str:
    html = await (await client.get(f"/console/cases/{ref}")).text()
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("action", "form", "audited", "message"),
    [
        ("attempt", {"outcome": "no_answer"}, "case.attempt", "contact attempt is recorded"),
        (
            "note",
            {"text": "Invented note: rang twice, will try again"},
            "case.note",
            "note is added",
        ),
        ("status", {"status": "accepted"}, "case.status", "casework status is changed"),
        ("unlock", {}, "staff.unlock_reference", "try their reference"),
    ],
)
async def test_each_form_works_redirects_and_says_so(
    make_console: MakeConsole,
    users: Any,
    session_factory: Any,
    keyring: Any,
    action: str,
    form: dict[str, str],
    audited: str,
    message: str,
) -> None:
    ref = add_case(session_factory, keyring, f"form-{action}")
    client = await make_console()
    await login(client, "operator@example.org")
    token = await _csrf(client, ref)
    response = await client.post(
        f"/console/cases/{ref}/{action}",
        data={**form, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith(f"/console/cases/{ref}?done={action}")
    page = await client.get(location)
    html = await page.text()
    assert message in html and 'id="message"' in html
    assert audited in _actions(session_factory, ref)
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == ref))
        if action == "attempt":
            attempt = session.scalars(select(ContactAttempt)).one()
            assert attempt.outcome == "no_answer" and attempt.case_id == case_id
            assert "Contact attempt: No answer" in html
        if action == "note":
            assert session.scalars(select(CaseNote)).one().case_id == case_id
            assert "rang twice" in html
        if action == "status":
            assert session.scalars(select(Casework)).one().status == "accepted"
            assert "Casework status set to" in html


@pytest.mark.parametrize("action", ["attempt", "note", "status", "unlock"])
async def test_every_form_needs_the_csrf_field(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any, action: str
) -> None:
    ref = add_case(session_factory, keyring, f"csrf-{action}")
    client = await make_console()
    await login(client, "operator@example.org")
    for data in (
        {"outcome": "reached", "text": "x", "status": "accepted"},
        {"csrf_token": "wrong"},
    ):
        response = await client.post(
            f"/console/cases/{ref}/{action}", data=data, allow_redirects=False
        )
        assert response.status == 403
    assert not any(a != "case.view" for a in _actions(session_factory, ref))


async def test_a_form_refused_by_the_guard_is_a_page_in_words_never_json(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    """A form sent from a page left open too long (stale token), after signing out elsewhere
    (no session) or from another site: the guard refuses it with a page a person can read and a
    way on; the JSON API keeps its JSON answers."""
    ref = add_case(session_factory, keyring, "guard-page")
    client = await make_console()
    await login(client, "operator@example.org")
    origin = str(client.make_url("")).rstrip("/")
    for headers, data, status, says in (
        ({"Origin": origin}, {"csrf_token": "stale", "text": "x"}, 403, "Nothing was changed"),
        ({"Origin": "https://elsewhere.example"}, {"text": "x"}, 403, "another site"),
    ):
        response = await client.post(
            f"/console/cases/{ref}/note", data=data, headers=headers, allow_redirects=False
        )
        text = await response.text()
        assert response.status == status
        assert response.content_type == "text/html", text
        assert says in text and "CSRF" not in text and '{"' not in text
        assert 'href="/console' in text or 'href="/login' in text
    api = await client.post(f"/api/cases/{ref}/notes", json={"text": "x"})
    assert api.status == 403 and (await api.json())["error"]
    await client.post("/logout", data={"csrf_token": await _csrf(client, ref)})
    response = await client.post(
        f"/console/cases/{ref}/note",
        data={"csrf_token": "gone", "text": "x"},
        headers={"Origin": origin},
        allow_redirects=False,
    )
    text = await response.text()
    assert response.status == 401 and response.content_type == "text/html", text
    assert "sign in again" in text and 'href="/login"' in text and '{"' not in text
    assert not any(a != "case.view" for a in _actions(session_factory, ref))


async def test_an_empty_note_or_unknown_outcome_comes_back_with_a_kind_message(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    ref = add_case(session_factory, keyring, "problems")
    client = await make_console()
    await login(client, "operator@example.org")
    token = await _csrf(client, ref)
    for action, form, says in (
        ("note", {"text": "   "}, "Please write a note first"),
        ("attempt", {"outcome": "shouted"}, "Please choose what happened"),
    ):
        response = await client.post(
            f"/console/cases/{ref}/{action}", data={**form, "csrf_token": token}
        )
        assert response.status == 200 and says in await response.text()
    assert _actions(session_factory, ref) == ["case.view"] * 3


async def test_a_caseworker_cannot_unlock_or_post_to_a_case_they_cannot_see(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    own = add_case(session_factory, keyring, "cw-own", language="vi", location="E1 6AN")
    other = add_case(session_factory, keyring, "cw-other", language="ko", location="M1 1AE")
    client = await make_console()
    await login(client, "cw@lotus.example.org")
    token = await _csrf(client, own)
    response = await client.post(
        f"/console/cases/{own}/unlock", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 403
    response = await client.post(
        f"/console/cases/{other}/note",
        data={"csrf_token": token, "text": "Invented"},
        allow_redirects=False,
    )
    assert response.status == 404 and "No such case" in await response.text()
    with session_factory() as session:
        assert session.scalars(select(CaseNote)).all() == []


async def test_the_json_api_still_answers(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    ref = add_case(session_factory, keyring, "api-still")
    client = await make_console()
    await login(client, "operator@example.org")
    response = await client.get(f"/api/cases/{ref}")
    assert response.status == 200 and (await response.json())["reference"] == ref


async def test_forms_post_with_the_pages_own_origin(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    """The page asks the browser for "same-origin" referrers, so a form post carries our own
    Origin (with the service's default "no-referrer" a browser sends "Origin: null", refused)."""
    ref = add_case(session_factory, keyring, "origin")
    client = await make_console()
    await login(client, "operator@example.org")
    page = await client.get(f"/console/cases/{ref}")
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    own = str(client.make_url("")).rstrip("/")
    for origin, status in ((own, 303), ("null", 403)):
        response = await client.post(
            f"/console/cases/{ref}/note",
            data={"text": "Invented note", "csrf_token": token},
            headers={"Origin": origin},
            allow_redirects=False,
        )
        assert response.status == status
