"""Every read and write of the case store, as plain functions taking a Session.

Functions that write never commit: they add, change and flush inside the caller's unit of work,
``with store.unit_of_work() as session: submit_report(session, keyring, draft, ...)``
(:meth:`bot.store.uow.Store.unit_of_work`), which commits once at the end or rolls everything back.
Functions that touch personal data take the :class:`bot.crypto.Keyring`; nothing personal is ever
stored unencrypted or logged.

The draft (what the report form collected) given to :func:`submit_report`::

    {
      "language": "en",                     # a code from bot/languages.yml (required)
      "channel": "socketio",                # channel the report came through (required)
      "conversation_key": "web-3f9a...",    # the conversation pseudonym (required)
      "reporter_role": "victim",            # victim | witness | someone_else ... (required)
      "description": "free text",           # what happened (required, non-empty)
      "incident_types": ["verbal_abuse"],   # stable English identifiers
      "date_text": "last Friday evening",   # what the person typed, as typed
      "date_from": "2025-03-07",            # ISO dates parsed from it, or None
      "date_to": "2025-03-07",
      "location": "free text",              # place as typed
      "location_kind": "postcode",          # how location was given (postcode, town, online...)
      "place_type": "public_transport",
      "motivations": ["race"],
      "perpetrator": "free text",
      "support_needs": ["emotional"],
      "police": "named",                    # named | anonymous | none (required)
      "caseworker": True,                   # wants a caseworker advocate (required)
      "contact": {                          # or None (key required)
        "name": "...", "phone": "+447700900123", "email": "...",
        "safe_to_leave_message": False, "safe_times": "weekday mornings"
      },
      "consents": [                         # one entry per question asked (key required)
        {"kind": "police_referral", "value": "named", "wording_key": "utter_ask_police",
         "wording_version": "1", "language": "en", "channel": "socketio",
         "given_at": "2025-03-08T10:15:00+00:00"}
      ]
    }

Optional keys may be missing or None (lists may be missing or empty). Unknown keys are refused so
that a field added to the form is added here (and to its encrypted place) on purpose.
Incident fields plus ``reporter_role`` are stored encrypted in ``incident_details``; ``contact`` in
``contact_details``; consents one row each; ``police`` and ``caseworker`` also as plain routing
columns on the case (operators filter on them without decrypting anything).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.crypto import Keyring, ensure_private_dir, write_private_file
from bot.settings import Settings
from bot.store.models import (
    Case,
    ChannelAddress,
    ChannelState,
    Consent,
    ContactDetails,
    DeliveryClaim,
    Evidence,
    IncidentDetails,
    utcnow,
)
from bot.store.references import generate_reference, normalise_reference
from bot.store.sealed import EVIDENCE_FILE, open_json, open_sealed, reseal_columns, seal, seal_json
from bot.store.uow import savepoint

logger = logging.getLogger(__name__)

CASE_STATUSES = ("received", "in_review", "with_caseworker", "referred", "closed")
CONSENT_KINDS = ("police_referral", "caseworker_referral", "partner_sharing", "contact")
POLICE_CHOICES = ("named", "anonymous", "none")
INCIDENT_TEXT_FIELDS = (
    "date_text",
    "date_from",
    "date_to",
    "location",
    "location_kind",
    "place_type",
    "perpetrator",
)
INCIDENT_LIST_FIELDS = ("incident_types", "motivations", "support_needs")
CONTACT_FIELDS = ("name", "phone", "email", "safe_to_leave_message", "safe_times")
CONSENT_FIELDS = (
    "kind",
    "value",
    "wording_key",
    "wording_version",
    "language",
    "channel",
    "given_at",
)
_REQUIRED = (
    "language",
    "channel",
    "conversation_key",
    "reporter_role",
    "description",
    "police",
    "caseworker",
    "contact",
    "consents",
)
_ALLOWED = frozenset(_REQUIRED + INCIDENT_TEXT_FIELDS + INCIDENT_LIST_FIELDS)
_REFERENCE_ATTEMPTS = 8
_CONTENT_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")


@dataclass(frozen=True)
class SubmitResult:
    """Outcome of :func:`submit_report`.

    Attributes:
        reference: The case reference to give the person (``ABCD-2345``).
        created: False when this submission key had already been submitted (a retry).
    """

    reference: str
    created: bool


class EvidenceTooLarge(ValueError):
    """An evidence file is over ``Settings.evidence_max_bytes``."""


# -- reports -----------------------------------------------------------------------------------


def validate_draft(draft: dict[str, Any]) -> dict[str, Any]:
    """Checks a draft's shape (see the module docstring) and returns a normalised copy.

    Raises:
        ValueError: A required key is missing, a key is unknown, or a value has the wrong type.
            The message names keys, never values.
    """
    if not isinstance(draft, dict):
        raise ValueError("draft must be a dict")
    missing = [key for key in _REQUIRED if key not in draft]
    if missing:
        raise ValueError(f"draft is missing required keys: {', '.join(missing)}")
    unknown = sorted(set(draft) - _ALLOWED)
    if unknown:
        raise ValueError(f"draft has unknown keys: {', '.join(unknown)}")
    for key in ("language", "channel", "conversation_key", "reporter_role", "description"):
        if not isinstance(draft[key], str) or not draft[key].strip():
            raise ValueError(f"draft[{key!r}] must be a non-empty string")
    if draft["police"] not in POLICE_CHOICES:
        raise ValueError(f"draft['police'] must be one of {', '.join(POLICE_CHOICES)}")
    if not isinstance(draft["caseworker"], bool):
        raise ValueError("draft['caseworker'] must be a bool")

    clean: dict[str, Any] = {key: draft[key] for key in _REQUIRED}
    for key in INCIDENT_TEXT_FIELDS:
        value = draft.get(key)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        if value is not None and not isinstance(value, str):
            raise ValueError(f"draft[{key!r}] must be a string or None")
        clean[key] = value
    for key in INCIDENT_LIST_FIELDS:
        value = draft.get(key) or []
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"draft[{key!r}] must be a list of strings")
        clean[key] = list(value)
    clean["contact"] = _validate_contact(draft["contact"])
    clean["consents"] = _validate_consents(draft["consents"])
    return clean


def _validate_contact(contact: Any) -> dict[str, Any] | None:
    if contact is None:
        return None
    if not isinstance(contact, dict):
        raise ValueError("draft['contact'] must be a dict or None")
    unknown = sorted(set(contact) - set(CONTACT_FIELDS))
    if unknown:
        raise ValueError(f"draft['contact'] has unknown keys: {', '.join(unknown)}")
    clean = {key: contact.get(key) for key in CONTACT_FIELDS}
    for key in ("name", "phone", "email", "safe_times"):
        if clean[key] is not None and not isinstance(clean[key], str):
            raise ValueError(f"draft['contact'][{key!r}] must be a string or None")
    if clean["safe_to_leave_message"] is not None and not isinstance(
        clean["safe_to_leave_message"], bool
    ):
        raise ValueError("draft['contact']['safe_to_leave_message'] must be a bool or None")
    return clean


def _validate_consents(consents: Any) -> list[dict[str, Any]]:
    if not isinstance(consents, (list, tuple)):
        raise ValueError("draft['consents'] must be a list")
    clean = []
    for index, item in enumerate(consents):
        where = f"draft['consents'][{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a dict")
        missing = [key for key in CONSENT_FIELDS if item.get(key) is None]
        if missing:
            raise ValueError(f"{where} is missing: {', '.join(missing)}")
        if item["kind"] not in CONSENT_KINDS:
            raise ValueError(f"{where}['kind'] must be one of {', '.join(CONSENT_KINDS)}")
        # The answer as given: "yes"/"no", or a choice such as police "named"/"anonymous".
        if isinstance(item["value"], bool):
            item = {**item, "value": "yes" if item["value"] else "no"}
        if not isinstance(item["value"], str) or not item["value"]:
            raise ValueError(f"{where}['value'] must be a non-empty string")
        clean.append(
            {
                "kind": item["kind"],
                "value": item["value"],
                "wording_key": str(item["wording_key"]),
                "wording_version": str(item["wording_version"]),
                "language": str(item["language"]),
                "channel": str(item["channel"]),
                "given_at": _parse_utc(item["given_at"], f"{where}['given_at']"),
            }
        )
    return clean


def _parse_utc(value: Any, where: str) -> datetime:
    """Accepts an aware datetime or an ISO 8601 string; naive values are taken as UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{where} must be an ISO 8601 timestamp") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{where} must be a datetime or ISO 8601 string")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def submit_report(
    session: Session, keyring: Keyring, draft: dict[str, Any], *, submission_key: str
) -> SubmitResult:
    """Stores a report as a new case, once per submission key.

    Idempotent: a retry with the same ``submission_key`` (the draft id) returns the first case's
    reference with ``created=False``. Two concurrent submissions of the same key are settled by
    the unique constraint on ``cases.submission_key``, across processes. The conversation's
    evidence not yet linked to a case is linked to this one.

    Args:
        session: The caller's unit of work (this function never commits).
        keyring: Encrypts incident and contact details.
        draft: The report (see the module docstring).
        submission_key: Idempotency key, at most 128 characters.

    Returns:
        The reference and whether this call created the case.

    Raises:
        ValueError: The draft or the key is not valid.
    """
    if not isinstance(submission_key, str) or not 0 < len(submission_key) <= 128:
        raise ValueError("submission_key must be a string of 1 to 128 characters")
    clean = validate_draft(draft)
    existing = _reference_for_submission(session, submission_key)
    if existing is not None:
        logger.info("Report resubmitted; returning the existing case")
        return SubmitResult(existing, created=False)

    for _attempt in range(_REFERENCE_ATTEMPTS):
        reference = generate_reference()
        try:
            with savepoint(session):
                linked = _new_case(session, keyring, clean, reference, submission_key)
        except IntegrityError:
            existing = _reference_for_submission(session, submission_key)
            if existing is not None:
                logger.info("Concurrent submission of the same report; returning the other case")
                return SubmitResult(existing, created=False)
            if session.scalar(select(Case.id).where(Case.reference == reference)) is None:
                raise
            logger.warning("Case reference collision; drawing another")
            continue
        logger.info(
            "Case %s created (channel %s, language %s, %d consents, evidence linked: %d)",
            reference,
            clean["channel"],
            clean["language"],
            len(clean["consents"]),
            linked,
        )
        return SubmitResult(reference, created=True)
    raise RuntimeError("could not draw an unused case reference")


def _new_case(
    session: Session, keyring: Keyring, clean: dict[str, Any], reference: str, submission_key: str
) -> int:
    """Adds the case and its rows and links the conversation's loose evidence (count returned)."""
    now = utcnow()
    case = Case(
        reference=reference,
        submission_key=submission_key,
        status="received",
        created_at=now,
        channel=clean["channel"],
        language=clean["language"],
        conversation_key=clean["conversation_key"],
        police_referral=clean["police"],
        police_referral_status="none" if clean["police"] == "none" else "pending",
        caseworker_requested=clean["caseworker"],
    )
    incident = {
        key: clean[key]
        for key in ("reporter_role", "description", "police", "caseworker")
        + INCIDENT_TEXT_FIELDS
        + INCIDENT_LIST_FIELDS
    }
    case.incident = IncidentDetails(
        data=seal_json(keyring, IncidentDetails.data, incident, reference=reference), updated_at=now
    )
    if clean["contact"] is not None:
        case.contact = ContactDetails(
            data=seal_json(keyring, ContactDetails.data, clean["contact"], reference=reference),
            updated_at=now,
        )
    case.consents = [Consent(**consent) for consent in clean["consents"]]
    session.add(case)
    session.flush()
    result = session.execute(
        update(Evidence)
        .where(Evidence.conversation_key == clean["conversation_key"], Evidence.case_id.is_(None))
        .values(case_id=case.id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def _reference_for_submission(session: Session, submission_key: str) -> str | None:
    return session.scalar(select(Case.reference).where(Case.submission_key == submission_key))


def get_case(session: Session, keyring: Keyring, reference: str) -> dict[str, Any] | None:
    """Returns everything about a case, decrypted, as a JSON-serialisable dict.

    Args:
        session: Any session.
        keyring: Decrypts the details.
        reference: As typed: case, spaces, a missing dash and O/0, I/1, L/1 are forgiven.

    Returns:
        ``{"reference", "status", "created_at", "channel", "language", "conversation_key",
        "police_referral", "caseworker_requested", "incident": {...}, "contact": {...} | None,
        "consents": [...], "evidence": [{"id", "content_type", "size", "created_at"}]}``,
        or None when there is no such case.
    """
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    case = session.scalar(
        select(Case)
        .where(Case.reference == normalised)
        .options(
            selectinload(Case.incident),
            selectinload(Case.contact),
            selectinload(Case.consents),
            selectinload(Case.evidence),
        )
    )
    if case is None:
        return None
    result = _case_summary(case)
    result["conversation_key"] = case.conversation_key
    result["incident"] = (
        open_json(keyring, IncidentDetails.data, case.incident.data, reference=case.reference)
        if case.incident is not None
        else None
    )
    result["contact"] = (
        open_json(keyring, ContactDetails.data, case.contact.data, reference=case.reference)
        if case.contact is not None
        else None
    )
    result["consents"] = [
        {
            **record,
            "given_at": record["given_at"].isoformat(),
            "withdrawn_at": record["withdrawn_at"].isoformat() if record["withdrawn_at"] else None,
        }
        for record in map(consent_record, case.consents)
    ]
    result["evidence"] = [
        {
            "id": e.id,
            "content_type": e.content_type,
            "size": e.size,
            "created_at": e.created_at.isoformat(),
        }
        for e in case.evidence
    ]
    return result


def consent_record(consent: Consent) -> dict[str, Any]:
    """One consent ledger entry (times as aware datetimes)."""
    return {
        "kind": consent.kind,
        "value": consent.value,
        "wording_key": consent.wording_key,
        "wording_version": consent.wording_version,
        "language": consent.language,
        "channel": consent.channel,
        "given_at": consent.given_at,
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_channel": consent.withdrawn_channel,
        "withdrawn_language": consent.withdrawn_language,
    }


def list_cases(session: Session, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Lists cases, newest first, without decrypting anything.

    Returns:
        ``[{"reference", "status", "created_at", "channel", "language", "police_referral",
        "caseworker_requested"}]``.
    """
    query = select(Case).order_by(Case.created_at.desc(), Case.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_case_summary(case) for case in session.scalars(query)]


def _case_summary(case: Any) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "status": case.status,
        "created_at": case.created_at.isoformat(),
        "channel": case.channel,
        "language": case.language,
        "police_referral": case.police_referral,
        "police_referral_status": case.police_referral_status,
        "caseworker_requested": case.caseworker_requested,
    }


# -- webhook delivery dedup ---------------------------------------------------------------------


def claim_delivery(session: Session, provider: str, delivery_id: str) -> bool:
    """Claims a webhook delivery so only one process, once, handles it.

    Args:
        session: The caller's unit of work (this function never commits).
        provider: ``twilio``, ``telegram``...
        delivery_id: Twilio ``MessageSid``, Telegram ``update_id``...

    Returns:
        True the first time this (provider, delivery_id) is claimed, False for every retry.
    """
    try:
        with savepoint(session):
            session.add(
                DeliveryClaim(provider=provider, delivery_id=str(delivery_id), created_at=utcnow())
            )
    except IntegrityError:
        logger.info("Duplicate %s delivery ignored", provider)
        return False
    return True


# -- channel addresses and state ----------------------------------------------------------------


def remember_address(
    session: Session, keyring: Keyring, channel: str, pseudonym: str, address: str
) -> None:
    """Stores (encrypted) the real address behind a pseudonym, replacing an older one.

    Args:
        session: The caller's unit of work (this function never commits).
        keyring: Encrypts the address.
        channel: Channel name.
        pseudonym: ``keyring.pseudonymise(channel, address)``.
        address: Phone number, chat id...
    """
    blob = seal(
        keyring,
        ChannelAddress.address,
        address.encode("utf-8"),
        channel=channel,
        pseudonym=pseudonym,
    )
    _upsert(
        session,
        ChannelAddress,
        {"channel": channel, "pseudonym": pseudonym},
        {"address": blob, "updated_at": utcnow()},
    )


def lookup_address(session: Session, keyring: Keyring, channel: str, pseudonym: str) -> str | None:
    """Returns the real address behind a pseudonym, or None if it was never remembered."""
    blob = session.scalar(
        select(ChannelAddress.address).where(
            ChannelAddress.channel == channel, ChannelAddress.pseudonym == pseudonym
        )
    )
    if blob is None:
        return None
    return open_sealed(
        keyring, ChannelAddress.address, blob, channel=channel, pseudonym=pseudonym
    ).decode("utf-8")


def get_channel_state(
    session: Session, channel: str, pseudonym: str, key: str, default: Any = None
) -> Any:
    """Returns a value stored by :func:`set_channel_state`, or ``default``."""
    row = session.scalar(
        select(ChannelState).where(
            ChannelState.channel == channel,
            ChannelState.pseudonym == pseudonym,
            ChannelState.key == key,
        )
    )
    return default if row is None else row.value


def set_channel_state(session: Session, channel: str, pseudonym: str, key: str, value: Any) -> None:
    """Stores a small JSON value for one conversation (stored unencrypted: no personal data).

    Args:
        session: The caller's unit of work (this function never commits).
        channel: Channel name.
        pseudonym: The conversation pseudonym.
        key: Name of the value, e.g. ``sms_options``.
        value: Any JSON-serialisable value; None deletes it.
    """
    if value is None:
        session.query(ChannelState).filter_by(
            channel=channel, pseudonym=pseudonym, key=key
        ).delete()
        return
    _upsert(
        session,
        ChannelState,
        {"channel": channel, "pseudonym": pseudonym, "key": key},
        {"value": value, "updated_at": utcnow()},
    )


def _upsert(session: Session, model: Any, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Updates the row matching ``keys`` or inserts it; a concurrent insert turns into an update."""
    for _attempt in range(3):
        row = session.scalar(select(model).filter_by(**keys))
        try:
            with savepoint(session):
                if row is None:
                    session.add(model(**keys, **values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not upsert into {model.__tablename__}")


# -- evidence -----------------------------------------------------------------------------------


def add_evidence(
    session: Session,
    keyring: Keyring,
    settings: Settings,
    conversation_key: str,
    content_type: str,
    data: bytes,
) -> int:
    """Stores an uploaded file encrypted under ``settings.evidence_dir``.

    It is linked to a case when the conversation's report is submitted.

    Args:
        session: The caller's unit of work (this function never commits).
        keyring: Encrypts the file.
        settings: Gives the folder and the size limit.
        conversation_key: The conversation pseudonym.
        content_type: MIME type as received (checked for shape only).
        data: The file content.

    Returns:
        The evidence id.

    Raises:
        EvidenceTooLarge: ``data`` is over ``settings.evidence_max_bytes``.
        ValueError: ``data`` is empty or the content type is malformed.
    """
    if not data:
        raise ValueError("evidence is empty")
    if len(data) > settings.evidence_max_bytes:
        raise EvidenceTooLarge(
            f"evidence is {len(data)} bytes; the limit is {settings.evidence_max_bytes}"
        )
    content_type = content_type.strip().lower()
    if not _CONTENT_TYPE_RE.match(content_type):
        raise ValueError("evidence content type is malformed")
    stored_name = secrets.token_hex(16) + ".bin"
    path = _evidence_path(settings, stored_name)
    ensure_private_dir(settings.evidence_dir)
    write_private_file(path, keyring.encrypt(data, EVIDENCE_FILE.aad(stored_name=stored_name)))
    row = Evidence(
        conversation_key=conversation_key,
        content_type=content_type,
        size=len(data),
        stored_name=stored_name,
        created_at=utcnow(),
    )
    try:
        session.add(row)
        session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _unlink_unless_committed(session, path)
    logger.info("Evidence %d stored (%s, %d bytes)", row.id, content_type, len(data))
    return int(row.id)


def _unlink_unless_committed(session: Session, path: Path) -> None:
    """Removes the file again if the unit of work that holds its row is rolled back, so a failed
    unit leaves no file that no row accounts for."""
    settled = False

    def committed(done: Session) -> None:
        nonlocal settled
        if not done.in_nested_transaction():  # a savepoint released: the unit is still open
            settled = True

    def rolled_back(done: Session) -> None:
        nonlocal settled
        if not settled and not done.in_nested_transaction():
            settled = True
            path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def read_evidence(
    session: Session, keyring: Keyring, settings: Settings, evidence_id: int
) -> bytes:
    """Returns the decrypted content of an evidence file.

    Raises:
        LookupError: There is no evidence with this id.
    """
    stored_name = session.scalar(select(Evidence.stored_name).where(Evidence.id == evidence_id))
    if stored_name is None:
        raise LookupError(f"no evidence with id {evidence_id}")
    blob = _evidence_path(settings, stored_name).read_bytes()
    return keyring.decrypt(blob, EVIDENCE_FILE.aad(stored_name=stored_name))


def _evidence_path(settings: Settings, stored_name: str) -> Path:
    return settings.evidence_dir / stored_name


# -- key rotation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReencryptStats:
    """How many values :func:`reencrypt_all` rewrote (values already on the primary key are skipped)."""

    incident_details: int
    contact_details: int
    channel_addresses: int
    evidence_files: int
    #: Case notes, callback safe times, the person's additions and saved drafts.
    other_records: int = 0


def reencrypt_all(session: Session, keyring: Keyring, settings: Settings) -> ReencryptStats:
    """Re-encrypts every stored ciphertext not made with the keyring's primary key.

    Rows are rewritten in the caller's unit of work; evidence files are each replaced atomically
    afterwards. Old keys stay in the ring, so an interruption (before or after the unit commits)
    leaves everything readable and a re-run finishes the job.

    Args:
        session: The caller's unit of work (this function never commits).
        keyring: The keyring after :meth:`Keyring.rotate`.
        settings: Gives the evidence folder.

    Returns:
        Counts of rewritten values.
    """
    primary = keyring.primary_key_id
    resealed = reseal_columns(session, keyring)
    named = {
        "incident_details": "incident_details.data",
        "contact_details": "contact_details.data",
        "channel_addresses": "channel_addresses.address",
    }
    counts = {field: resealed.pop(key) for field, key in named.items()}
    others = sum(resealed.values())
    session.flush()

    files = 0
    for stored_name in session.scalars(select(Evidence.stored_name).order_by(Evidence.id)):
        path = _evidence_path(settings, stored_name)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            logger.error("Evidence file %s is missing", stored_name)
            continue
        if keyring.key_id_of(blob) != primary:
            aad = EVIDENCE_FILE.aad(stored_name=stored_name)
            write_private_file(path, keyring.encrypt(keyring.decrypt(blob, aad), aad))
            files += 1
    stats = ReencryptStats(evidence_files=files, other_records=others, **counts)
    logger.info("Re-encrypted with key %s: %s", primary, stats)
    return stats
