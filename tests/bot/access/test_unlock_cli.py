"""``bot.cli cases unlock REF``: staff clear a reference's slow-down (audited). Invented data."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot import cli
from bot.settings import Settings
from bot.store import person
from bot.store.handoff_models import AuditEntry
from bot.store.uow import Store
from tests.bot.test_cli import _submit, cli_settings  # noqa: F401 - the fixture

NOW = datetime.now(timezone.utc)


def test_cases_unlock_clears_the_slow_down_and_is_audited(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    cli.main(["db", "upgrade"])
    reference = _submit(cli_settings)
    store = Store(cli_settings)
    keyring, sessions = store.keyring, store.unit_of_work
    for i in range(person.REFERENCE_FREE_TRIES):
        with sessions() as session:
            person.verify_access(session, keyring, reference, f"guess {i}", now=NOW, client=f"c{i}")
    with sessions() as session:
        assert person.is_locked(session, keyring, reference, now=NOW, client="owner")
    capsys.readouterr()
    assert cli.main(["cases", "unlock", reference.lower()]) == 0
    assert "unlocked" in capsys.readouterr().out
    with sessions() as session:
        assert not person.is_locked(session, keyring, reference, now=NOW, client="owner")
        audited = list(session.scalars(select(AuditEntry).where(AuditEntry.subject == reference)))
    assert [a.action for a in audited if a.action == "staff.unlock_reference"]
    store.dispose()


@pytest.mark.parametrize(("reference", "message"), [("ZZZZ-ZZZZ", "no case"), ("hello", "not a case reference")])
def test_cases_unlock_unknown_reference_is_one_line_error(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str], reference: str, message: str  # noqa: F811
) -> None:
    cli.main(["db", "upgrade"])
    capsys.readouterr()
    assert cli.main(["cases", "unlock", reference]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
