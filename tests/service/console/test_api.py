"""The console's JSON API (service/console/api.py), route by route, for the routes the other
console tests leave out: contact attempts, callback status, the partner directory, account
creation and enabling, and the audit log. For each: a session is required, the roles it allows,
CSRF on POSTs, the ``{"error": ...}`` shape on bad input, and the audit row it writes.

Accounts come from conftest.py, cases from cases.py; everything is invented."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.store.handoff_models import AuditEntry, CallbackTask, Casework
from bot.store.models import Case
from tests.service.console.cases import add_case
from tests.service.console.conftest import MakeConsole, login


async def _signed_in(make_console: MakeConsole, email: str) -> tuple[TestClient, dict[str, str]]:
    """A client logged in as `email` and the CSRF header for its POSTs."""
    client = await make_console()
    csrf = await login(client, email)
    assert csrf is not None
    return client, {"X-CSRF-Token": csrf}


def _audit(session_factory: Any, action: str) -> list[AuditEntry]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _queued(session_factory: Any, keyring: Any) -> None:
    """Puts new cases into the casework and callback queues, as the console does."""
    from bot.handoff.partners import load_partners
    from bot.handoff.queue import sync_queue
    from bot.hours import OpeningHours

    with session_factory() as session:
        sync_queue(session, keyring, hours=OpeningHours(), partners=load_partners())


def _callback_id(session_factory: Any, reference: str) -> int:
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == reference))
        return int(session.scalar(select(CallbackTask.id).where(CallbackTask.case_id == case_id)))


async def _error(response: Any, status: int) -> str:
    """The message of a JSON error answer, after checking its status and shape."""
    assert response.status == status
    body = await response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


# -- /api/cases/{reference}/attempts --------------------------------------------------------------


async def test_contact_attempt_is_recorded_and_audited_for_the_partners_caseworker(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    reference = add_case(session_factory, keyring, "attempt-own", language="vi")
    client, csrf = await _signed_in(make_console, "cw@lotus.example.org")
    path = f"/api/cases/{reference}/attempts"

    refused = await client.post(path, json={"outcome": "reached"})
    assert refused.status == 403
    assert _audit(session_factory, "case.attempt") == []

    response = await client.post(path, json={"outcome": "reached"}, headers=csrf)
    assert (response.status, await response.json()) == (201, {"ok": True})
    [row] = _audit(session_factory, "case.attempt")
    assert (row.user_id, row.subject, row.detail) == (
        users["cw_london"].id,
        reference,
        {"outcome": "reached"},
    )
    with session_factory() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == reference))
        work = session.scalar(select(Casework).where(Casework.case_id == case_id))
        assert work.first_contact_at is not None


async def test_contact_attempt_with_an_unknown_outcome_or_no_json_is_a_json_error(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    reference = add_case(session_factory, keyring, "attempt-bad")
    client, csrf = await _signed_in(make_console, "operator@example.org")
    path = f"/api/cases/{reference}/attempts"
    unknown = await client.post(path, json={"outcome": "shouted"}, headers=csrf)
    assert "outcome must be one of" in await _error(unknown, 400)
    not_object = await client.post(path, json=["reached"], headers=csrf)
    assert await _error(not_object, 400) == "JSON object expected"
    assert _audit(session_factory, "case.attempt") == []


async def test_contact_attempt_on_another_partners_case_is_404_and_the_denial_audited(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    other = add_case(session_factory, keyring, "attempt-other", language="ko", location="M1 1AE")
    client, csrf = await _signed_in(make_console, "cw@lotus.example.org")
    response = await client.post(
        f"/api/cases/{other}/attempts", json={"outcome": "reached"}, headers=csrf
    )
    assert await _error(response, 404) == "no such case"
    assert _audit(session_factory, "case.attempt") == []
    [denied] = _audit(session_factory, "case.denied")
    assert (denied.user_id, denied.subject) == (users["cw_london"].id, other)


# -- /api/callbacks/{task_id}/status --------------------------------------------------------------


async def test_operator_marks_a_callback_done_and_the_change_is_audited(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    reference = add_case(session_factory, keyring, "callback-done")
    _queued(session_factory, keyring)
    task_id = _callback_id(session_factory, reference)
    client, csrf = await _signed_in(make_console, "operator@example.org")
    path = f"/api/callbacks/{task_id}/status"

    assert (await client.post(path, json={"status": "done"})).status == 403
    response = await client.post(path, json={"status": "done"}, headers=csrf)
    assert (response.status, await response.json()) == (200, {"ok": True})
    with session_factory() as session:
        task = session.get(CallbackTask, task_id)
        assert task.status == "done" and task.done_at is not None
    [row] = _audit(session_factory, "callback.status")
    assert (row.user_id, row.subject, row.detail) == (
        users["op"].id,
        f"callback-{task_id}",
        {"status": "done"},
    )

    unknown = await client.post(path, json={"status": "forgotten"}, headers=csrf)
    assert await _error(unknown, 400) == "status must be open, done or cancelled"
    missing = await client.post(
        "/api/callbacks/999999/status", json={"status": "done"}, headers=csrf
    )
    assert await _error(missing, 400) == "no such callback"
    assert len(_audit(session_factory, "callback.status")) == 1


async def test_caseworker_may_not_change_a_callback(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    reference = add_case(session_factory, keyring, "callback-cw")
    _queued(session_factory, keyring)
    task_id = _callback_id(session_factory, reference)
    client, csrf = await _signed_in(make_console, "cw@lotus.example.org")
    response = await client.post(
        f"/api/callbacks/{task_id}/status", json={"status": "cancelled"}, headers=csrf
    )
    await _error(response, 403)
    with session_factory() as session:
        assert session.get(CallbackTask, task_id).status == "open"
    assert _audit(session_factory, "callback.status") == []


# -- /api/admin/partners --------------------------------------------------------------------------


async def test_partner_directory_is_for_operators_and_admins_only(
    make_console: MakeConsole, users: Any
) -> None:
    anonymous = await make_console()
    assert (await anonymous.get("/api/admin/partners", allow_redirects=False)).status == 401
    for email in ("operator@example.org", "admin@example.org"):
        client, _ = await _signed_in(make_console, email)
        response = await client.get("/api/admin/partners")
        assert response.status == 200
        ids = {p["id"] for p in await response.json()}
        assert {"lotus-bridge-london", "northern-lantern"} <= ids
    caseworker, _ = await _signed_in(make_console, "cw@lotus.example.org")
    await _error(await caseworker.get("/api/admin/partners"), 403)


# -- /api/admin/users and /api/admin/users/{user_id}/active ---------------------------------------


NEW_ACCOUNT = {
    "email": "new.caseworker@example.org",
    "password": "a long invented password 7",
    "role": "caseworker",
    "organisation": "northern-lantern",
    "languages": ["ko", "en"],
}


async def test_admin_creates_an_account_and_the_creation_is_audited(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    client, csrf = await _signed_in(make_console, "admin@example.org")
    assert (await client.post("/api/admin/users", json=NEW_ACCOUNT)).status == 403
    response = await client.post("/api/admin/users", json=NEW_ACCOUNT, headers=csrf)
    assert response.status == 201
    made = await response.json()
    assert (made["email"], made["role"], made["organisation"]) == (
        "new.caseworker@example.org",
        "caseworker",
        "northern-lantern",
    )
    assert "password" not in made and "password_hash" not in made
    [row] = _audit(session_factory, "admin.user_create")
    assert (row.user_id, row.subject, row.detail) == (
        users["admin"].id,
        f"user-{made['id']}",
        {"role": "caseworker"},
    )
    listed = await (await client.get("/api/admin/users")).json()
    assert "new.caseworker@example.org" in {u["email"] for u in listed}


async def test_account_creation_with_bad_input_is_a_json_error_and_not_audited(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    client, csrf = await _signed_in(make_console, "admin@example.org")
    unknown_partner = await client.post(
        "/api/admin/users", json={**NEW_ACCOUNT, "organisation": "nowhere"}, headers=csrf
    )
    assert await _error(unknown_partner, 400) == (
        "organisation must be a partner id from the directory"
    )
    not_json = await client.post(
        "/api/admin/users",
        data=b"{nope",
        headers={**csrf, "Content-Type": "application/json"},
    )
    assert await _error(not_json, 400) == "JSON body expected"
    assert _audit(session_factory, "admin.user_create") == []


async def test_operators_and_caseworkers_may_not_manage_accounts(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    target = users["cw_north"].id
    for email in ("operator@example.org", "cw@lotus.example.org"):
        client, csrf = await _signed_in(make_console, email)
        await _error(await client.get("/api/admin/users"), 403)
        await _error(await client.post("/api/admin/users", json=NEW_ACCOUNT, headers=csrf), 403)
        await _error(
            await client.post(
                f"/api/admin/users/{target}/active", json={"active": False}, headers=csrf
            ),
            403,
        )
    assert _audit(session_factory, "admin.user_create") == []
    assert _audit(session_factory, "admin.user_active") == []


async def test_admin_disables_an_account_and_the_change_is_audited(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    target = users["cw_north"].id
    client, csrf = await _signed_in(make_console, "admin@example.org")
    path = f"/api/admin/users/{target}/active"
    assert (await client.post(path, json={"active": False})).status == 403
    response = await client.post(path, json={"active": False}, headers=csrf)
    assert (response.status, await response.json()) == (200, {"ok": True})
    listed = {u["email"]: u for u in await (await client.get("/api/admin/users")).json()}
    assert listed["cw@lantern.example.org"]["active"] is False
    [row] = _audit(session_factory, "admin.user_active")
    assert (row.user_id, row.subject, row.detail) == (
        users["admin"].id,
        f"user-{target}",
        {"active": False},
    )
    missing = await client.post(
        "/api/admin/users/999999/active", json={"active": True}, headers=csrf
    )
    assert await _error(missing, 404) == "no such account"
    not_a_number = await client.post(
        "/api/admin/users/x/active", json={"active": True}, headers=csrf
    )
    assert await _error(not_a_number, 404) == "no such account"


# -- /api/admin/audit -----------------------------------------------------------------------------


async def test_audit_log_is_for_admins_and_filters_by_subject(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    first = add_case(session_factory, keyring, "audit-one")
    second = add_case(session_factory, keyring, "audit-two")
    client, _ = await _signed_in(make_console, "admin@example.org")
    for reference in (first, second):
        assert (await client.get(f"/api/cases/{reference}")).status == 200

    everything = await (await client.get("/api/admin/audit")).json()
    assert {(e["action"], e["subject"]) for e in everything} >= {
        ("case.view", first),
        ("case.view", second),
        ("login", None),
    }
    one = await (await client.get("/api/admin/audit", params={"subject": first})).json()
    assert [(e["action"], e["subject"], e["user"]) for e in one] == [
        ("case.view", first, "admin@example.org")
    ]

    operator, _ = await _signed_in(make_console, "operator@example.org")
    await _error(await operator.get("/api/admin/audit"), 403)
