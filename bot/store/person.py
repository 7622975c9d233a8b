"""What a person can do with their own report, given its reference and a second factor.

The reference code alone never opens a report: the person must also give a second factor they
chose — the secret word they set, or the phone number or email address they gave as contact
details. Failed attempts are counted per reference (a keyed hash of it, so the table holds no
reference) and lock it for a while after :data:`MAX_FAILURES`; the bot also stops asking after
that many tries in one conversation.

Once opened, a person can read the status of the case, read the consent ledger (what they agreed
to, in which words, when), withdraw any consent (recorded, and acted on everywhere: casework
revoked, an unsent police referral stopped, callbacks cancelled), add something they forgot, and
set a secret word. A report not yet submitted can be saved as a draft under a code and a secret
word and continued on any channel: the draft row holds no conversation key or channel address,
so the two conversations are never linked.

Every function that writes commits its own unit of work; give it a fresh session.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.crypto import Keyring
from bot.handoff.accounts import audit
from bot.intake.validators import parse_email, parse_phone
from bot.store import service
from bot.store.handoff_models import CallbackTask, Casework
from bot.store.models import (
    AccessAttempt,
    Case,
    CaseAddition,
    Evidence,
    SavedDraft,
)
from bot.store.references import generate_reference, normalise_reference

logger = logging.getLogger(__name__)

SECRET_MIN_CHARS = 6
SECRET_MAX_CHARS = 100
MAX_FAILURES = 5
LOCK_MINUTES = 60
ADDITION_MAX_CHARS = 4000
#: Status shown to the person, from the case and its casework.
PERSON_STATUSES = ("received", "with_caseworker", "closed")

_HASHER = PasswordHasher()
# Verified against when no record matches, so a wrong reference costs the same time as a wrong
# secret (an attacker cannot tell which of the two was wrong).
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


class AccessError(ValueError):
    """A request the person made cannot be done (the message is safe to log: no personal data)."""


@dataclass(frozen=True)
class Access:
    """Outcome of :func:`verify_access`.

    Attributes:
        ok: Both factors matched.
        kind: ``case`` or ``draft`` when ok.
        reference: The normalised reference (or draft code) when ok.
        locked: The reference is locked after too many failed attempts.
    """

    ok: bool
    kind: str | None = None
    reference: str | None = None
    locked: bool = False


@dataclass(frozen=True)
class Withdrawal:
    """Outcome of :func:`withdraw_consent`.

    Attributes:
        kind: The consent withdrawn.
        changed: False when there was no active consent of that kind.
        police_already_sent: For a police referral already passed on: it could not be stopped.
    """

    kind: str
    changed: bool
    police_already_sent: bool = False


def normalise_secret(secret: str) -> str:
    """Secret words compare case-insensitively and ignore spacing and Unicode form."""
    text = unicodedata.normalize("NFKC", secret or "").casefold()
    return " ".join(text.split())


_SECRET_LENGTH = f"secret word must be {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters"


def valid_secret(secret: str) -> bool:
    """A secret word must be 6 to 100 characters (after normalising)."""
    return SECRET_MIN_CHARS <= len(normalise_secret(secret)) <= SECRET_MAX_CHARS


def _hash_secret(secret: str) -> str:
    return _HASHER.hash(normalise_secret(secret))


def _secret_matches(stored: str | None, given: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, normalise_secret(given)) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _subject(keyring: Keyring, reference: str) -> str:
    return keyring.pseudonymise("access", reference)[:64]


# -- verifying ----------------------------------------------------------------------------------


def is_locked(session: Session, keyring: Keyring, reference: str, *, now: datetime) -> bool:
    """True while a reference is locked after too many failed attempts."""
    normalised = normalise_reference(reference)
    if normalised is None:
        return False
    row = session.scalar(
        select(AccessAttempt).where(AccessAttempt.subject == _subject(keyring, normalised))
    )
    return bool(row and row.locked_until and row.locked_until > now)


def verify_access(
    session: Session, keyring: Keyring, reference: str, factor: str, *, now: datetime
) -> Access:
    """Checks a reference (case or saved draft) with the second factor, counting failures.

    Args:
        session: A fresh session; this function commits.
        keyring: Decrypts contact details and hashes the reference for the attempt counter.
        reference: As typed (case, spaces, O/0 and I/1 forgiven).
        factor: The secret word, or the contact phone number or email address of the report.
        now: Current time (aware).

    Returns:
        The outcome; a wrong reference and a wrong factor look the same.
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        _secret_matches(None, factor)
        return Access(ok=False)
    if is_locked(session, keyring, normalised, now=now):
        return Access(ok=False, locked=True)
    kind = _check(session, keyring, normalised, factor, now=now)
    subject = _subject(keyring, normalised)
    row = session.scalar(select(AccessAttempt).where(AccessAttempt.subject == subject))
    if kind is not None:
        if row is not None:
            session.delete(row)
            session.commit()
        logger.info("A person opened their %s with its reference and second factor", kind)
        return Access(ok=True, kind=kind, reference=normalised)
    if row is None:
        row = AccessAttempt(subject=subject, failures=0, updated_at=now)
        session.add(row)
    row.failures = (row.failures or 0) + 1
    row.updated_at = now
    locked = row.failures >= MAX_FAILURES
    if locked:
        row.failures = 0
        row.locked_until = now + timedelta(minutes=LOCK_MINUTES)
    try:
        session.commit()
    except IntegrityError:  # a concurrent first failure: count this one on the next try
        session.rollback()
    logger.info("Failed attempt to open a reference%s", " (now locked)" if locked else "")
    return Access(ok=False, locked=locked)


def _check(
    session: Session, keyring: Keyring, reference: str, factor: str, *, now: datetime
) -> str | None:
    case = session.scalar(
        select(Case).where(Case.reference == reference).options(selectinload(Case.contact))
    )
    if case is not None:
        if case.secret_hash and _secret_matches(case.secret_hash, factor):
            return "case"
        if case.contact is not None and _contact_matches(keyring, case, factor):
            return "case"
        if not case.secret_hash:
            _secret_matches(None, factor)
        return None
    draft = session.scalar(
        select(SavedDraft).where(SavedDraft.code == reference, SavedDraft.expires_at > now)
    )
    if draft is not None and _secret_matches(draft.secret_hash, factor):
        return "draft"
    if draft is None:
        _secret_matches(None, factor)
    return None


def _contact_matches(keyring: Keyring, case: Case, factor: str) -> bool:
    contact = keyring.decrypt_json(case.contact.data, service._contact_aad(case.reference)) or {}
    phone = parse_phone(factor)
    if phone and contact.get("phone") and hmac.compare_digest(phone, str(contact["phone"])):
        return True
    email = parse_email(factor)
    stored = str(contact.get("email") or "").lower()
    return bool(email and stored and hmac.compare_digest(email.lower(), stored))


# -- a submitted case ---------------------------------------------------------------------------


def _case(session: Session, reference: str) -> Case:
    normalised = normalise_reference(reference)
    case = (
        session.scalar(
            select(Case).where(Case.reference == normalised).options(selectinload(Case.consents))
        )
        if normalised
        else None
    )
    if case is None:
        raise AccessError("no such case")
    return case


def set_case_secret(session: Session, reference: str, secret: str) -> None:
    """Sets (or replaces) the secret word of a case.

    Raises:
        AccessError: No such case, or the secret word is too short or too long.
    """
    if not valid_secret(secret):
        raise AccessError(_SECRET_LENGTH)
    case = _case(session, reference)
    case.secret_hash = _hash_secret(secret)
    _audit(session, case.reference, "person.secret_set")
    session.commit()


def case_status(session: Session, reference: str) -> str:
    """``received``, ``with_caseworker`` or ``closed``, as the person should hear it."""
    case = _case(session, reference)
    if case.status == "closed":
        return "closed"
    work = session.scalar(select(Casework).where(Casework.case_id == case.id))
    if case.status == "with_caseworker" or (
        work is not None and work.status in ("accepted", "contacted", "in_progress")
    ):
        return "with_caseworker"
    return "received"


def consent_ledger(session: Session, reference: str) -> list[dict[str, Any]]:
    """Every consent of a case, oldest first, with its withdrawal if any."""
    return [service.consent_record(c) for c in _case(session, reference).consents]


def _held(value: str, withdrawn_at: Any) -> bool:
    """A consent the person gave ("yes", or police named/anonymous) and has not withdrawn."""
    return withdrawn_at is None and value not in ("no", "none")


def withdrawable(session: Session, reference: str) -> list[str]:
    """Consent kinds the person agreed to and still holds."""
    return [
        c["kind"] for c in consent_ledger(session, reference) if _held(c["value"], c["withdrawn_at"])
    ]


def withdraw_consent(
    session: Session,
    keyring: Keyring,
    reference: str,
    kind: str,
    *,
    channel: str,
    language: str,
    now: datetime,
) -> Withdrawal:
    """Withdraws a consent and acts on it everywhere, recording the withdrawal.

    - ``police_referral``: a referral not yet sent is stopped; one already sent cannot be
      (``police_already_sent``), which the person is told.
    - ``caseworker_referral`` / ``partner_sharing``: the case leaves the caseworker queue; the
      partner organisation loses sight of it (its casework is closed and unassigned).
    - ``contact``: open callbacks are cancelled and the contact details erased.

    Raises:
        AccessError: No such case or an unknown kind.
    """
    if kind not in service.CONSENT_KINDS:
        raise AccessError("unknown consent kind")
    case = _case(session, reference)
    active = [c for c in case.consents if c.kind == kind and _held(c.value, c.withdrawn_at)]
    if not active:
        return Withdrawal(kind=kind, changed=False)
    for consent in active:
        consent.withdrawn_at = now
        consent.withdrawn_channel = channel
        consent.withdrawn_language = language
    already_sent = False
    if kind == "police_referral":
        if case.police_referral_status == "sent":
            already_sent = True
        else:
            case.police_referral_status = "stopped"
    if kind in ("caseworker_referral", "partner_sharing"):
        case.caseworker_requested = False
        work = session.scalar(select(Casework).where(Casework.case_id == case.id))
        if work is not None and work.status != "closed":
            work.status = "closed"
            work.closed_at = now
            work.partner_id = None
            work.accepted_by = None
            work.match_reasons = ["consent withdrawn by the person"]
        if case.status == "with_caseworker":
            case.status = "received"
    if kind == "contact":
        for task in session.scalars(
            select(CallbackTask).where(
                CallbackTask.case_id == case.id, CallbackTask.status == "open"
            )
        ):
            task.status, task.done_at = "cancelled", now
        if case.contact is not None:
            session.delete(case.contact)
    _audit(session, case.reference, "person.consent_withdrawn", {"kind": kind}, now=now)
    session.commit()
    logger.info("Consent %s withdrawn by the person%s", kind, " (already sent)" if already_sent else "")
    return Withdrawal(kind=kind, changed=True, police_already_sent=already_sent)


def mark_police_referral_sent(session: Session, reference: str, *, now: datetime) -> bool:
    """Records that a pending police referral was passed on (False when none is pending)."""
    case = _case(session, reference)
    if case.police_referral_status != "pending":
        return False
    withdrawn = any(
        c.kind == "police_referral" and c.withdrawn_at is not None for c in case.consents
    )
    if withdrawn:
        return False
    case.police_referral_status = "sent"
    case.police_referral_sent_at = now
    _audit(session, case.reference, "case.police_referral_sent", now=now)
    session.commit()
    return True


def _addition_aad(reference: str, key: str) -> bytes:
    return f"esea:case_addition:{reference}:{key}".encode()


def add_to_case(
    session: Session,
    keyring: Keyring,
    reference: str,
    text: str,
    *,
    channel: str,
    language: str,
    now: datetime,
) -> None:
    """Adds something the person forgot to their case (encrypted, stored as written).

    Raises:
        AccessError: No such case, or the text is empty or over :data:`ADDITION_MAX_CHARS`.
    """
    if not text or not text.strip() or len(text) > ADDITION_MAX_CHARS:
        raise AccessError(f"an addition must be 1 to {ADDITION_MAX_CHARS} characters")
    case = _case(session, reference)
    key = secrets.token_hex(8)
    session.add(
        CaseAddition(
            addition_key=key,
            case_id=case.id,
            language=language,
            channel=channel,
            created_at=now,
            data=keyring.encrypt_json({"text": text}, _addition_aad(case.reference, key)),
        )
    )
    _audit(session, case.reference, "person.addition", now=now)
    session.commit()


def additions(session: Session, keyring: Keyring, reference: str) -> list[dict[str, Any]]:
    """What the person added later, decrypted, oldest first."""
    case = _case(session, reference)
    rows = session.scalars(
        select(CaseAddition).where(CaseAddition.case_id == case.id).order_by(CaseAddition.id)
    )
    return [
        {
            "at": row.created_at.isoformat(),
            "language": row.language,
            "channel": row.channel,
            "text": (keyring.decrypt_json(row.data, _addition_aad(case.reference, row.addition_key)) or {}).get("text"),
        }
        for row in rows
    ]


def _audit(
    session: Session, reference: str, action: str, detail: dict[str, Any] | None = None,
    *, now: datetime | None = None,
) -> None:
    """An audit row made by the person (no user id), committed with the change it records."""
    audit(session, None, action, reference, detail, now=now, commit=False)


# -- saved drafts -------------------------------------------------------------------------------


def _draft_aad(code: str) -> bytes:
    return f"esea:saved_draft:{code}".encode()


def draft_evidence_key(code: str) -> str:
    """The placeholder conversation key of evidence held with a saved draft."""
    return f"draft:{code}"


def save_draft(
    session: Session,
    keyring: Keyring,
    answers: dict[str, Any],
    secret: str,
    *,
    language: str,
    conversation_key: str,
    now: datetime,
    keep_days: int,
) -> str:
    """Saves an unfinished report under a new code; returns the code.

    The conversation key is used only to move the conversation's loose evidence to the draft; it
    is not stored with the draft.

    Raises:
        AccessError: The secret word is too short or too long.
    """
    if not valid_secret(secret):
        raise AccessError(_SECRET_LENGTH)
    for _attempt in range(8):
        code = generate_reference()
        if session.scalar(select(Case.id).where(Case.reference == code)) is not None:
            continue
        row = SavedDraft(
            code=code,
            secret_hash=_hash_secret(secret),
            language=language,
            created_at=now,
            expires_at=now + timedelta(days=keep_days),
            data=keyring.encrypt_json(answers, _draft_aad(code)),
        )
        session.add(row)
        _move_evidence(session, conversation_key, draft_evidence_key(code))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            continue
        logger.info("Draft saved to continue later (%d answers)", len(answers))
        return code
    raise RuntimeError("could not draw an unused draft code")


def take_draft(
    session: Session, keyring: Keyring, code: str, *, conversation_key: str, now: datetime
) -> dict[str, Any]:
    """Returns a saved draft's answers and deletes it (it continues in this conversation).

    Raises:
        AccessError: No such draft, or it expired.
    """
    normalised = normalise_reference(code)
    row = (
        session.scalar(
            select(SavedDraft).where(SavedDraft.code == normalised, SavedDraft.expires_at > now)
        )
        if normalised
        else None
    )
    if row is None:
        raise AccessError("no such draft")
    answers = keyring.decrypt_json(row.data, _draft_aad(row.code)) or {}
    _move_evidence(session, draft_evidence_key(row.code), conversation_key)
    session.delete(row)
    session.commit()
    logger.info("Saved draft taken up again (%d answers)", len(answers))
    return dict(answers)


def _move_evidence(session: Session, from_key: str, to_key: str) -> None:
    for evidence in session.scalars(
        select(Evidence).where(Evidence.conversation_key == from_key, Evidence.case_id.is_(None))
    ):
        evidence.conversation_key = to_key


def delete_expired_drafts(session: Session, *, now: datetime) -> int:
    """Deletes saved drafts past their expiry and stale attempt counters (committed)."""
    count = session.execute(delete(SavedDraft).where(SavedDraft.expires_at <= now)).rowcount
    session.execute(
        delete(AccessAttempt).where(
            AccessAttempt.updated_at < now - timedelta(days=1),
            (AccessAttempt.locked_until.is_(None)) | (AccessAttempt.locked_until < now),
        )
    )
    session.commit()
    return int(count or 0)
