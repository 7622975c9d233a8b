"""``bot.cli keys rotate`` also re-encrypts Rasa's tracker events."""

from __future__ import annotations

import sqlite3

import pytest
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import cli
from bot.crypto import Keyring
from bot.privacy import tracker_events
from bot.settings import Settings
from bot.tracker_store import EncryptedSQLTrackerStore
from tests.bot.test_tracker_store import DOMAIN


async def test_keys_rotate_reencrypts_tracker_events(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    keyring = Keyring.load(cli_env)
    db = cli_env.var_dir / "tracker.db"
    store = EncryptedSQLTrackerStore(domain=DOMAIN, db=str(db), keyring=keyring)
    tracker = DialogueStateTracker("web-1", DOMAIN.slots)
    for event in (SessionStarted(), UserUttered("invented words"), SlotSet("phone", "+442079460111")):
        tracker.update(event)
    await store.save(tracker)
    capsys.readouterr()

    assert cli.main(["keys", "rotate"]) == 0
    assert "and 3 tracker events" in capsys.readouterr().out
    new_primary = Keyring.load(cli_env).primary_key_id
    with sqlite3.connect(db) as conn:
        stored = [row[0] for row in conn.execute("SELECT data FROM events")]
    assert {tracker_events.key_id_of(value) for value in stored} == {new_primary}
    # The running store (old keyring object, same key file) reloads the new key to read them.
    again = await store.retrieve("web-1")
    assert again is not None and again.get_slot("phone") == "+442079460111"


def test_keys_rotate_without_tracker_database_still_works(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["keys", "rotate"]) == 0
    assert "0 tracker events" in capsys.readouterr().out
