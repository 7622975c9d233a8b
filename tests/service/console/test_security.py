"""The console's guards: every route needs a session unless allow-listed, CSRF, rate limit,
roles, case scoping for caseworkers, audit of case views, WebSocket authentication and Origin."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.store.handoff_models import AuditEntry
from service.console.security import PUBLIC_PATHS
from tests.service.console.cases import add_case
from tests.service.console.conftest import PASSWORD, MakeConsole, console_state, login

#: The explicit public allow-list; a new route not listed here must refuse anonymous requests.
EXPECTED_PUBLIC = {
    "/health",
    "/login",
    "/config.json",
    "/console/static/{name}",
    "/",
    "/neutral",
    "/widget.js",
    "/widget.css",
    "/page.css",
    "/forecast.css",
    "/vendor/socket.io.min.js",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_public_allow_list_is_exactly_the_expected_paths() -> None:
    assert set(PUBLIC_PATHS) == EXPECTED_PUBLIC


async def test_every_non_public_route_refuses_an_unauthenticated_request(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console()
    checked = 0
    for route in client.server.app.router.routes():
        path = route.resource.canonical
        if path in EXPECTED_PUBLIC or route.method == "HEAD":
            continue
        response = await client.request(
            route.method,
            _concrete(path),
            allow_redirects=False,
            headers={"Origin": str(client.make_url("")).rstrip("/")},
        )
        assert response.status in (401, 403) or (
            response.status == 302 and response.headers["Location"] == "/login"
        ), f"{route.method} {path} answered {response.status} without a session"
        checked += 1
    assert checked >= 20


async def test_login_page_cookie_is_httponly_samesite_strict_and_secure_by_default(
    make_console: MakeConsole,
) -> None:
    client = await make_console(cookie_secure=True)
    response = await client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie


async def test_login_sets_session_cookie_and_wrong_password_is_refused(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console()
    assert await login(client, "operator@example.org", "wrong password here") is None
    assert await login(client, "operator@example.org") is not None
    assert (await client.get("/api/queue")).status == 200


async def test_login_without_form_csrf_is_refused(make_console: MakeConsole, users: Any) -> None:
    client = await make_console()
    response = await client.post(
        "/login",
        data={"email": "operator@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 403


async def test_login_rate_limit_blocks_even_the_right_password(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console(login_limit=3)
    for _ in range(3):
        assert await login(client, "operator@example.org", "not the password!") is None
    page = await (await client.get("/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = await client.post(
        "/login",
        data={"email": "operator@example.org", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 429


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_state_change_without_the_right_csrf_token_is_403(
    make_console: MakeConsole, users: Any, token: str | None
) -> None:
    client = await make_console()
    await login(client, "admin@example.org")
    headers = {"X-CSRF-Token": token} if token else {}
    response = await client.post("/api/me/availability", json={"available": False}, headers=headers)
    assert response.status == 403


async def test_state_change_with_csrf_token_succeeds(make_console: MakeConsole, users: Any) -> None:
    client = await make_console()
    csrf = await login(client, "admin@example.org")
    response = await client.post(
        "/api/me/availability", json={"available": False}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 200


async def test_caseworker_sees_only_own_partners_consented_cases(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    own = add_case(session_factory, keyring, "own", language="vi", location="E1 6AN")
    other = add_case(session_factory, keyring, "other", language="ko", location="M1 1AE")
    unconsented = add_case(
        session_factory, keyring, "nocons", sharing="no", language="vi", location="E1 6AN"
    )
    client = await make_console()
    await login(client, "cw@lotus.example.org")
    queue = await (await client.get("/api/queue")).json()
    assert [c["reference"] for c in queue["casework"]] == [own]
    assert queue["live"] == [] and queue["callbacks"] == []
    assert (await client.get(f"/api/cases/{own}")).status == 200
    assert (await client.get(f"/api/cases/{other}")).status == 404
    assert (await client.get(f"/api/cases/{unconsented}")).status == 404
    assert (await client.get("/api/admin/users")).status == 403


async def test_operator_sees_every_case(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    ref = add_case(session_factory, keyring, "any", sharing="no")
    client = await make_console()
    await login(client, "operator@example.org")
    assert (await client.get(f"/api/cases/{ref}")).status == 200


async def test_every_case_view_is_audited_with_who_and_when(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    ref = add_case(session_factory, keyring, "audited")
    client = await make_console()
    await login(client, "operator@example.org")
    await client.get(f"/api/cases/{ref}")
    await client.get(f"/api/cases/{ref}")
    with session_factory() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.view")).all()
    assert len(rows) == 2
    assert {r.subject for r in rows} == {ref} and all(
        r.user_id == users["op"].id and r.at for r in rows
    )


async def test_notes_are_stored_encrypted(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    from bot.store.handoff_models import CaseNote

    ref = add_case(session_factory, keyring, "notes")
    client = await make_console()
    csrf = await login(client, "cw@lotus.example.org")
    response = await client.post(
        f"/api/cases/{ref}/notes",
        json={"text": "Invented note: prefers Vietnamese"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status == 201
    with session_factory() as session:
        blob = session.scalars(select(CaseNote.data)).one()
    assert b"Vietnamese" not in blob
    record = await (await client.get(f"/api/cases/{ref}")).json()
    assert record["notes"][0]["text"] == "Invented note: prefers Vietnamese"


async def test_websocket_without_session_is_refused(make_console: MakeConsole) -> None:
    client = await make_console()
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await client.ws_connect(
            "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
        )
    assert info.value.status == 401


async def test_websocket_from_a_foreign_origin_is_refused(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console()
    await login(client, "operator@example.org")
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await client.ws_connect("/api/live/ws", headers={"Origin": "https://evil.example.com"})
    assert info.value.status == 403


async def test_websocket_with_session_and_own_origin_gets_the_queue(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console()
    await login(client, "operator@example.org")
    ws = await client.ws_connect(
        "/api/live/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    first = await ws.receive_json(timeout=5)
    assert first == {"type": "queue", "live": []}
    await ws.close()


async def test_admin_can_edit_hours_and_the_bot_reads_them(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    from bot.handoff.hours import load_hours

    client = await make_console()
    csrf = await login(client, "admin@example.org")
    body = {
        "opens": "10:00",
        "closes": "16:00",
        "weekdays": [0, 1, 2],
        "region": "scotland",
        "closures": [{"day": "2025-12-24", "label": "Office closed"}],
    }
    response = await client.post("/api/admin/hours", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status == 200
    with session_factory() as session:
        hours = load_hours(session)
    assert hours.opens.hour == 10 and hours.region == "scotland" and hours.weekdays == (0, 1, 2)
    assert any(d.isoformat() == "2025-12-24" for d in hours.closures)


async def test_console_page_redirects_to_login_and_pages_have_no_data(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console()
    response = await client.get("/console", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"
    await login(client, "operator@example.org")
    page = await client.get("/console")
    assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
    assert console_state(client).sessions is not None
