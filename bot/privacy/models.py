"""Tables of the privacy features (migration ``0003``), on the case store's ``Base``.

- ``statistical_records``: what is left of a case after anonymisation: categorical facts only,
  with no reference, pseudonym, date finer than a month, or free text; the published statistics
  count these together with live cases.
- ``erasure_records``: proof that an erasure request was carried out, without personal data (a
  keyed hash of the reference, so a repeated request can be recognised, and row counts).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Integer, String

from bot.store.models import Base, UTCDateTime, utcnow


class StatisticalRecord(Base):
    """Categorical facts of one anonymised case."""

    __tablename__ = "statistical_records"

    id = Column(Integer, primary_key=True)
    month = Column(String(7), nullable=False, index=True)  # YYYY-MM of the report
    channel = Column(String(32), nullable=False)
    language = Column(String(16), nullable=False)
    region = Column(String(32), nullable=False)  # bot.privacy.regions ids
    incident_types = Column(JSON, nullable=False, default=list)
    motivations = Column(JSON, nullable=False, default=list)
    reporter_role = Column(String(32), nullable=True)
    place_type = Column(String(32), nullable=True)
    police_referral = Column(String(16), nullable=False)
    caseworker_requested = Column(Boolean, nullable=False)
    anonymised_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class ErasureRecord(Base):
    """A case erased at the person's request (no personal data)."""

    __tablename__ = "erasure_records"

    id = Column(Integer, primary_key=True)
    erased_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    reference_hash = Column(String(64), nullable=False, index=True)
    reason = Column(String(32), nullable=False)  # subject_request
    detail = Column(JSON, nullable=True)  # counts of deleted rows and files
