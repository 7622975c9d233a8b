"""SQLAlchemy models of the human side: console accounts, live handoffs, callbacks, casework.

Kept apart from :mod:`bot.store.models` (the report itself) but on the same ``Base``, so one
alembic history migrates both. Nothing personal is stored unencrypted: case notes and callback safe
times are encrypted with the :class:`bot.crypto.Keyring`; e-mail addresses of staff accounts are
work addresses, stored as given because staff log in with them.

- ``console_users``: operators, caseworkers and admins (argon2 password hashes).
- ``console_sessions``: login sessions; only a SHA-256 of the cookie value is stored.
- ``login_attempts``: failed logins, for rate limiting across processes.
- ``audit_log``: who did or viewed what, when (never message text).
- ``handoff_requests``: live-chat queue entries and their outcome.
- ``callback_tasks``: "please call me back" tasks with safe times and whether a message may be left.
- ``casework``: a case's place in the caseworker queue (partner, due dates, status).
- ``contact_attempts`` and ``case_notes``: the caseworker's record (notes encrypted).
- ``service_hours`` and ``service_closures``: opening hours edited by admins in the console.
- ``service_hours_overrides``: "open now until …" / "closed now until …" (never moves a due date).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Time,
)

from bot.store.models import Base, UTCDateTime, utcnow

ROLES = ("operator", "caseworker", "admin")


class ConsoleUser(Base):
    """A person who works in the console."""

    __tablename__ = "console_users"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    organisation = Column(String(64), nullable=True)  # partner id (caseworkers)
    languages = Column(JSON, nullable=False, default=list)
    active = Column(Boolean, nullable=False, default=True)
    available = Column(Boolean, nullable=False, default=True)  # operators: takes live chats
    last_seen_at = Column(UTCDateTime(), nullable=True)  # console socket heartbeat
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ConsoleSession(Base):
    """A login session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "console_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(
        Integer, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=False)


class LoginAttempt(Base):
    """One failed login, keyed by a keyed hash of the e-mail and of the client address."""

    __tablename__ = "login_attempts"

    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, index=True)
    at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)


class AuditEntry(Base):
    """Who did or viewed what, when. ``detail`` holds identifiers only, never free text."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, ForeignKey("console_users.id"), nullable=True, index=True)
    action = Column(String(64), nullable=False)
    subject = Column(String(64), nullable=True, index=True)
    detail = Column(JSON, nullable=True)


class HandoffRequest(Base):
    """A person asking for a live operator: waiting, then active, then ended.

    ``status``: waiting | active | returned (handed back to the bot) | closed | left (the person
    went back to the assistant) | timed_out (nobody accepted in time).
    """

    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    language = Column(String(16), nullable=False)
    interpreter_needed = Column(Boolean, nullable=False, default=False)
    status = Column(String(16), nullable=False, default="waiting", index=True)
    operator_id = Column(Integer, ForeignKey("console_users.id"), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    accepted_at = Column(UTCDateTime(), nullable=True)
    ended_at = Column(UTCDateTime(), nullable=True)
    resume_state = Column(JSON, nullable=True)  # requested slot when paused (no answers)
    # when an operator recorded that an interpreter is arranged (who: the audit log)
    interpreter_arranged_at = Column(UTCDateTime(), nullable=True)


class CallbackTask(Base):
    """A promise to call someone back (out of hours, or nobody free in time).

    ``safe_times`` is encrypted (AAD ``esea:callback_safe_times:<id_key>``).
    """

    __tablename__ = "callback_tasks"

    id = Column(Integer, primary_key=True)
    id_key = Column(String(32), nullable=False, unique=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    conversation_id = Column(String(128), nullable=True, index=True)
    language = Column(String(16), nullable=False)
    reason = Column(String(32), nullable=False)  # report_contact | handoff_timeout | out_of_hours
    may_leave_message = Column(Boolean, nullable=True)
    safe_times = Column(LargeBinary, nullable=True)
    status = Column(String(16), nullable=False, default="open")  # open | done | cancelled
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    due_at = Column(UTCDateTime(), nullable=False)
    done_at = Column(UTCDateTime(), nullable=True)


class Casework(Base):
    """A consented case in the caseworker queue.

    ``status``: queued | accepted | contacted | in_progress | closed.
    ``first_contact_due``: the helpline's call (3 working days); ``caseworker_due``: the
    caseworker's call (7 days).
    """

    __tablename__ = "casework"

    id = Column(Integer, primary_key=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    partner_id = Column(String(64), nullable=True, index=True)
    match_reasons = Column(JSON, nullable=True)
    status = Column(String(16), nullable=False, default="queued", index=True)
    first_contact_due = Column(UTCDateTime(), nullable=False)
    caseworker_due = Column(UTCDateTime(), nullable=False)
    first_contact_at = Column(UTCDateTime(), nullable=True)
    accepted_by = Column(Integer, ForeignKey("console_users.id"), nullable=True)
    accepted_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ContactAttempt(Base):
    """One attempt to reach the person (outcome only, never what was said)."""

    __tablename__ = "contact_attempts"

    id = Column(Integer, primary_key=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id = Column(Integer, ForeignKey("console_users.id"), nullable=False)
    at = Column(UTCDateTime(), nullable=False, default=utcnow)
    outcome = Column(String(32), nullable=False)  # reached | no_answer | voicemail | wrong_number


class CaseNote(Base):
    """A caseworker's note, encrypted (AAD ``esea:case_note:<reference>:<note_key>``)."""

    __tablename__ = "case_notes"

    id = Column(Integer, primary_key=True)
    note_key = Column(String(32), nullable=False, unique=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id = Column(Integer, ForeignKey("console_users.id"), nullable=False)
    at = Column(UTCDateTime(), nullable=False, default=utcnow)
    data = Column(LargeBinary, nullable=False)


class ServiceHours(Base):
    """Opening hours set by an admin (one row, id 1); without it the environment's apply."""

    __tablename__ = "service_hours"

    id = Column(Integer, primary_key=True)
    opens = Column(Time, nullable=False)
    closes = Column(Time, nullable=False)
    weekdays = Column(JSON, nullable=False)
    region = Column(String(32), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by = Column(Integer, ForeignKey("console_users.id"), nullable=True)


class ServiceHoursOverride(Base):
    """An admin's "open now until …" / "closed now until …" (one row, id 1, while it applies).

    It decides only whether people are answered live right now; due dates promised to people are
    always counted from the standard hours (:class:`ServiceHours`), never from an override. Past
    ``until`` it stops applying by itself.
    """

    __tablename__ = "service_hours_overrides"

    id = Column(Integer, primary_key=True)
    mode = Column(String(8), nullable=False)  # open | closed
    until = Column(UTCDateTime(), nullable=False)
    set_by = Column(Integer, ForeignKey("console_users.id"), nullable=True)
    set_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ServiceClosure(Base):
    """An ad-hoc closed day (training day, office move) in London dates."""

    __tablename__ = "service_closures"

    id = Column(Integer, primary_key=True)
    day = Column(Date, nullable=False, unique=True)
    label = Column(String(100), nullable=True)  # "Training day": staff-facing, no personal data
