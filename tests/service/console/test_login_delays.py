"""Console logins cannot be turned against staff: the delays after wrong passwords are keyed on
the client (the real one behind a configured proxy), never on the account alone; console
passwords are checked against breached and guessable ones; caseworkers never receive a
conversation key."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.handoff import accounts
from bot.handoff.accounts import AccountError
from service.console.config import ConsoleConfig
from tests.service.console.cases import add_case
from tests.service.console.conftest import PASSWORD, MakeConsole, login

WRONG = "not the password at all"


async def _post_login(
    client: TestClient, email: str, password: str, forwarded: str | None = None
) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = await (await client.get("/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
        allow_redirects=False,
    )
    return response.status


async def test_wrong_passwords_from_one_client_do_not_lock_the_account_for_another(
    make_console: MakeConsole, users: Any
) -> None:
    # Behind the proxy every request comes from 127.0.0.1: the proxy names the real client.
    client = await make_console(login_limit=3, trusted_proxies=("127.0.0.1",))
    attacker, owner = "203.0.113.7", "198.51.100.20"
    for _ in range(6):
        await _post_login(client, "cw@lotus.example.org", WRONG, forwarded=attacker)
    assert await _post_login(client, "cw@lotus.example.org", PASSWORD, attacker) == 429
    assert await _post_login(client, "cw@lotus.example.org", PASSWORD, owner) == 302


async def test_a_forged_forwarded_header_from_an_untrusted_peer_is_ignored(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console(login_limit=3)  # no trusted proxy: the header means nothing
    for i in range(4):
        await _post_login(client, "operator@example.org", WRONG, forwarded=f"192.0.2.{i}")
    assert await _post_login(client, "operator@example.org", PASSWORD, "192.0.2.99") == 429


async def test_the_delayed_answer_says_how_long_to_wait(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console(login_limit=2)
    for _ in range(3):
        await _post_login(client, "operator@example.org", WRONG)
    page = await (await client.get("/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = await client.post(
        "/login",
        data={"email": "operator@example.org", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert "wait" in (await response.text())


def test_delays_grow_and_are_capped(session_factory: Any, keyring: Any) -> None:
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
    keys = accounts.attempt_keys("someone@example.org", "192.0.2.1", keyring)
    waits = []
    with session_factory() as session:
        for i in range(12):
            now = start + dt.timedelta(seconds=i)
            accounts.record_failure(session, keys, now=now, window=dt.timedelta(hours=1))
            waits.append(
                accounts.login_delay(
                    session, keys, now=now, limit=3, window=dt.timedelta(hours=1)
                ).total_seconds()
            )
        later = start + dt.timedelta(hours=2)  # the failures left the window: no wait at all
        after = accounts.login_delay(session, keys, now=later, limit=3, window=dt.timedelta(hours=1))
    assert waits[:2] == [0, 0]
    assert waits[2:6] == [5, 10, 20, 40]
    assert max(waits) == accounts.MAX_LOGIN_DELAY.total_seconds()
    assert after == dt.timedelta(0)


@pytest.mark.parametrize(
    "password",
    ["password12345678", "iloveyou123456", "qwertyuiop123", "operator@example.org1"],
)
def test_breached_or_guessable_console_passwords_are_refused(
    session_factory: Any, password: str
) -> None:
    with session_factory() as session, pytest.raises(AccountError):
        accounts.create_user(session, email="operator@example.org", password=password, role="operator")


def test_a_strong_passphrase_is_accepted(session_factory: Any) -> None:
    with session_factory() as session:
        user = accounts.create_user(
            session, email="new@example.org", password="violet kettle under 9 bridges", role="admin"
        )
        with pytest.raises(AccountError):
            accounts.set_password(session, "new@example.org", "password12345678")
    assert user.email == "new@example.org"


def test_console_origins_and_proxies_accept_commas_or_spaces() -> None:
    config = ConsoleConfig.from_env(
        {
            "CONSOLE_ORIGINS": "https://a.example.org, https://b.example.org https://c.example.org",
            "CONSOLE_TRUSTED_PROXIES": "127.0.0.1,10.0.0.2",
        }
    )
    assert config.allowed_origins == (
        "https://a.example.org", "https://b.example.org", "https://c.example.org",
    )
    assert config.trusted_proxies == ("127.0.0.1", "10.0.0.2")


async def test_no_case_answer_carries_the_conversation_key(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    reference = add_case(session_factory, keyring, "conversation-key-canary-1")
    client = await make_console()
    await login(client, "operator@example.org")
    for path in (f"/api/cases/{reference}", "/api/queue"):
        response = await client.get(path)
        assert response.status == 200
        body = await response.text()
        assert "conversation-key-canary-1" not in body
        assert "conversation_key" not in body


async def test_staff_can_unlock_a_persons_reference_and_it_is_audited(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Any
) -> None:
    from sqlalchemy import select

    from bot.store.handoff_models import AuditEntry

    reference = add_case(session_factory, keyring, "conversation-unlock-1")
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    headers = {"X-CSRF-Token": csrf}
    response = await client.post(f"/api/cases/{reference}/unlock", headers=headers)
    assert response.status == 200
    missing = await client.post("/api/cases/ABCD-2345/unlock", headers=headers)
    assert missing.status == 404
    with session_factory() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject == reference)
        ).all()
    assert "staff.unlock_reference" in actions

    caseworker = await make_console()
    csrf = await login(caseworker, "cw@lotus.example.org")
    refused = await caseworker.post(
        f"/api/cases/{reference}/unlock", headers={"X-CSRF-Token": csrf}
    )
    assert refused.status == 403
