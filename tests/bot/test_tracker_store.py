"""The encrypted Rasa tracker store: round trips, nothing readable on disk, binding, rotation."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.crypto import DecryptionError, Keyring
from bot.privacy import tracker_events
from bot.tracker_store import EncryptedSQLTrackerStore

SECRET = "Invented canary: a man shouted at me near the Exampletown library"
PHONE = "+442079460999"

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform]
slots:
  description:
    type: text
    mappings: [{type: custom}]
  phone:
    type: text
    mappings: [{type: custom}]
  erase_requested:
    type: any
    mappings: [{type: custom}]
"""
)


def make_store(tmp_path: Path, keyring: Keyring) -> EncryptedSQLTrackerStore:
    return EncryptedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), keyring=keyring
    )


def make_tracker(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(SECRET, {"name": "inform", "confidence": 0.9}))
    tracker.update(SlotSet("description", SECRET))
    tracker.update(SlotSet("phone", PHONE))
    return tracker


def raw_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data "
            "FROM events ORDER BY id"
        ).fetchall()


async def test_save_then_retrieve_returns_the_same_events_and_slots(tmp_path: Path) -> None:
    store = make_store(tmp_path, Keyring.generate())
    tracker = make_tracker("web-abc")
    await store.save(tracker)

    again = await store.retrieve("web-abc")
    assert again is not None
    assert again.get_slot("description") == SECRET
    assert again.get_slot("phone") == PHONE
    assert again.latest_message.text == SECRET
    full = await store.retrieve_full_tracker("web-abc")
    assert full is not None and len(full.events) == len(tracker.events)
    assert list(await store.keys()) == ["web-abc"]
    assert await store.retrieve("nobody") is None


async def test_saving_again_appends_only_the_new_events(tmp_path: Path) -> None:
    store = make_store(tmp_path, Keyring.generate())
    await store.save(make_tracker("web-abc"))
    before = len(raw_rows(tmp_path / "tracker.db"))
    tracker = await store.retrieve("web-abc")  # as Rasa does: the latest session
    assert tracker is not None
    tracker.update(UserUttered("second message", {"name": "inform", "confidence": 0.9}))
    await store.save(tracker)
    assert len(raw_rows(tmp_path / "tracker.db")) == before + 1
    again = await store.retrieve("web-abc")
    assert again is not None and again.latest_message.text == "second message"


async def test_nothing_personal_is_readable_in_the_database_file(tmp_path: Path) -> None:
    store = make_store(tmp_path, Keyring.generate())
    await store.save(make_tracker("web-abc"))
    store.engine.dispose()
    rows = raw_rows(tmp_path / "tracker.db")
    assert rows
    for _id, sender, type_name, timestamp, intent, action, data in rows:
        assert sender == "web-abc" and type_name and timestamp
        assert intent is None and action is None
        assert data.startswith(tracker_events.PREFIX)
    for file in tmp_path.iterdir():
        content = file.read_bytes()
        for secret in (SECRET, PHONE, "2079460999", "inform", "description"):
            assert secret.encode() not in content, (file.name, secret)


async def test_database_file_is_private(tmp_path: Path) -> None:
    make_store(tmp_path, Keyring.generate())
    assert stat.S_IMODE((tmp_path / "tracker.db").stat().st_mode) == 0o600


async def test_ciphertext_moved_to_another_conversation_does_not_decrypt(tmp_path: Path) -> None:
    store = make_store(tmp_path, Keyring.generate())
    await store.save(make_tracker("web-victim"))
    await store.save(make_tracker("web-other"))
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        stolen = conn.execute(
            "SELECT data FROM events WHERE sender_id='web-victim' ORDER BY id DESC"
        ).fetchone()[0]
        conn.execute(
            "UPDATE events SET data=? WHERE id=(SELECT max(id) FROM events WHERE sender_id='web-other')",
            (stolen,),
        )
    with pytest.raises(DecryptionError):
        await store.retrieve("web-other")


async def test_another_keyring_cannot_read_the_store(tmp_path: Path) -> None:
    await make_store(tmp_path, Keyring.generate()).save(make_tracker("web-abc"))
    with pytest.raises(DecryptionError):
        await make_store(tmp_path, Keyring.generate()).retrieve("web-abc")


async def test_rotation_reencrypts_every_event_and_the_store_still_reads(tmp_path: Path) -> None:
    keyring = Keyring.generate()
    store = make_store(tmp_path, keyring)
    await store.save(make_tracker("web-abc"))
    old = keyring.primary_key_id
    new = keyring.rotate()
    engine = tracker_events.tracker_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    assert engine is not None
    count = tracker_events.reencrypt_events(engine, keyring)
    assert count == len(raw_rows(tmp_path / "tracker.db"))
    assert {tracker_events.key_id_of(r[6]) for r in raw_rows(tmp_path / "tracker.db")} == {new}
    assert tracker_events.reencrypt_events(engine, keyring) == 0  # idempotent
    assert old != new
    tracker = await store.retrieve("web-abc")
    assert tracker is not None and tracker.get_slot("phone") == PHONE


async def test_plain_rows_from_rasas_own_store_are_read_and_then_encrypted(tmp_path: Path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    plain = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    await plain.save(make_tracker("web-old"))
    plain.engine.dispose()
    keyring = Keyring.generate()
    store = make_store(tmp_path, keyring)
    tracker = await store.retrieve("web-old")
    assert tracker is not None and tracker.get_slot("description") == SECRET
    engine = tracker_events.tracker_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    assert engine is not None
    assert tracker_events.reencrypt_events(engine, keyring) == len(
        raw_rows(tmp_path / "tracker.db")
    )
    rows = raw_rows(tmp_path / "tracker.db")
    assert all(
        r[6].startswith(tracker_events.PREFIX) and r[4] is None and r[5] is None for r in rows
    )
    tracker = await store.retrieve("web-old")
    assert tracker is not None and tracker.get_slot("description") == SECRET


async def test_rasa_loads_the_store_from_its_module_path_in_endpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring = Keyring.generate()
    monkeypatch.setenv("DATA_KEYS", keyring.to_json())
    config = EndpointConfig(
        type="bot.tracker_store.EncryptedSQLTrackerStore",
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
    )
    store = TrackerStore.create(config, DOMAIN)
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, EncryptedSQLTrackerStore)
    await store.save(make_tracker("web-abc"))
    tracker = await store.retrieve("web-abc")
    assert tracker is not None and tracker.get_slot("phone") == PHONE


async def test_endpoints_file_configures_the_encrypted_store() -> None:
    import yaml

    endpoints = yaml.safe_load(Path("endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "bot.tracker_store.EncryptedSQLTrackerStore"


def test_event_format_is_plain_json_inside(tmp_path: Path) -> None:
    keyring = Keyring.generate()
    sealed = tracker_events.seal_event(keyring, "s", 7, "user", {"text": "x"})
    assert tracker_events.open_event(keyring, "s", 7, "user", sealed) == {"text": "x"}
    with pytest.raises(DecryptionError):
        tracker_events.open_event(keyring, "s", 8, "user", sealed)
    with pytest.raises(DecryptionError):
        tracker_events.open_event(keyring, "s", 7, "bot", sealed)
    assert json.loads(json.dumps({"k": sealed}))  # ASCII, storable in a Text column


@pytest.mark.prod
async def test_postgresql_round_trip_by_url() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    keyring = Keyring.generate()
    store = EncryptedSQLTrackerStore(domain=DOMAIN, host=url, keyring=keyring)
    sender = f"pg-{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url, future=True)
    try:
        await store.save(make_tracker(sender))
        tracker = await store.retrieve(sender)
        assert tracker is not None and tracker.get_slot("phone") == PHONE
        with engine.connect() as conn:
            data = (
                conn.execute(sa.text("SELECT data FROM events WHERE sender_id=:s"), {"s": sender})
                .scalars()
                .all()
            )
        assert data and all(d.startswith(tracker_events.PREFIX) and SECRET not in d for d in data)
        keyring.rotate()
        assert tracker_events.reencrypt_events(engine, keyring) >= len(data)
        tracker = await store.retrieve(sender)
        assert tracker is not None and tracker.get_slot("description") == SECRET
    finally:
        tracker_events.delete_conversations(engine, [sender])
        engine.dispose()
        store.engine.dispose()


def test_a_value_error_while_saving_never_exits_the_server(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rasa's own session scope calls sys.exit on ValueError; ours raises and keeps running."""
    import pytest

    from bot.crypto import Keyring
    from bot.tracker_store import EncryptedSQLTrackerStore

    store = EncryptedSQLTrackerStore(
        dialect="sqlite", db=str(tmp_path / "t.db"), keyring=Keyring.generate()
    )
    with pytest.raises(ValueError):
        with store.session_scope():
            raise ValueError("bad data")
    with store.session_scope() as session:  # still usable afterwards
        assert session is not None


async def test_a_tracker_asking_for_erasure_deletes_its_conversation_only(tmp_path: Path) -> None:
    store = make_store(tmp_path, Keyring.generate())
    await store.save(make_tracker("web-keep"))
    tracker = make_tracker("web-gone")
    await store.save(tracker)
    tracker.update(UserUttered("delete", {"name": "stop", "confidence": 1.0}))
    tracker.update(SlotSet("erase_requested", True))
    await store.save(tracker)

    assert await store.retrieve("web-gone") is None
    assert {row[1] for row in raw_rows(tmp_path / "tracker.db")} == {"web-keep"}
    kept = await store.retrieve("web-keep")
    assert kept is not None and kept.get_slot("description") == SECRET
    # The next message of the erased conversation starts a fresh tracker.
    fresh = make_tracker("web-gone")
    await store.save(fresh)
    again = await store.retrieve_full_tracker("web-gone")
    assert again is not None and len(again.events) == len(fresh.events)


SECRET_DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform, my_report]
slots:
  access_reference:
    type: any
    mappings: [{type: custom}]
  access_new_secret:
    type: any
    mappings: [{type: custom}]
  access_secret:
    type: any
    mappings: [{type: custom}]
  draft_secret:
    type: any
    mappings: [{type: custom}]
forms:
  access_form:
    required_slots: [access_reference, access_new_secret]
"""
)
WORD = "Invented Lantern 4242"


def _answer_secret(
    tracker: DialogueStateTracker, slot: str, text: str, *, clear: bool = True
) -> None:
    """One turn as Rasa logs it: the question asked, the answer, the form's slot events."""
    from rasa.shared.core.events import ActiveLoop

    tracker.update(ActiveLoop("access_form"))
    tracker.update(SlotSet("requested_slot", slot))
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(
        UserUttered(
            text,
            {"name": "inform", "confidence": 0.9},
            parse_data={
                "text": text,
                "intent": {"name": "inform", "confidence": 0.9},
                "entities": [],
            },
        )
    )
    tracker.update(ActionExecuted("action_extract_slots"))
    tracker.update(SlotSet(slot, text))  # Rasa's from_text mapping
    tracker.update(ActionExecuted("access_form"))
    if clear:
        tracker.update(SlotSet(slot, None))  # the validating action clears it
    tracker.update(SlotSet("requested_slot", "access_reference"))
    tracker.update(ActionExecuted("action_listen"))


def _stored_text(keyring: Keyring, db: Path) -> str:
    """Every stored event of the database, opened, as one lower-cased JSON text."""
    stored = [
        tracker_events.open_event(keyring, sender, row_id, type_name, data)
        for row_id, sender, type_name, _ts, _i, _a, data in raw_rows(db)
    ]
    return json.dumps(stored, ensure_ascii=False).lower()


def _asked_for_my_report(sender_id: str) -> DialogueStateTracker:
    """A new session whose first message asks for "my report" (a secret-word question follows)."""
    tracker = DialogueStateTracker(sender_id, SECRET_DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("my report ABCD-2345", {"name": "my_report", "confidence": 1.0}))
    return tracker


@pytest.mark.parametrize("slot", ["access_new_secret", "access_secret", "draft_secret"])
async def test_a_secret_word_never_reaches_the_stored_conversation(
    tmp_path: Path, slot: str
) -> None:
    keyring = Keyring.generate()
    store = EncryptedSQLTrackerStore(
        domain=SECRET_DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), keyring=keyring
    )
    tracker = _asked_for_my_report("chat-secret")
    _answer_secret(tracker, slot, WORD, clear=(slot != "draft_secret"))  # one left in its slot
    await store.save(tracker)
    assert tracker.latest_message.text == "[secret word hidden]"  # the API's view, masked too
    tracker = await store.retrieve("chat-secret")
    assert tracker is not None
    tracker.update(UserUttered("a later answer ABCD-2345", {"name": "inform", "confidence": 0.9}))
    await store.save(tracker)

    blob = _stored_text(keyring, tmp_path / "t.db")
    assert "lantern" not in blob and "4242" not in blob
    assert "[secret word hidden]" in blob
    assert "my report abcd-2345" in blob and "a later answer" in blob  # other messages kept
    again = await store.retrieve("chat-secret")
    assert again is not None
    assert all(
        again.get_slot(name) is None
        for name in ("access_new_secret", "access_secret", "draft_secret")
    )


async def test_a_button_at_the_secret_question_is_kept_as_it_is(tmp_path: Path) -> None:
    from bot.access.redact import redact_secrets

    tracker = DialogueStateTracker("chat-button", SECRET_DOMAIN.slots)
    _answer_secret(tracker, "access_new_secret", '/inform{"choice":"no"}')
    events = list(tracker.events)
    assert redact_secrets(events) == 0
    _answer_secret(tracker, "access_new_secret", WORD)
    events = list(tracker.events)
    assert redact_secrets(events) == 2 and WORD not in json.dumps([e.as_dict() for e in events])


# -- the per-turn cost does not grow with the conversation (issue #13) -------------------------


class RecordingBroker:
    """An event broker that keeps what it is given (an event broker is configured in production:
    RabbitMQ)."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def _long_tracker(sender: str, turns: int) -> DialogueStateTracker:
    tracker = make_tracker(sender)
    for i in range(turns):
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(f"invented detail {i}", {"name": "inform", "confidence": 0.9}))
        tracker.update(SlotSet("description", f"invented detail {i}"))
    return tracker


async def test_a_save_decrypts_nothing_and_publishes_only_the_new_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's TrackerStore.stream_events reloads (decrypts) the whole stored conversation on every
    save to find the new events; ours takes them from the count of stored rows."""
    broker = RecordingBroker()
    store = EncryptedSQLTrackerStore(
        domain=DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
        keyring=Keyring.generate(),
        event_broker=broker,  # type: ignore[arg-type]
    )
    tracker = _long_tracker("web-long", 40)
    await store.save(tracker)
    assert len(broker.published) == len(tracker.events)
    assert {e["sender_id"] for e in broker.published} == {"web-long"}

    tracker = await store.retrieve("web-long")
    assert tracker is not None
    stored = len(raw_rows(tmp_path / "tracker.db"))
    opened: list[int] = []
    real_open = tracker_events.open_event

    def counting_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr("bot.tracker_store.open_event", counting_open)
    broker.published.clear()
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("one more invented detail", {"name": "inform", "confidence": 0.9}))
    await store.save(tracker)

    assert opened == []  # nothing was decrypted to save
    assert [e["event"] for e in broker.published] == ["action", "user"]
    assert broker.published[1]["text"] == "one more invented detail"
    assert len(raw_rows(tmp_path / "tracker.db")) == stored + 2
    # The public stream_events publishes what is not stored yet, and nothing once it is.
    broker.published.clear()
    await store.stream_events(tracker)
    assert broker.published == []


async def test_a_save_of_many_events_binds_each_row_to_its_own_id(tmp_path: Path) -> None:
    """The rows of one save get their ids in one flush; each ciphertext is bound to its row."""
    keyring = Keyring.generate()
    store = make_store(tmp_path, keyring)
    tracker = _long_tracker("web-batch", 10)
    await store.save(tracker)
    rows = raw_rows(tmp_path / "tracker.db")
    assert len(rows) == len(tracker.events)
    assert len({row[0] for row in rows}) == len(rows)
    for row_id, sender, type_name, _, _, _, data in rows:
        opened = tracker_events.open_event(keyring, sender, row_id, type_name, data)
        assert opened["event"] == type_name
    # Swapping two rows' ciphertexts makes both unreadable (each is bound to its id).
    first, second = rows[3], rows[4]
    with pytest.raises(DecryptionError):
        tracker_events.open_event(keyring, first[1], first[0], second[2], second[6])


async def test_events_are_read_back_as_rasa_reads_them(tmp_path: Path) -> None:
    """Our event reader (one class lookup per type) rebuilds the same tracker as Rasa's
    DialogueStateTracker.from_dict on the same stored events."""
    from bot.tracker_store import deserialise_events

    store = make_store(tmp_path, Keyring.generate())
    tracker = _long_tracker("web-same", 5)
    tracker.update(
        BotUttered("invented reply", {"buttons": [{"title": "Yes", "payload": "/affirm"}]})
    )
    await store.save(tracker)
    ours = await store.retrieve_full_tracker("web-same")
    assert ours is not None
    dumped = [event.as_dict() for event in tracker.events]
    rasas = DialogueStateTracker.from_dict("web-same", dumped, DOMAIN.slots)
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasas.events]
    assert ours.current_slot_values() == rasas.current_slot_values()
    assert deserialise_events([{"no": "event"}]) == []
    with pytest.raises(ValueError):
        deserialise_events([{"event": "not_an_event_type"}])


def _counting_open(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the events the tracker store decrypts from now on."""
    opened: list[int] = []
    real_open = tracker_events.open_event

    def counting_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr("bot.tracker_store.open_event", counting_open)
    return opened


def _same_as_uncached(tracker: DialogueStateTracker | None, path: Path, keyring: Keyring) -> None:
    """`tracker` is what a store without the cache reads from the same database."""
    uncached = EncryptedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(path), keyring=keyring, opened_cache=0
    )
    expected = asyncio.run(uncached.retrieve(tracker.sender_id if tracker else "web-x"))
    if tracker is None:
        assert expected is None
        return
    assert expected is not None
    assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in expected.events]


async def test_a_turn_decrypts_only_what_was_stored_since_the_last_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost of loading a conversation must not grow with its length (issue #13): what this
    process saved is not decrypted again, what another process saved is decrypted once."""
    keyring = Keyring.generate()
    store = make_store(tmp_path, keyring)
    other = make_store(tmp_path, keyring)  # a second Rasa process on the same database
    await store.save(_long_tracker("web-long", 60))
    assert (await store.retrieve("web-long")) is not None  # read once (and kept)
    opened = _counting_open(monkeypatch)

    for turn in range(3):
        tracker = await store.retrieve("web-long")
        assert tracker is not None
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(f"turn {turn}", {"name": "inform", "confidence": 0.9}))
        await store.save(tracker)
    assert opened == []

    tracker = await other.retrieve("web-long")  # the other process reads it all once ...
    assert tracker is not None
    opened.clear()
    tracker.update(SlotSet("phone", "+442079460111"))
    await other.save(tracker)
    again = await store.retrieve("web-long")  # ... and this one opens only its new row
    assert len(opened) == 1
    assert again is not None and again.get_slot("phone") == "+442079460111"
    assert again.latest_message.text == "turn 2"
    await asyncio.to_thread(_same_as_uncached, again, tmp_path / "tracker.db", keyring)


async def test_a_conversation_erased_or_restarted_elsewhere_is_read_afresh(tmp_path: Path) -> None:
    keyring = Keyring.generate()
    store = make_store(tmp_path, keyring)
    other = make_store(tmp_path, keyring)
    await store.save(_long_tracker("web-gone", 5))
    assert await store.retrieve("web-gone") is not None

    other.erase("web-gone")  # e.g. "Exit quickly" handled by the other process
    assert await store.retrieve("web-gone") is None
    fresh = make_tracker("web-gone")
    await other.save(fresh)
    again = await store.retrieve("web-gone")
    reference = await other.retrieve("web-gone")
    assert again is not None and reference is not None
    assert len(again.events) == len(reference.events)

    # A new session started by the other process: only the new session is loaded.
    await store.save(_long_tracker("web-new", 3))
    assert await store.retrieve("web-new") is not None
    tracker = await other.retrieve("web-new")
    assert tracker is not None
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await other.save(tracker)
    loaded = await store.retrieve("web-new")
    assert loaded is not None and loaded.get_slot("description") is None
    assert [e.type_name for e in loaded.events][:2] == ["session_started", "action"]
    await asyncio.to_thread(_same_as_uncached, loaded, tmp_path / "tracker.db", keyring)


async def test_erasure_in_this_process_leaves_nothing_in_its_cache(tmp_path: Path) -> None:
    store = make_store(tmp_path, Keyring.generate())
    tracker = make_tracker("web-erase")
    await store.save(tracker)
    assert await store.retrieve("web-erase") is not None
    assert len(store._opened) == 1
    tracker.update(SlotSet("erase_requested", True))
    await store.save(tracker)
    assert len(store._opened) == 0
    assert await store.retrieve("web-erase") is None


def test_the_cache_is_bounded_in_size_and_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import tracker_store

    now = [1000.0]
    monkeypatch.setattr(tracker_store.time, "monotonic", lambda: now[0])
    cache = tracker_store.OpenedEvents(size=2, idle_seconds=60)
    row = [(1, "user", UserUttered("invented").as_dict())]
    cache.put("a", row)
    cache.put("b", row)
    assert cache.get("a") is not None  # "a" used last: "b" goes first
    cache.put("c", row)
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is not None
    now[0] += 61
    assert cache.get("a") is None and cache.get("c") is None and len(cache) == 0
    off = tracker_store.OpenedEvents(size=0, idle_seconds=60)
    off.put("a", row)
    assert not off.enabled and len(off) == 0


async def test_without_the_cache_every_load_decrypts_every_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EncryptedSQLTrackerStore(
        domain=DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
        keyring=Keyring.generate(),
        opened_cache=0,
    )
    tracker = _long_tracker("web-plain", 4)
    await store.save(tracker)
    opened = _counting_open(monkeypatch)
    loaded = await store.retrieve("web-plain")
    assert loaded is not None and len(opened) == len(loaded.events)


def test_the_tracker_store_waits_the_configured_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's engine keeps its own pool, but its connections wait SQLITE_BUSY_TIMEOUT for a lock,
    like the case store's (the maintenance engine on the tracker database too)."""
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", "7.5")
    store = make_store(tmp_path, Keyring.generate())
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7500
    store.engine.dispose()
    maintenance = tracker_events.tracker_engine(str(store.engine.url), 7.5)
    assert maintenance is not None
    with maintenance.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7500
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    maintenance.dispose()


async def test_a_turn_that_was_not_saved_leaves_the_kept_events_as_they_were(
    tmp_path: Path,
) -> None:
    """The kept events are shared, read-only records: a tracker built from them that changes
    and is never saved (a turn that failed) changes nothing the next load sees."""
    keyring = Keyring.generate()
    store = make_store(tmp_path, keyring)
    await store.save(_long_tracker("web-kept", 10))
    first = await store.retrieve("web-kept")
    assert first is not None
    count = len(first.events)
    first.update(ActionExecuted("action_listen"))
    first.update(UserUttered("never saved", {"name": "inform", "confidence": 0.9}))
    first.update(SlotSet("phone", "+442079460123"))
    again = await store.retrieve("web-kept")
    assert again is not None and len(again.events) == count
    assert again.get_slot("phone") == PHONE
    assert all(getattr(e, "text", None) != "never saved" for e in again.events)
    assert again.events[0] is first.events[0]  # shared, not read or parsed again
    await asyncio.to_thread(_same_as_uncached, again, tmp_path / "tracker.db", keyring)


# -- write-ahead log (#13: a save must not wait for the disk on Rasa's event loop) ---------------

#: An invented word, kept in clear by the store only as the conversation id.
CANARY_SENDER = "web-Quorvendallix"


def test_the_tracker_database_writes_ahead_and_keeps_its_connections(tmp_path: Path) -> None:
    """WAL with synchronous NORMAL: a commit appends to the -wal file without an fsync (a crash
    of the process loses nothing committed). The connections stay open between turns (closing
    the last one would checkpoint, i.e. fsync, on every save); the maintenance engine too."""
    store = make_store(tmp_path, Keyring.generate())
    assert not isinstance(store.engine.pool, sa.pool.NullPool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    maintenance = tracker_events.tracker_engine(str(store.engine.url))
    assert maintenance is not None
    with maintenance.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    maintenance.dispose()
    store.engine.dispose()


async def test_the_write_ahead_files_are_private_like_the_database(tmp_path: Path) -> None:
    """SQLite gives -wal and -shm the database file's mode (0600), whatever the umask."""
    import os

    previous = os.umask(0)
    try:
        store = make_store(tmp_path, Keyring.generate())
        await store.save(make_tracker("web-abc"))
        for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm"):
            path = tmp_path / name
            assert path.exists(), name
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    finally:
        os.umask(previous)
    store.engine.dispose()


def _on_disk(tmp_path: Path) -> bytes:
    """Every byte of the tracker database, its -wal and its -shm file."""
    return b"".join(
        (tmp_path / name).read_bytes()
        for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm")
        if (tmp_path / name).exists()
    )


async def _stored_canary(tmp_path: Path, store: EncryptedSQLTrackerStore) -> list[bytes]:
    await store.save(make_tracker("web-keep"))
    await store.save(_long_tracker(CANARY_SENDER, 30))
    ciphertexts = [
        row[6].encode() for row in raw_rows(tmp_path / "tracker.db") if row[1] == CANARY_SENDER
    ]
    on_disk = _on_disk(tmp_path)
    assert CANARY_SENDER.encode() in on_disk  # the test sees what it looks for
    assert all(c in on_disk for c in ciphertexts)
    return ciphertexts


async def test_an_erased_conversation_leaves_neither_the_file_nor_its_write_ahead_log(
    tmp_path: Path,
) -> None:
    """Erasure (the person's "delete", or "Exit quickly") deletes with secure_delete, then
    checkpoints the WAL and truncates it: no erased row, id or ciphertext, stays in any file."""
    store = make_store(tmp_path, Keyring.generate())
    ciphertexts = await _stored_canary(tmp_path, store)
    tracker = await store.retrieve(CANARY_SENDER)
    assert tracker is not None
    tracker.update(SlotSet("erase_requested", True))
    await store.save(tracker)  # the store's connections stay open: the -wal file stays

    assert (tmp_path / "tracker.db-wal").exists()
    assert (tmp_path / "tracker.db-wal").stat().st_size == 0
    on_disk = _on_disk(tmp_path)
    assert CANARY_SENDER.encode() not in on_disk
    assert not any(c in on_disk for c in ciphertexts)
    assert await store.retrieve("web-keep") is not None
    store.engine.dispose()


async def test_a_conversation_deleted_by_maintenance_leaves_no_trace_on_disk(
    tmp_path: Path,
) -> None:
    """The subject-erasure path deletes through the maintenance engine while Rasa's store is
    open: the same checkpoint follows, and Rasa's store reads on."""
    store = make_store(tmp_path, Keyring.generate())
    ciphertexts = await _stored_canary(tmp_path, store)
    maintenance = tracker_events.tracker_engine(str(store.engine.url))
    assert maintenance is not None
    assert tracker_events.delete_conversations(maintenance, [CANARY_SENDER]) > 0
    maintenance.dispose()

    on_disk = _on_disk(tmp_path)
    assert CANARY_SENDER.encode() not in on_disk
    assert not any(c in on_disk for c in ciphertexts)
    assert await store.retrieve(CANARY_SENDER) is None
    assert await store.retrieve("web-keep") is not None
    store.engine.dispose()


def test_postgresql_engines_get_no_sqlite_pragma_and_no_checkpoint() -> None:
    """On PostgreSQL the pragmas and the checkpoint are no-ops: nothing is installed and no
    connection is even opened (this URL has no server)."""
    engine = sa.create_engine("postgresql://nobody@127.0.0.1:9/none", future=True)
    listeners = len(engine.pool.dispatch.connect)
    tracker_events.install_sqlite_pragmas(engine, 5.0)
    assert len(engine.pool.dispatch.connect) == listeners
    tracker_events.checkpoint(engine)  # would raise if it connected
    engine.dispose()


async def test_the_stored_count_is_rasas_for_every_session_layout(tmp_path: Path) -> None:
    """A save skips as many events as Rasa's own query counts in the latest session: the
    prepared statement gives the same number with no session, several sessions, a session
    start whose timestamp is later than events stored after it, and other conversations."""
    store = make_store(tmp_path, Keyring.generate())
    await store.save(make_tracker("web-other"))
    no_session = DialogueStateTracker("web-plain", DOMAIN.slots)
    for i in range(4):
        no_session.update(UserUttered(f"invented {i}", {"name": "inform", "confidence": 0.9}))
    await store.save(no_session)
    many = _long_tracker("web-many", 3)
    many.update(ActionExecuted("action_session_start"))
    many.update(SessionStarted())
    many.update(ActionExecuted("action_listen"))
    many.update(UserUttered("second session", {"name": "inform", "confidence": 0.9}))
    await store.save(many)
    skewed = make_tracker("web-skewed")
    skewed.update(ActionExecuted("action_session_start", timestamp=10.0**10))
    skewed.update(SessionStarted(timestamp=10.0**10))
    skewed.update(UserUttered("clock went back", {"name": "inform", "confidence": 0.9}))
    await store.save(skewed)

    for sender in ("web-other", "web-plain", "web-many", "web-skewed", "web-nobody"):
        with store.session_scope() as session:
            rasa = store._event_query(session, sender, fetch_events_from_all_sessions=False)
            ours = session.execute(store._session_count, {"sender_id": sender}).scalar()
            assert ours == rasa.count(), sender
    store.engine.dispose()


def test_the_pragmas_are_installed_on_sqlite(tmp_path: Path) -> None:
    """The counterpart of the PostgreSQL test: on SQLite a connect listener is added."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}", future=True)
    listeners = len(engine.pool.dispatch.connect)
    tracker_events.install_sqlite_pragmas(engine, 5.0)
    assert len(engine.pool.dispatch.connect) == listeners + 1
    engine.dispose()


# -- the secret-word masking resumes where the last save left it (#13) ---------------------------


async def test_a_secret_answered_the_turn_after_its_question_is_masked_by_the_resumed_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question is saved at the end of one turn, the answer comes in the next: the scan of
    the next save starts after the events already masked, knowing which question was asked."""
    import bot.tracker_store as tracker_store_module
    from bot.access.redact import redact_secrets_from

    starts: list[int] = []

    def recording(events, start, requested):  # type: ignore[no-untyped-def]
        starts.append(start)
        return redact_secrets_from(events, start, requested)

    monkeypatch.setattr(tracker_store_module, "redact_secrets_from", recording)
    keyring = Keyring.generate()
    store = EncryptedSQLTrackerStore(
        domain=SECRET_DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), keyring=keyring
    )
    from rasa.shared.core.events import ActiveLoop

    tracker = _asked_for_my_report("chat-resume")
    await store.save(tracker)
    assert starts == [0]
    tracker = await store.retrieve("chat-resume")
    assert tracker is not None
    tracker.update(ActiveLoop("access_form"))
    tracker.update(SlotSet("requested_slot", "access_secret"))  # the question, end of the turn
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    tracker = await store.retrieve("chat-resume")
    assert tracker is not None
    before = len(tracker.events)
    tracker.update(UserUttered(WORD, {"name": "inform", "confidence": 0.9}))
    tracker.update(SlotSet("access_secret", WORD))
    await store.save(tracker)

    # Loaded from the database the events are scanned once (they may predate the masking);
    # from then on each save resumes after what the previous one masked.
    assert starts == [0, 0, before]
    assert tracker.latest_message.text == "[secret word hidden]"
    blob = _stored_text(keyring, tmp_path / "t.db")
    assert "lantern" not in blob and "4242" not in blob
    assert "my report abcd-2345" in blob
    store.engine.dispose()


async def test_a_tracker_not_made_of_the_kept_events_is_scanned_whole(tmp_path: Path) -> None:
    """Only the very event objects a save of this process masked are skipped: events loaded
    from the database, copies of the kept ones, or another conversation's are scanned whole."""
    store = EncryptedSQLTrackerStore(
        domain=SECRET_DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "t.db"),
        keyring=Keyring.generate(),
    )
    tracker = DialogueStateTracker("chat-copy", SECRET_DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    loaded = await store.retrieve("chat-copy")
    assert loaded is not None
    assert store._opened.masked_prefix("chat-copy", loaded.events) == (0, None)  # from the DB
    loaded.update(ActionExecuted("action_listen"))
    await store.save(loaded)
    kept = await store.retrieve("chat-copy")
    assert kept is not None
    assert store._opened.masked_prefix("chat-copy", kept.events)[0] == len(kept.events)
    copies = [type(e).from_parameters(e.as_dict()) for e in kept.events]
    assert store._opened.masked_prefix("chat-copy", copies) == (0, None)
    assert store._opened.masked_prefix("chat-copy", copies[:0]) == (0, None)
    assert store._opened.masked_prefix("chat-other", kept.events) == (0, None)
    store.engine.dispose()


def _random_events(rng: "random.Random", count: int) -> list:
    from rasa.shared.core.events import ActiveLoop, Restarted

    from bot.access.redact import MASK

    slots = ["access_secret", "access_new_secret", "draft_secret", "access_reference", None]
    texts = [WORD, "/inform", MASK, None, "an ordinary answer"]
    makers = [
        lambda: SlotSet("requested_slot", rng.choice(slots)),
        lambda: SlotSet(rng.choice(slots[:4]), rng.choice(texts)),
        lambda: UserUttered(rng.choice(texts), {"name": "inform", "confidence": 0.9}),
        lambda: ActiveLoop(rng.choice(["access_form", None])),
        lambda: ActionExecuted("action_listen"),
        lambda: SessionStarted(),
        lambda: Restarted(),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def test_resuming_the_masking_after_any_masked_prefix_equals_the_whole_scan() -> None:
    """For 2,000 random event sequences and every place a save could have ended: mask the
    prefix, resume on the rest with the question it returned; same events, same count."""
    import random

    from bot.access.redact import redact_secrets, redact_secrets_from

    rng = random.Random(13)
    for _ in range(2000):
        events = _random_events(rng, rng.randint(0, 24))
        whole = list(events)
        total = redact_secrets(whole)
        expected = [e.as_dict() for e in whole]
        for cut in range(len(events) + 1):
            prefix = list(events[:cut])
            first, requested = redact_secrets_from(prefix, 0, None)
            resumed = prefix + list(events[cut:])
            second, _ = redact_secrets_from(resumed, cut, requested)
            assert [e.as_dict() for e in resumed] == expected
            assert first + second == total
            # Masking again what is masked changes nothing (why a masked prefix can be skipped).
            assert redact_secrets(resumed) == 0
