"""SQLAlchemy models of the case store.

Personal data lives in its own tables, encrypted per row with :class:`bot.crypto.Keyring`, so each
kind can be encrypted, scoped (who may read it) and erased independently of the case record:

- ``cases``: the case record operators list (no free text, no contact data).
- ``incident_details``: encrypted JSON of what happened.
- ``contact_details``: encrypted JSON of how to reach the person.
- ``consents``: one row per consent given or refused, with the exact wording version shown.
- ``evidence``: metadata of uploaded files; the content is an encrypted file in ``evidence_dir``.
- ``delivery_claims``: webhook deliveries already handled (dedup across processes).
- ``channel_addresses``: encrypted real address behind each channel pseudonym.
- ``channel_state``: small per-conversation state of a channel (no personal data).
- ``access_grants``: short-lived "my report" grants (a keyed hash of the conversation, the case).

Change the schema only with a new alembic revision in ``bot/store/migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):  # type: ignore[misc]
    """Stores aware datetimes as naive UTC and returns them aware, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Converts to naive UTC; refuses naive input, whose zone would be a guess."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Marks stored values as UTC."""
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Case(Base):
    """One submitted report."""

    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    submission_key = Column(String(128), nullable=False, unique=True)
    status = Column(String(32), nullable=False, default="received")
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    channel = Column(String(32), nullable=False)
    language = Column(String(16), nullable=False)
    conversation_key = Column(String(64), nullable=False, index=True)
    police_referral = Column(String(16), nullable=False)  # named | anonymous | none
    caseworker_requested = Column(Boolean, nullable=False)
    # pending (consented, not yet passed to the police) | sent | stopped (consent withdrawn
    # before sending) | none (no police referral asked for)
    police_referral_status = Column(String(16), nullable=False, default="none")
    police_referral_sent_at = Column(UTCDateTime(), nullable=True)
    # argon2id hash of the secret word the person chose (second factor with the reference)
    secret_hash = Column(String(255), nullable=True)

    incident = relationship("IncidentDetails", uselist=False, cascade="all, delete-orphan")
    contact = relationship("ContactDetails", uselist=False, cascade="all, delete-orphan")
    consents = relationship(
        "Consent", cascade="all, delete-orphan", order_by="Consent.id", back_populates="case"
    )
    evidence = relationship("Evidence", order_by="Evidence.id", back_populates="case")


class IncidentDetails(Base):
    """Encrypted JSON of what happened (AAD ``esea:incident_details:<reference>``)."""

    __tablename__ = "incident_details"

    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    data = Column(LargeBinary, nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ContactDetails(Base):
    """Encrypted JSON of contact data (AAD ``esea:contact_details:<reference>``)."""

    __tablename__ = "contact_details"

    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    data = Column(LargeBinary, nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class Consent(Base):
    """One consent (given or refused) with the wording version the person saw."""

    __tablename__ = "consents"

    id = Column(Integer, primary_key=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = Column(String(32), nullable=False)
    value = Column(String(32), nullable=False)  # the answer: "yes", "no", "named", ".."
    wording_key = Column(String(100), nullable=False)
    wording_version = Column(String(32), nullable=False)
    language = Column(String(16), nullable=False)
    channel = Column(String(32), nullable=False)
    given_at = Column(UTCDateTime(), nullable=False)
    withdrawn_at = Column(UTCDateTime(), nullable=True)
    # Where the withdrawal was made (the ledger records it like the consent itself)
    withdrawn_channel = Column(String(32), nullable=True)
    withdrawn_language = Column(String(16), nullable=True)

    case = relationship("Case", back_populates="consents")


class CaseAddition(Base):
    """Something the person added to their report later (AAD ``esea:case_addition:<ref>:<key>``)."""

    __tablename__ = "case_additions"

    id = Column(Integer, primary_key=True)
    addition_key = Column(String(32), nullable=False, unique=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    language = Column(String(16), nullable=False)
    channel = Column(String(32), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    data = Column(LargeBinary, nullable=False)


class SavedDraft(Base):
    """An unfinished report saved to continue later, on any channel.

    Deliberately holds no conversation key or channel address: the conversation that saved it and
    the one that continues it are never linked. ``data`` is the encrypted JSON of the answers
    (AAD ``esea:saved_draft:<code>``); ``secret_hash`` the argon2id hash of the secret word.
    """

    __tablename__ = "saved_drafts"

    id = Column(Integer, primary_key=True)
    code = Column(String(16), nullable=False, unique=True)
    secret_hash = Column(String(255), nullable=False)
    language = Column(String(16), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=False, index=True)
    data = Column(LargeBinary, nullable=False)


class AccessAttempt(Base):
    """Failed attempts to open a reference (keyed hash of it), to limit guessing."""

    __tablename__ = "access_attempts"

    id = Column(Integer, primary_key=True)
    subject = Column(String(64), nullable=False, unique=True)
    failures = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime(), nullable=True)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class AccessGrant(Base):
    """A short-lived grant: this conversation opened this case with its reference and second factor.

    ``subject`` is a keyed hash of the conversation key (no conversation key is stored here). "My
    report" checks a live grant (``expires_at`` in the future) at every step; slots grant nothing.
    An expired or revoked row is kept a while as "this conversation opened this case before" (a
    known client is not slowed by other people's failed attempts), then deleted.
    """

    __tablename__ = "access_grants"

    id = Column(Integer, primary_key=True)
    subject = Column(String(64), nullable=False, index=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=False)


class Evidence(Base):
    """Metadata of one uploaded file; the bytes are an encrypted file named ``stored_name``.

    Deleting a case with evidence is refused by the foreign key on purpose: erasure has to delete
    the files too, and evidence set loose would be linked to the conversation's next report.
    """

    __tablename__ = "evidence"

    id = Column(Integer, primary_key=True)
    conversation_key = Column(String(64), nullable=False, index=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=True, index=True)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    stored_name = Column(String(64), nullable=False, unique=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    case = relationship("Case", back_populates="evidence")


class DeliveryClaim(Base):
    """A provider delivery (Twilio MessageSid, Telegram update_id) already taken by a process."""

    __tablename__ = "delivery_claims"
    __table_args__ = (UniqueConstraint("provider", "delivery_id"),)

    id = Column(Integer, primary_key=True)
    provider = Column(String(32), nullable=False)
    delivery_id = Column(String(128), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)


class ChannelAddress(Base):
    """The encrypted real address behind a pseudonym (AAD ``esea:channel_address:<ch>:<ps>``)."""

    __tablename__ = "channel_addresses"
    __table_args__ = (UniqueConstraint("channel", "pseudonym"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    pseudonym = Column(String(64), nullable=False)
    address = Column(LargeBinary, nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ChannelState(Base):
    """Small JSON state of one conversation on one channel (never personal data)."""

    __tablename__ = "channel_state"
    __table_args__ = (UniqueConstraint("channel", "pseudonym", "key"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    pseudonym = Column(String(64), nullable=False)
    key = Column(String(64), nullable=False)
    value = Column(JSON, nullable=True)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)
