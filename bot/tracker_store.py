"""Rasa tracker store that encrypts every event: ``type: bot.tracker_store.EncryptedSQLTrackerStore``.

Rasa Open Source keeps each conversation event (message text, slot values...) as plain JSON in its
SQL tracker store. This subclass of :class:`rasa.core.tracker_store.SQLTrackerStore` keeps Rasa's
table and queries but stores each event's JSON encrypted with the :class:`bot.crypto.Keyring`
(format and associated data: :mod:`bot.privacy.tracker_events`). In clear stay only the columns
Rasa queries: ``id``, ``sender_id`` (a pseudonym from our channels), ``type_name``, ``timestamp``.

Rasa 3.6 loads a tracker store whose ``type`` is a module path with
``cls(host=<url>, domain=..., event_broker=..., **<other endpoint keys>)``, so the endpoint keys
are those of the SQL store::

    tracker_store:
      type: bot.tracker_store.EncryptedSQLTrackerStore
      dialect: sqlite
      db: ${TRACKER_DB}
    # or, for PostgreSQL:
    #   type: bot.tracker_store.EncryptedSQLTrackerStore
    #   url: ${TRACKER_DB_URL}      # postgresql://user:password@host:5432/rasa

The keyring comes from the same environment as every other process (``DATA_KEYS`` or
``DATA_KEY_FILE``/``VAR_DIR``). Note that an event broker, if configured, still receives events in
clear (see docs/privacy.md).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import logging
import operator
import os
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool, QueuePool
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.access.redact import clear_secret_slots, redact_secrets_from
from bot.crypto import Keyring
from bot.privacy.tracker_events import checkpoint, install_sqlite_pragmas, open_event, seal_event
from bot.settings import Settings

logger = logging.getLogger(__name__)

#: Conversations whose opened events one Rasa process keeps (:class:`OpenedEvents`).
DEFAULT_OPENED_CACHE = 256
#: Seconds an unused conversation stays there.
DEFAULT_OPENED_CACHE_IDLE_SECONDS = 600.0


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """SQL tracker store whose ``events.data`` column holds only AES-GCM ciphertexts."""

    def __init__(
        self,
        domain: Domain | None = None,
        dialect: str = "sqlite",
        host: str | None = None,
        port: int | None = None,
        db: str = "rasa.db",
        username: str | None = None,
        password: str | None = None,
        event_broker: EventBroker | None = None,
        login_db: str | None = None,
        query: dict | None = None,
        keyring: Keyring | None = None,
        opened_cache: int = DEFAULT_OPENED_CACHE,
        opened_cache_idle_seconds: float = DEFAULT_OPENED_CACHE_IDLE_SECONDS,
        **kwargs: Any,
    ) -> None:
        """Connects like :class:`SQLTrackerStore` and loads the keyring.

        Args:
            domain: The assistant's domain.
            dialect: SQLAlchemy dialect when ``host`` is not a URL (``sqlite``, ``postgresql``).
            host: Database host, or a complete URL (``url:`` in ``endpoints.yml``).
            port: Database port.
            db: Database name, or the SQLite file path.
            username: Database user.
            password: Database password.
            event_broker: Receives new events (in clear: keep it inside the trust boundary).
            login_db: PostgreSQL database to connect to first to create ``db``.
            query: Extra URL query parameters.
            keyring: The keyring; loaded from the environment when omitted (tests pass one).
            opened_cache: Conversations whose opened events this process keeps between turns
                (:class:`OpenedEvents`; 0: none).
            opened_cache_idle_seconds: How long an unused conversation stays in that cache.
            kwargs: Other endpoint keys, passed on to Rasa.
        """
        settings = Settings.from_env()
        self._keyring = keyring or Keyring.load(settings)
        self._opened = OpenedEvents(int(opened_cache), float(opened_cache_idle_seconds))
        is_url = bool(host and "://" in host)
        if dialect == "sqlite" and not is_url and db and db != ":memory:":
            _create_private_file(Path(db))
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            event_broker=event_broker,
            login_db=login_db,
            query=query,
            **kwargs,
        )
        # Rasa's SQLTrackerStore builds its own engine (and its login/schema handling) on Rasa's
        # own database; it is not the case store, so it is not the process Store's engine. It
        # gets the configured busy timeout, like every engine of ours, and write-ahead logging.
        if self.engine.dialect.name == "sqlite" and isinstance(self.engine.pool, NullPool):
            # SQLAlchemy 1.4 opens a SQLite file anew for every session (NullPool): each turn
            # would pay the connect, and closing the last connection checkpoints the WAL (an
            # fsync on the event loop). Keep connections open, like SQLAlchemy 2.0 does.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, connect_args={"check_same_thread": False}
            )
            self.sessionmaker = sessionmaker(bind=self.engine)
        install_sqlite_pragmas(self.engine, settings.sqlite_busy_timeout_s)
        self.engine.dispose()  # new connections get the pragmas
        table = self.SQLEvent.__table__
        self._session_count = _session_count_statement(table)
        self._seal_rows = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(data=sa.bindparam("sealed"))
        )
        logger.info("Encrypted tracker store ready (key %s)", self._keyring.primary_key_id)

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        """Rasa's session scope without its `except ValueError: exit`.

        Rasa's `SQLTrackerStore.session_scope` turns ANY ValueError raised inside it into
        `print_error_and_exit` (it means "PostgreSQL schema missing"), so one malformed message
        could stop the whole server. Here only the schema check keeps that meaning; any other
        error rolls back and propagates as an ordinary exception (the message gets an error
        reply, the server keeps running).
        """
        session = self.sessionmaker()
        try:
            ensure_schema_exists(session)
        except ValueError as error:
            session.close()
            raise RuntimeError(f"PostgreSQL schema {error} not found in the database") from error
        try:
            yield session
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the tracker's new events, each encrypted and bound to its row.

        Secret words are masked first: the answer to a secret-word question and the values of
        its slots (:func:`bot.access.redact.redact_secrets`).

        A tracker whose ``erase_requested`` slot is set (the person typed "exit"/"delete", or
        stopped or saved their report) is erased instead: every stored event of the
        conversation is deleted and nothing is written, so the next message starts afresh. So is
        one that "Exit quickly" erased a moment ago (a message still on its way must not write
        it back: :func:`bot.privacy.erasure.recently_erased`).
        """
        from bot.privacy.erasure import recently_erased

        if tracker.get_slot("erase_requested") is True or recently_erased(tracker.sender_id):
            self.erase(tracker.sender_id)
            return
        # A secret word never reaches the store (or the event broker) in clear. The scan resumes
        # after the events an earlier save of this process masked (the same objects, kept by
        # OpenedEvents): the same result as scanning the whole session, without the walk.
        clear_secret_slots(tracker)
        start, requested = self._opened.masked_prefix(tracker.sender_id, tracker.events)
        changed, requested = redact_secrets_from(tracker.events, start, requested)
        if changed:
            tracker.latest_message = next(  # what the API shows of this tracker, masked too
                (e for e in reversed(tracker.events) if isinstance(e, UserUttered)),
                tracker.latest_message,
            )
        with self.session_scope() as session:
            # Only the events not stored yet (Rasa counts the stored rows of the session): the
            # cost of a save does not grow with the conversation.
            new_events = list(self._additional_events(session, tracker))
            if self.event_broker is not None:
                # What Rasa's TrackerStore.stream_events publishes, without its reload of the
                # whole stored tracker (every event decrypted again) to find them.
                await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
            # One prepared INSERT per event (its id is part of the associated data), then one
            # executemany UPDATE with the ciphertexts: Core statements, not ORM objects.
            table = self.SQLEvent.__table__
            stored = []
            for event in new_events:
                data = event.as_dict()
                inserted = session.execute(
                    table.insert(),
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": None,
                        "action_name": None,
                        "data": "",
                    },
                )
                stored.append((int(inserted.inserted_primary_key[0]), event.type_name, data))
            if stored:
                session.execute(
                    self._seal_rows,
                    [
                        {
                            "row_id": row_id,
                            "sealed": seal_event(
                                self._keyring, tracker.sender_id, row_id, type_name, data
                            ),
                        }
                        for row_id, type_name, data in stored
                    ],
                )
            session.commit()
        # What this process wrote it need not decrypt (nor scan for secrets) on the next turn.
        self._opened.append(tracker.sender_id, stored, new_events)
        self._opened.mark_masked(tracker.sender_id, tracker.events, requested, verified=start)
        logger.debug("Tracker stored (encrypted)")

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events not stored yet (Rasa's version reloads the stored tracker).

        :meth:`save` publishes them itself; this is for callers of the public method.
        """
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def erase(self, sender_id: str) -> int:
        """Deletes every stored event of one conversation; returns how many."""
        with self.session_scope() as session:
            count = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        self._opened.drop(sender_id)
        checkpoint(self.engine)  # the erased pages leave the write-ahead log too
        logger.info("Conversation erased at the person's request (%d events)", count)
        return int(count)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Like Rasa's, decrypting each event; None when the conversation has no events.

        The latest session comes from :class:`OpenedEvents` when it holds the conversation and
        the stored rows it knows are unchanged: then only rows stored since are read and opened.
        """
        if not fetch_events_from_all_sessions and self._opened.enabled:
            latest = self._latest_session_events(sender_id)
            if not latest:
                return None
            if self.domain:
                return DialogueStateTracker.from_events(sender_id, latest, self.domain.slots)
            return None
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [
                open_event(self._keyring, sender_id, row.id, row.type_name, row.data)
                for row in rows
                if row.data
            ]
        if self.domain and events:
            return DialogueStateTracker.from_events(
                sender_id, deserialise_events(events), self.domain.slots
            )
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events not stored yet: Rasa's (skip as many events as the latest session
        has stored rows), with that count as one prepared Core statement instead of an ORM query
        rebuilt on every save (the building cost more than SQLite's answer)."""
        stored = session.execute(self._session_count, {"sender_id": tracker.sender_id}).scalar()
        return itertools.islice(tracker.events, int(stored or 0), len(tracker.events))

    def _latest_session_events(self, sender_id: str) -> list[Event]:
        """The events of the conversation's latest session, through the cache."""
        entry = self._opened.get(sender_id)
        with self.session_scope() as session:
            if entry is not None:
                known = (
                    session.query(sa.func.count(self.SQLEvent.id))
                    .filter(
                        self.SQLEvent.sender_id == sender_id,
                        self.SQLEvent.id >= entry.first_id,
                        self.SQLEvent.id <= entry.last_id,
                    )
                    .scalar()
                )
                newer = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > entry.last_id)
                    .order_by(self.SQLEvent.id)
                    .all()
                )
                if known == entry.rows and not any(
                    row.type_name == SessionStarted.type_name for row in newer
                ):
                    self._opened.append(
                        sender_id,
                        [(row.id, row.type_name, self._open(sender_id, row)) for row in newer],
                    )
                    return list(entry.events)
                # Rows it knew changed (erased, expired) or a new session began: read afresh.
                self._opened.drop(sender_id)
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            opened = [
                (row.id, row.type_name, self._open(sender_id, row)) for row in rows if row.data
            ]
        if not opened:
            return []
        return self._opened.put(sender_id, opened)

    def _open(self, sender_id: str, row: Any) -> dict[str, Any]:
        return open_event(self._keyring, sender_id, row.id, row.type_name, row.data)


@dataclass
class _Opened:
    first_id: int
    last_id: int
    rows: int
    events: list[Event]
    used: float
    #: How many leading `events` a save of this process masked (bot.access.redact), and the
    #: secret-word question asked after them.
    masked: int = 0
    requested: Any = None


class OpenedEvents:
    """The opened (decrypted) events of the latest session of recent conversations, as Rasa's
    event objects (read-only records: Rasa builds each turn's tracker from them and appends new
    ones; nothing changes an event once made — the secret-word masking runs before a save, on the
    turn's new events, and is what was stored).

    Without it every turn decrypts every event of the conversation again (Rasa loads the whole
    session before each message), so a turn's cost grows with the conversation's length. With it
    a turn reads and opens only the rows stored since the last turn of this process; what this
    process saved it adds itself. It is checked against the database on every load: if the
    number of stored rows in the range it knows differs (erased by another process, expired) or
    a new session started, the conversation is read afresh.

    Privacy: it holds what the Rasa process holds anyway while it handles a message, in memory
    only, never on disk; at most ``size`` conversations (least recently used dropped first), each
    for at most ``idle_seconds`` after its last use, and dropped at once when this process erases
    the conversation. ``size`` 0 turns it off.
    """

    def __init__(self, size: int, idle_seconds: float) -> None:
        self.size = max(0, size)
        self.idle_seconds = idle_seconds
        self._entries: collections.OrderedDict[str, _Opened] = collections.OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        while self._entries:
            sender, entry = next(iter(self._entries.items()))
            if now - entry.used <= self.idle_seconds and len(self._entries) <= self.size:
                break
            del self._entries[sender]

    def get(self, sender_id: str) -> _Opened | None:
        now = time.monotonic()
        self._expire(now)
        entry = self._entries.get(sender_id)
        if entry is not None:
            entry.used = now
            self._entries.move_to_end(sender_id)
        return entry

    def put(self, sender_id: str, opened: list[tuple[int, str, dict[str, Any]]]) -> list[Event]:
        """Keeps the latest session's rows (id, type, event dict), replacing what was kept;
        returns their events."""
        events = deserialise_events([data for _, _, data in opened])
        if not self.enabled or not opened:
            return events
        self._entries[sender_id] = _Opened(
            first_id=opened[0][0],
            last_id=opened[-1][0],
            rows=len(opened),
            events=list(events),
            used=time.monotonic(),
        )
        self._entries.move_to_end(sender_id)
        self._expire(time.monotonic())
        return events

    def append(
        self,
        sender_id: str,
        opened: list[tuple[int, str, dict[str, Any]]],
        events: list[Event] | None = None,
    ) -> None:
        """Adds rows stored after those kept (`events`: their event objects, when the caller has
        them); a new session or a gap drops the conversation."""
        entry = self._entries.get(sender_id)
        if entry is None or not opened:
            return
        if opened[0][0] <= entry.last_id or any(
            t == SessionStarted.type_name for _, t, _ in opened
        ):
            self.drop(sender_id)
            return
        entry.events.extend(
            events if events is not None else deserialise_events([d for _, _, d in opened])
        )
        entry.rows += len(opened)
        entry.last_id = opened[-1][0]

    def masked_prefix(self, sender_id: str, events: Iterable[Event]) -> tuple[int, Any]:
        """How many leading ``events`` are known masked, and the question asked after them:
        those a save masked, if ``events`` begins with the very same objects (0, None
        otherwise: the scan starts from the beginning)."""
        entry = self._entries.get(sender_id)
        if entry is None or not entry.masked:
            return 0, None
        prefix = list(itertools.islice(events, entry.masked))
        if len(prefix) == entry.masked and all(map(operator.is_, prefix, entry.events)):
            return entry.masked, entry.requested
        return 0, None

    def mark_masked(
        self, sender_id: str, events: Collection[Event], requested: Any, verified: int = 0
    ) -> None:
        """After a save masked all of ``events`` (``requested``: the question after them): if
        the kept events are exactly those objects, they are known masked. The first
        ``verified`` were found to be the kept objects by :meth:`masked_prefix` in the same
        save (kept events are only ever appended to), so only the rest is compared."""
        entry = self._entries.get(sender_id)
        if entry is None or len(events) != len(entry.events):
            return
        # (Rasa's events are a deque: islice skips the prefix without comparing it.)
        mine = itertools.islice(events, verified, None)
        if all(map(operator.is_, mine, itertools.islice(entry.events, verified, None))):
            entry.masked = len(entry.events)
            entry.requested = requested

    def drop(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)


def _session_count_statement(events: sa.Table) -> Any:
    """``SELECT count(*)`` over Rasa's ``_event_query(..., fetch_events_from_all_sessions=False)``
    for the ``sender_id`` parameter, the same SQL (the conversation's rows whose timestamp is at
    or after its latest ``session_started``, all its rows when it has none), built once."""
    starts = events.alias("session_starts")
    session_start = (
        sa.select(sa.func.max(starts.c.timestamp).label("session_start"))
        .where(
            starts.c.sender_id == sa.bindparam("sender_id"),
            starts.c.type_name == SessionStarted.type_name,
        )
        .subquery()
    )
    return (
        sa.select(sa.func.count())
        .select_from(events, session_start)  # Rasa's `FROM events, (one-row aggregate)`
        .where(
            events.c.sender_id == sa.bindparam("sender_id"),
            sa.or_(
                events.c.timestamp >= session_start.c.session_start,
                session_start.c.session_start.is_(None),
            ),
        )
    )


@functools.cache
def _event_class(type_name: str) -> type[Event] | None:
    return Event.resolve_by_type(type_name, default=None)


def deserialise_events(serialised: list[dict[str, Any]]) -> list[Event]:
    """Like Rasa's ``rasa.shared.core.events.deserialise_events``, with each event class looked
    up once per type instead of once per event.

    Rasa 3.6 finds an event's class by walking every subclass of ``Event`` for each event it
    reads (``Event.resolve_by_type``): two thirds of loading an 800-event conversation. As in
    Rasa, a dict without ``event`` is skipped and an unknown type raises ``ValueError``.
    """
    out = []
    for data in serialised:
        if "event" not in data:
            continue
        cls = _event_class(str(data["event"]))
        event = cls._from_parameters(data) if cls is not None else None
        if event is not None:
            out.append(event)
    return out


def _create_private_file(path: Path) -> None:
    """Creates the SQLite file mode 0600 (its journal gets the same mode) if it does not exist."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
