"""What a person can do with their own report, given its reference and a second factor.

The reference code alone never opens a report: the person must also give a second factor they
chose — the secret word they set, or the phone number or email address they gave as contact
details.

**Grants, not slots.** A successful check issues a short-lived grant (:class:`AccessGrant`, for
:data:`GRANT_MINUTES`, refreshed by use up to :data:`GRANT_MAX_MINUTES`) bound to the conversation
(a keyed hash of its key) and the case. Every step of "my report" asks :func:`granted_reference`
for the case this conversation may see; nothing a conversation's slots say opens anything. The
grant is revoked when the person finishes or leaves (:func:`revoke_access`).

**Attempt limits that cannot be turned against the person.** There is no hard lock of a reference.
Instead two progressive delays, both held server-side (:class:`AccessAttempt`, keyed hashes only):

* *Per client* (the conversation key making the attempts — one channel identity: a phone number on
  SMS/WhatsApp, a Telegram chat, a web session): :data:`CLIENT_FREE_TRIES` free failures, then a
  wait that doubles from :data:`CLIENT_BASE_DELAY` up to :data:`CLIENT_MAX_DELAY`. It only ever
  slows the client that fails, so nobody can slow anyone else with it.
* *Per reference* (all clients together): :data:`REFERENCE_FREE_TRIES` free failures, then a wait
  between tries that doubles from :data:`REFERENCE_BASE_DELAY` up to :data:`REFERENCE_MAX_DELAY`
  (bounded: never an hour). This is what stops someone rotating conversations to brute-force a
  secret word (at most ~144 guesses a day once it applies, each an argon2 check). It does not apply
  to a *known client* of the case — the conversation that made the report, or one that opened it
  before (a grant row younger than :data:`KNOWN_DAYS`) — so the person's own chat is never slowed
  by a stranger's failures; a person on a new device waits at most :data:`REFERENCE_MAX_DELAY`
  per try, and staff can clear the slow-down at once (:func:`unlock_reference`, ``bot.cli cases
  unlock``, audited). A success clears both counters; they are forgotten after a quiet day.

Once opened, a person can read the status of the case, read the consent ledger (what they agreed
to, in which words, when), withdraw any consent (recorded, and acted on everywhere: casework
revoked, an unsent police referral stopped, callbacks cancelled), add something they forgot, and
set a secret word. A report not yet submitted can be saved as a draft under a code and a secret
word and continued on any channel: the draft row holds no conversation key or channel address,
so the two conversations are never linked.

Functions that write never commit: call them inside the caller's unit of work
(:meth:`bot.store.uow.Store.unit_of_work`), which commits the change and its audit row together.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.crypto import Keyring
from bot.intake.validators import parse_email, parse_phone
from bot.store import service
from bot.store.audit import audit
from bot.store.handoff_models import CallbackTask, Casework
from bot.store.models import (
    AccessAttempt,
    AccessGrant,
    Case,
    CaseAddition,
    ContactDetails,
    Evidence,
    SavedDraft,
)
from bot.store.references import generate_reference, normalise_reference
from bot.store.sealed import open_json, seal_json
from bot.store.uow import savepoint

logger = logging.getLogger(__name__)

SECRET_MIN_CHARS = 6
SECRET_MAX_CHARS = 100
#: Failures one client may make before it must wait, and its waits (doubling, capped).
CLIENT_FREE_TRIES = 3
CLIENT_BASE_DELAY = timedelta(seconds=30)
CLIENT_MAX_DELAY = timedelta(minutes=15)
#: Failures on one reference (from all clients) before tries on it are spaced, and the spacing.
REFERENCE_FREE_TRIES = 10
REFERENCE_BASE_DELAY = timedelta(seconds=15)
REFERENCE_MAX_DELAY = timedelta(minutes=10)
#: Counters forgotten after this long without a failure.
ATTEMPTS_FORGET_AFTER = timedelta(days=1)
#: A grant lives this long after its last use, and never longer than the maximum.
GRANT_MINUTES = 20
GRANT_MAX_MINUTES = 120
#: A conversation that opened a case within this many days is a known client of it.
KNOWN_DAYS = 30
#: How soon after submitting a secret word may be set from the same chat without the factor.
FRESH_SECONDS = 3600
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
        locked: Not checked, or the next try must wait: too many failed attempts.
        wait_seconds: How long before this client's next try is checked (0: at once).
    """

    ok: bool
    kind: str | None = None
    reference: str | None = None
    locked: bool = False
    wait_seconds: int = 0


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


def _client_subject(keyring: Keyring, client: str) -> str:
    return keyring.pseudonymise("access-client", client)[:64]


def _grant_subject(keyring: Keyring, conversation_key: str) -> str:
    return keyring.pseudonymise("access-grant", conversation_key)[:64]


def _delay(failures: int, free: int, base: timedelta, cap: timedelta) -> timedelta:
    """No wait for the first `free` failures, then `base` doubling up to `cap`."""
    if failures < free:
        return timedelta(0)
    return min(cap, base * (2 ** min(failures - free, 20)))


def _counter(session: Session, subject: str) -> AccessAttempt | None:
    return session.scalar(select(AccessAttempt).where(AccessAttempt.subject == subject))


def _forgotten(row: AccessAttempt, now: datetime) -> bool:
    """A counter quiet for a day and not holding a wait starts again from zero."""
    return row.updated_at < now - ATTEMPTS_FORGET_AFTER and not _waiting(row, now)


def _waiting(row: AccessAttempt | None, now: datetime) -> bool:
    return bool(row and row.locked_until and row.locked_until > now)


def _seconds(until: datetime | None, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 0.999)) if until and until > now else 0


def is_locked(
    session: Session, keyring: Keyring, reference: str, *, now: datetime, client: str | None = None
) -> bool:
    """True while a try on this reference from this client would not be checked (it must wait)."""
    normalised = normalise_reference(reference)
    if normalised is None:
        return False
    return _wait_before_check(session, keyring, normalised, client, now) > 0


def _wait_before_check(
    session: Session, keyring: Keyring, reference: str, client: str | None, now: datetime
) -> int:
    waits = []
    if client:
        waits.append(_seconds(_locked_until(session, _client_subject(keyring, client), now), now))
    if not (client and is_known_client(session, keyring, reference, client, now=now)):
        waits.append(_seconds(_locked_until(session, _subject(keyring, reference), now), now))
    return max(waits, default=0)


def _locked_until(session: Session, subject: str, now: datetime) -> datetime | None:
    row = _counter(session, subject)
    return row.locked_until if row is not None and _waiting(row, now) else None


def _same_key(stored: str | None, given: str) -> bool:
    """Conversation keys compared in constant time (as bytes: any script is allowed in them)."""
    return bool(stored) and hmac.compare_digest(str(stored).encode(), str(given).encode())


def is_known_client(
    session: Session, keyring: Keyring, reference: str, client: str, *, now: datetime
) -> bool:
    """True for the conversation that made the case, or one that opened it within KNOWN_DAYS."""
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        return False
    if case.conversation_key and _same_key(case.conversation_key, client):
        return True
    return (
        session.scalar(
            select(AccessGrant.id)
            .where(
                AccessGrant.subject == _grant_subject(keyring, client),
                AccessGrant.case_id == case.id,
                AccessGrant.created_at > now - timedelta(days=KNOWN_DAYS),
            )
            .limit(1)
        )
        is not None
    )


def verify_access(
    session: Session,
    keyring: Keyring,
    reference: str,
    factor: str,
    *,
    now: datetime,
    client: str | None = None,
) -> Access:
    """Checks a reference (case or saved draft) with the second factor, counting failures.

    Args:
        session: The caller's unit of work (a success or a counted failure is written to it).
        keyring: Decrypts contact details and hashes the counters' subjects.
        reference: As typed (case, spaces, O/0 and I/1 forgiven).
        factor: The secret word, or the contact phone number or email address of the report.
        now: Current time (aware).
        client: The conversation key making the attempt (its own progressive delay; a known
            client of the case is not slowed by other people's failures). None: no client limit.

    Returns:
        The outcome; a wrong reference and a wrong factor look the same. While a wait applies the
        factor is not checked at all (``locked``, ``wait_seconds``).
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        _secret_matches(None, factor)
        return Access(ok=False)
    wait = _wait_before_check(session, keyring, normalised, client, now)
    if wait:
        return Access(ok=False, locked=True, wait_seconds=wait)
    kind = _check(session, keyring, normalised, factor, now=now)
    subjects = [_subject(keyring, normalised)]
    if client:
        subjects.append(_client_subject(keyring, client))
    if kind is not None:
        session.execute(delete(AccessAttempt).where(AccessAttempt.subject.in_(subjects)))
        logger.info("A person opened their %s with its reference and second factor", kind)
        return Access(ok=True, kind=kind, reference=normalised)
    known = bool(client) and is_known_client(session, keyring, normalised, client or "", now=now)
    limits = [(REFERENCE_FREE_TRIES, REFERENCE_BASE_DELAY, REFERENCE_MAX_DELAY)]
    if client:
        limits.append((CLIENT_FREE_TRIES, CLIENT_BASE_DELAY, CLIENT_MAX_DELAY))
    rows = [_counter(session, subject) for subject in subjects]
    wait = 0
    try:
        with savepoint(session):
            for subject, row, (free, base, cap) in zip(subjects, rows, limits, strict=True):
                if row is None:
                    row = AccessAttempt(subject=subject, failures=0, updated_at=now)
                    session.add(row)
                elif _forgotten(row, now):
                    row.failures = 0
                row.failures = (row.failures or 0) + 1
                row.updated_at = now
                delay = _delay(row.failures, free, base, cap)
                row.locked_until = now + delay if delay else None
                if subject != subjects[0] or not known:  # a known client skips the spacing
                    wait = max(wait, int(delay.total_seconds()))
    except IntegrityError:  # a concurrent first failure: count this one on the next try
        pass
    logger.info("Failed attempt to open a reference%s", " (next try must wait)" if wait else "")
    return Access(ok=False, locked=bool(wait), wait_seconds=wait)


def unlock_reference(
    session: Session,
    reference: str,
    *,
    user_id: int | None = None,
    keyring: Keyring | None = None,
    now: datetime | None = None,
) -> bool:
    """Staff: clears the slow-down of a person's reference (audited as ``staff.unlock_reference``).

    Args:
        session: The caller's unit of work (the change and its audit row are written to it).
        reference: The case reference (or saved-draft code), as typed.
        user_id: The console account doing it (None from the command line).
        keyring: Hashes the counter's subject; loaded from the environment when omitted.
        now: Current time (aware), for the audit row.

    Returns:
        True when the reference names a case or a saved draft (its counter is cleared, whether or
        not a slow-down was active); False when there is no such reference.
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        return False
    now = now or datetime.now(timezone.utc)
    exists = session.scalar(select(Case.id).where(Case.reference == normalised)) is not None or (
        session.scalar(select(SavedDraft.id).where(SavedDraft.code == normalised)) is not None
    )
    if not exists:
        return False
    if keyring is None:
        from bot.settings import Settings

        keyring = Keyring.load(Settings.from_env())
    session.execute(
        delete(AccessAttempt).where(AccessAttempt.subject == _subject(keyring, normalised))
    )
    audit(session, user_id, "staff.unlock_reference", normalised, now=now)
    logger.info("Staff cleared the attempt slow-down of a reference")
    return True


# -- grants -------------------------------------------------------------------------------------


def grant_access(
    session: Session, keyring: Keyring, conversation_key: str, reference: str, *, now: datetime
) -> None:
    """Issues this conversation a short-lived grant to the case (replacing any it held).

    Call only after :func:`verify_access` said ok for a case (or :func:`grant_if_just_submitted`).

    Raises:
        AccessError: No such case.
    """
    case = _case(session, reference)
    subject = _grant_subject(keyring, conversation_key)
    for row in session.scalars(
        select(AccessGrant).where(AccessGrant.subject == subject, AccessGrant.expires_at > now)
    ):
        row.expires_at = now
    session.add(
        AccessGrant(
            subject=subject,
            case_id=case.id,
            created_at=now,
            expires_at=now + timedelta(minutes=GRANT_MINUTES),
        )
    )


def granted_reference(
    session: Session, keyring: Keyring, conversation_key: str, *, now: datetime
) -> str | None:
    """The case this conversation holds a live grant to (refreshing it), or None."""
    row = session.scalar(
        select(AccessGrant)
        .where(
            AccessGrant.subject == _grant_subject(keyring, conversation_key),
            AccessGrant.expires_at > now,
        )
        .order_by(AccessGrant.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    reference = session.scalar(select(Case.reference).where(Case.id == row.case_id))
    row.expires_at = min(
        now + timedelta(minutes=GRANT_MINUTES),
        row.created_at + timedelta(minutes=GRANT_MAX_MINUTES),
    )
    return reference


def revoke_access(
    session: Session, keyring: Keyring, conversation_key: str, *, now: datetime
) -> int:
    """Ends every live grant of this conversation; returns how many (the rows stay as history)."""
    rows = list(
        session.scalars(
            select(AccessGrant).where(
                AccessGrant.subject == _grant_subject(keyring, conversation_key),
                AccessGrant.expires_at > now,
            )
        )
    )
    for row in rows:
        row.expires_at = now
    return len(rows)


def grant_if_just_submitted(
    session: Session, keyring: Keyring, conversation_key: str, reference: str, *, now: datetime
) -> bool:
    """Grants access without a second factor to the conversation that made the case, for
    :data:`FRESH_SECONDS` after it was made (to choose a secret word right away)."""
    normalised = normalise_reference(reference or "")
    case = session.scalar(select(Case).where(Case.reference == normalised)) if normalised else None
    if (
        case is None
        or not _same_key(case.conversation_key, conversation_key)
        or (now - case.created_at).total_seconds() >= FRESH_SECONDS
    ):
        return False
    grant_access(session, keyring, conversation_key, case.reference, now=now)
    return True


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
    contact = (
        open_json(keyring, ContactDetails.data, case.contact.data, reference=case.reference) or {}
    )
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
        c["kind"]
        for c in consent_ledger(session, reference)
        if _held(c["value"], c["withdrawn_at"])
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
    logger.info(
        "Consent %s withdrawn by the person%s", kind, " (already sent)" if already_sent else ""
    )
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
    return True


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
            data=seal_json(
                keyring,
                CaseAddition.data,
                {"text": text},
                reference=case.reference,
                addition_key=key,
            ),
        )
    )
    _audit(session, case.reference, "person.addition", now=now)


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
            "text": (
                open_json(
                    keyring,
                    CaseAddition.data,
                    row.data,
                    reference=case.reference,
                    addition_key=row.addition_key,
                )
                or {}
            ).get("text"),
        }
        for row in rows
    ]


def _audit(
    session: Session,
    reference: str,
    action: str,
    detail: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """An audit row made by the person (no user id), in the unit of work of the change it records."""
    audit(session, None, action, reference, detail, now=now)


# -- saved drafts -------------------------------------------------------------------------------


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
        try:
            with savepoint(session):
                session.add(
                    SavedDraft(
                        code=code,
                        secret_hash=_hash_secret(secret),
                        language=language,
                        created_at=now,
                        expires_at=now + timedelta(days=keep_days),
                        data=seal_json(keyring, SavedDraft.data, answers, code=code),
                    )
                )
                _move_evidence(session, conversation_key, draft_evidence_key(code))
        except IntegrityError:
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
    answers = open_json(keyring, SavedDraft.data, row.data, code=row.code) or {}
    _move_evidence(session, draft_evidence_key(row.code), conversation_key)
    session.delete(row)
    logger.info("Saved draft taken up again (%d answers)", len(answers))
    return dict(answers)


def _move_evidence(session: Session, from_key: str, to_key: str) -> None:
    for evidence in session.scalars(
        select(Evidence).where(Evidence.conversation_key == from_key, Evidence.case_id.is_(None))
    ):
        evidence.conversation_key = to_key


def delete_expired_drafts(session: Session, *, now: datetime) -> int:
    """Deletes saved drafts past their expiry, stale attempt counters and old grants."""
    count = session.execute(delete(SavedDraft).where(SavedDraft.expires_at <= now)).rowcount
    session.execute(
        delete(AccessAttempt).where(
            AccessAttempt.updated_at < now - ATTEMPTS_FORGET_AFTER,
            (AccessAttempt.locked_until.is_(None)) | (AccessAttempt.locked_until < now),
        )
    )
    session.execute(
        delete(AccessGrant).where(AccessGrant.created_at < now - timedelta(days=KNOWN_DAYS))
    )
    return int(count or 0)
