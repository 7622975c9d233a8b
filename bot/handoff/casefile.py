"""A case as staff read it: the report in the person's words, every answer as words, the consent
ledger, contact details where consented, a timeline and due dates. No codes, no payloads.

The console's case page (``service/console/views/case.py``) renders a :class:`CaseFile`. Building
it is split into pure functions over plain values (unit-tested one by one) and one loader,
:func:`load_casefile`, which reads the store and decrypts what the person wrote.

Staff read English (the console's language); every answer the person chose is shown in English
with the words the person saw, in their language, beside it (:class:`Words`). Times stay
``datetime`` values here and are put into words in Europe/London by the page (``fmt``); how long
is left before a due date is worded here (:func:`due`), since it decides what staff do next.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from babel import dates
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import i18n, labels
from bot.crypto import Keyring
from bot.handoff.caselist import STATUS_NAMES
from bot.intake.report import CONSENT_QUESTIONS
from bot.store import sealed
from bot.store import service as store
from bot.store.handoff_models import (
    AuditEntry,
    CallbackTask,
    CaseNote,
    Casework,
    ConsoleUser,
    ContactAttempt,
    HandoffRequest,
)
from bot.store.models import Case, CaseAddition

STAFF_LANGUAGE: Final = "en"
STAFF_LOCALE: Final = "en_GB"
NOT_GIVEN: Final = "Not given"
SKIPPED_VALUES: Final = (None, "", "skipped")

#: The report's questions as staff read them, in the order the person answered them.
#: (field, English label, how it was answered: choice | choices | words | date | place)
REPORT_FIELDS: Final = (
    ("reporter_role", "Who it happened to", "choice"),
    ("description", "What happened, in their words", "words"),
    ("incident_types", "What kind of incident", "choices"),
    ("date_text", "When it happened", "date"),
    ("location", "Where it happened", "place"),
    ("place_type", "Kind of place", "choice"),
    ("motivations", "Why they think it happened", "choices"),
    ("perpetrator", "Who did it", "words"),
    ("support_needs", "Support they would like", "choices"),
    ("police", "Passing the report to the police", "choice"),
    ("caseworker", "A caseworker to support them", "choice"),
)

CONSENT_TITLES: Final = {
    "police_referral": "Passing the report to the police",
    "caseworker_referral": "A caseworker to support them",
    "partner_sharing": "Sharing the report with a partner organisation",
    "contact": "Being contacted by the helpline",
}

CHANNELS: Final = {
    "socketio": "the web chat",
    "rest": "the web chat",
    "web": "the web chat",
    "whatsapp": "WhatsApp",
    "sms": "SMS text messages",
    "twilio": "SMS or WhatsApp",
    "telegram": "Telegram",
    "telegram_ptb": "Telegram",
    "console": "the console",
    "phone": "a phone call",
}

#: The case list's status words, plus the store's statuses nothing sets today.
CASE_STATUSES: Final = {**STATUS_NAMES, "in_review": "Being reviewed", "referred": "Referred"}

CASEWORK_STATUSES: Final = {
    "queued": "Waiting for a caseworker",
    "accepted": "Accepted by a caseworker",
    "contacted": "Person contacted",
    "in_progress": "Casework in progress",
    "closed": "Casework closed",
}

POLICE_STATUSES: Final = {
    "pending": "Waiting to be passed to the police",
    "sent": "Passed to the police",
    "stopped": "Stopped: the person withdrew their consent before it was sent",
    "none": "Not asked for",
}

ATTEMPT_OUTCOMES: Final = {
    "reached": "Reached the person",
    "no_answer": "No answer",
    "voicemail": "Left a voicemail",
    "wrong_number": "Wrong number",
    "unsafe_to_talk": "Not safe for them to talk",
}

CALLBACK_REASONS: Final = {
    "report_contact": "they gave contact details with their report",
    "handoff_timeout": "nobody could take their live chat in time",
    "out_of_hours": "they asked for a person out of hours",
}

HANDOFF_ENDINGS: Final = {
    "returned": "Live chat handed back to the assistant",
    "closed": "Live chat closed by the operator",
    "left": "The person went back to the assistant before anyone took the chat",
    "timed_out": "Nobody took the live chat in time",
}

MATCH_REASONS: Final = {
    "language": "speaks the person's language",
    "region": "works in the region of the incident",
    "national": "works anywhere in the UK",
}


# -- the view model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """One answer's words: in English for staff, and as the person saw it in their language
    (``own`` is None when it reads the same, e.g. for a report made in English)."""

    english: str
    own: str | None = None


@dataclass(frozen=True)
class Answer:
    """One question of the report and what the person said.

    ``choices``: the options they picked (each in both languages); ``text``: what they wrote, as
    written, in their language; ``understood``: how a date they wrote was understood.
    ``skipped``: they gave no answer (``not_given`` holds "Not given" in both languages).
    """

    label: str
    choices: tuple[Words, ...] = ()
    text: str | None = None
    understood: Words | None = None
    skipped: bool = False
    not_given: Words | None = None


@dataclass(frozen=True)
class ConsentStep:
    """One entry of a consent's history: given (or refused), or withdrawn."""

    what: str
    at: dt.datetime
    channel: str
    language_name: str


@dataclass(frozen=True)
class ConsentView:
    """One consent question, the wording the person saw, their answer and its history."""

    title: str
    question: Words
    question_missing: bool
    wording_changed: bool
    answer: Words
    language_name: str
    held: bool
    history: tuple[ConsentStep, ...]


@dataclass(frozen=True)
class ContactView:
    """How to reach the person (only built where they consented)."""

    name: str | None
    phone: str | None
    email: str | None
    leave_message: Words | None
    safe_times: str | None


@dataclass(frozen=True)
class Event:
    """One thing that happened to the case, for the timeline.

    ``text`` is free text (a note, something the person added); ``text_language`` is its
    language code when the person wrote it (so the page marks it up with ``lang``).
    """

    at: dt.datetime
    title: str
    by: str | None = None
    detail: str | None = None
    text: str | None = None
    text_language: str | None = None


@dataclass(frozen=True)
class Due:
    """A promised date: when, and in words how long is left, how overdue, or that it was met."""

    label: str
    at: dt.datetime
    state: str  # "due" | "overdue" | "met" | "void"
    wording: str


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows."""

    reference: str
    created_at: dt.datetime
    language: str  # the person's language code (for lang="" attributes)
    language_name: str
    channel: str
    status: str
    police: str
    police_sent_at: dt.datetime | None
    answers: tuple[Answer, ...]
    consents: tuple[ConsentView, ...]
    contact: ContactView | None
    contact_note: str
    timeline: tuple[Event, ...]
    dues: tuple[Due, ...]
    casework_status: str | None
    casework_status_value: str | None
    partner: str | None
    match_reasons: tuple[str, ...]
    evidence: tuple[str, ...]
    in_caseworker_queue: bool
    casework_closed: bool


# -- pure pieces ---------------------------------------------------------------------------------


def humanise(value: str) -> str:
    """Last resort for a value with no label: its words, never underscores (``other_place`` →
    ``Other place``)."""
    text = str(value).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else NOT_GIVEN


def language_name(code: str | None) -> str:
    """``Vietnamese (Tiếng Việt)``; English as ``English``."""
    from bot import languages

    try:
        found = languages.get(code or "")
    except KeyError:
        found = None
    if found is None:
        return humanise(code or "") if code else "Unknown language"
    if found.own_name == found.english_name:
        return found.english_name
    # no brackets within brackets: "Chinese (Simplified)" reads "Simplified Chinese" here
    english = re.sub(r"^(.+) \((.+)\)$", r"\2 \1", found.english_name)
    return f"{english} ({found.own_name})"


def channel_name(code: str | None) -> str:
    """``the web chat``, ``WhatsApp``…"""
    return CHANNELS.get(code or "", humanise(code or "another channel"))


def not_given(language: str | None) -> Words:
    """ "Not given" in English and in the person's language."""
    own = labels.response_text("utter_label_not_given", language) or None
    return _pair(NOT_GIVEN, own, language)


def _pair(english: str, own: str | None, language: str | None) -> Words:
    if not own or language in (None, STAFF_LANGUAGE) or own == english:
        return Words(english)
    return Words(english, own)


def choice_words(slot: str, value: Any, language: str | None) -> Words:
    """A stored choice as the button the person pressed: English and their language."""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    english = labels.choice_title(slot, str(value), STAFF_LANGUAGE)
    own = labels.choice_title(slot, str(value), language)
    return _pair(english or humanise(str(value)), own, language)


def answers(incident: Mapping[str, Any], language: str | None) -> tuple[Answer, ...]:
    """The report's answers in the order asked, each as words in both languages."""
    result = []
    skipped = not_given(language)
    for name, label, kind in REPORT_FIELDS:
        value = incident.get(name)
        if kind == "choices":
            values = [v for v in (value or []) if v not in SKIPPED_VALUES]
            if not values:
                result.append(Answer(label, skipped=True, not_given=skipped))
            else:
                result.append(
                    Answer(label, choices=tuple(choice_words(name, v, language) for v in values))
                )
        elif kind == "choice":
            if value in SKIPPED_VALUES:
                result.append(Answer(label, skipped=True, not_given=skipped))
            else:
                result.append(Answer(label, choices=(choice_words(name, value, language),)))
        elif kind == "date":
            result.append(_date_answer(label, incident, language, skipped))
        elif kind == "place" and incident.get("location_kind") == "online":
            result.append(
                Answer(label, choices=(choice_words("place_type", "online_place", language),))
            )
        elif value in SKIPPED_VALUES:
            result.append(Answer(label, skipped=True, not_given=skipped))
        else:
            result.append(Answer(label, text=str(value)))
    return tuple(result)


def _date_answer(
    label: str, incident: Mapping[str, Any], language: str | None, skipped: Words
) -> Answer:
    said = incident.get("date_text")
    understood = incident_dates(incident.get("date_from"), incident.get("date_to"), language)
    if said in SKIPPED_VALUES and understood is None:
        return Answer(label, skipped=True, not_given=skipped)
    return Answer(label, text=None if said in SKIPPED_VALUES else str(said), understood=understood)


def incident_dates(start: Any, end: Any, language: str | None) -> Words | None:
    """The date (or range) the person's words were understood as, in words in both languages."""
    from bot.datefmt import format_range

    try:
        first = dt.date.fromisoformat(str(start))
        last = dt.date.fromisoformat(str(end or start))
    except ValueError:
        return None
    return _pair(
        format_range(first, last, STAFF_LANGUAGE), format_range(first, last, language), language
    )


def _consent_slot(kind: str, wording_key: str) -> str:
    """The slot whose buttons hold the answer's words: the question's own (``utter_ask_<slot>``)
    when it has buttons, else the slot the intake asks that consent with."""
    slot = wording_key.removeprefix("utter_ask_")
    if i18n.buttons(labels.domain(), wording_key, STAFF_LANGUAGE):
        return slot
    return CONSENT_QUESTIONS.get(kind, (slot, ""))[0]


def held(value: str, withdrawn_at: Any) -> bool:
    """A consent the person gave ("yes", police named/anonymous) and has not withdrawn."""
    return withdrawn_at is None and value not in ("no", "none")


def consents(ledger: Iterable[Mapping[str, Any]]) -> tuple[ConsentView, ...]:
    """The consent ledger as staff read it: the question in the words and language the person
    saw it (with its English), their answer, and the history (given, withdrawn: when, where)."""
    result = []
    for entry in ledger:
        kind, key, language = entry["kind"], entry["wording_key"], entry["language"]
        own_question = labels.response_text(key, language)
        english_question = labels.response_text(key, STAFF_LANGUAGE)
        current = i18n.wording_version(labels.domain(), key, language) if own_question else ""
        slot = _consent_slot(kind, key)
        answer = choice_words(slot, entry["value"], language)
        agreed = entry["value"] not in ("no", "none")
        history = [
            ConsentStep(
                f"{'Agreed' if agreed else 'Said no'}: {answer.english}",
                entry["given_at"],
                channel_name(entry["channel"]),
                language_name(language),
            )
        ]
        if entry.get("withdrawn_at"):
            history.append(
                ConsentStep(
                    "Withdrew this consent",
                    entry["withdrawn_at"],
                    channel_name(entry.get("withdrawn_channel")),
                    language_name(entry.get("withdrawn_language") or language),
                )
            )
        result.append(
            ConsentView(
                title=CONSENT_TITLES.get(kind, humanise(kind)),
                question=_pair(english_question, own_question, language),
                question_missing=not own_question,
                wording_changed=bool(own_question) and str(entry.get("wording_version")) != current,
                answer=answer,
                language_name=language_name(language),
                held=held(entry["value"], entry.get("withdrawn_at")),
                history=tuple(history),
            )
        )
    return tuple(result)


def contact_allowed(ledger: Iterable[Mapping[str, Any]]) -> bool:
    """Contact details are shown unless the person said no to contact or withdrew it."""
    return not any(
        e["kind"] == "contact" and (e["value"] == "no" or e.get("withdrawn_at")) for e in ledger
    )


def contact_view(
    contact: Mapping[str, Any] | None, ledger: Sequence[Mapping[str, Any]], language: str | None
) -> tuple[ContactView | None, str]:
    """The contact details where consented, and a sentence saying why none are shown."""
    if not contact_allowed(ledger):
        return None, "The person did not agree to be contacted, or withdrew it."
    if not contact or not any(contact.get(k) for k in ("name", "phone", "email")):
        return None, "The person gave no contact details."
    leave = contact.get("safe_to_leave_message")
    return (
        ContactView(
            name=contact.get("name") or None,
            phone=contact.get("phone") or None,
            email=contact.get("email") or None,
            leave_message=None
            if leave is None
            else choice_words("safe_to_leave_message", leave, language),
            safe_times=contact.get("safe_times") or None,
        ),
        "",
    )


def span(delta: dt.timedelta) -> str:
    """A duration in words: ``2 days``, ``5 hours``."""
    return str(dates.format_timedelta(abs(delta), threshold=1.5, locale=STAFF_LOCALE))


def due(
    label: str,
    at: dt.datetime,
    now: dt.datetime,
    *,
    met_at: dt.datetime | None = None,
    void: str | None = None,
) -> Due:
    """A due date in words: ``2 days left``, ``Overdue by 3 hours``, ``Met, 1 day early``."""
    if met_at is not None:
        if met_at <= at:
            return Due(label, at, "met", f"Met, {span(at - met_at)} before it was due")
        return Due(label, at, "met", f"Met, {span(met_at - at)} late")
    if void:
        return Due(label, at, "void", void)
    if at < now:
        return Due(label, at, "overdue", f"Overdue by {span(now - at)}")
    return Due(label, at, "due", f"{span(at - now)} left")


def match_reasons(reasons: Iterable[str] | None, language: str | None) -> tuple[str, ...]:
    """Why a partner was suggested, in words."""
    result = []
    for reason in reasons or []:
        if reason.startswith("support:"):
            needs = [
                choice_words("support_needs", n, STAFF_LANGUAGE).english
                for n in reason[8:].split(",")
                if n
            ]
            result.append("helps with " + ", ".join(needs))
        elif reason in MATCH_REASONS:
            result.append(MATCH_REASONS[reason])
        else:
            result.append(reason if " " in reason else humanise(reason))
    return tuple(result)


def evidence_words(items: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """``A picture (120 KB)`` for each file the person sent."""
    result = []
    for item in items:
        kind = str(item.get("content_type") or "")
        if kind.startswith("image/"):
            what = "A picture"
        elif kind.startswith("video/"):
            what = "A video"
        elif kind.startswith("audio/"):
            what = "A sound recording"
        elif kind == "application/pdf":
            what = "A PDF document"
        else:
            what = "A file"
        size = int(item.get("size") or 0)
        amount = (
            f"{max(1, round(size / 1024))} KB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MB"
        )
        result.append(f"{what} ({amount})")
    return tuple(result)


def audit_event(
    action: str, detail: Mapping[str, Any] | None, at: dt.datetime, by: str | None
) -> Event | None:
    """A timeline entry for an audit row worth showing (status changes, unlocks, …); None for
    reads and for what other tables already record."""
    detail = detail or {}
    if action == "case.status":
        status = str(detail.get("status") or "")
        return Event(
            at, f"Casework status set to “{CASEWORK_STATUSES.get(status, humanise(status))}”", by
        )
    if action == "staff.unlock_reference":
        return Event(at, "Let the person try their reference in “my report” again", by)
    if action == "person.secret_set":
        return Event(at, "The person chose a secret word for “my report”")
    if action == "privacy.case_export":
        return Event(at, "The person's data was exported", by)
    return None


def timeline(events: Iterable[Event]) -> tuple[Event, ...]:
    """Oldest first; things that happened at the same moment keep the order they were given."""
    return tuple(sorted(events, key=lambda e: e.at))


# -- the loader ----------------------------------------------------------------------------------


def load_casefile(
    session: Session,
    keyring: Keyring,
    reference: str,
    *,
    now: dt.datetime,
    partners: Iterable[Any] = (),
) -> CaseFile | None:
    """Reads and decrypts one case into a :class:`CaseFile` (None when there is no such case).

    Reads only; the caller checks access and writes the audit row.
    """
    record = store.get_case(session, keyring, reference)
    if record is None:
        return None
    row = session.scalar(
        select(Case)
        .where(Case.reference == record["reference"])
        .options(selectinload(Case.consents))
    )
    language = record["language"]
    incident = record.get("incident") or {}
    ledger = [store.consent_record(c) for c in row.consents]
    emails = dict(session.execute(select(ConsoleUser.id, ConsoleUser.email)).all())
    names = {getattr(p, "id", None): getattr(p, "name", None) for p in partners}
    events: list[Event] = [
        Event(
            row.created_at,
            f"Report submitted on {channel_name(row.channel)} in {language_name(language)}",
        )
    ]
    for entry in ledger:
        if entry["withdrawn_at"]:
            events.append(
                Event(
                    entry["withdrawn_at"],
                    f"The person withdrew consent: {CONSENT_TITLES.get(entry['kind'], humanise(entry['kind']))}",
                    detail=f"on {channel_name(entry['withdrawn_channel'])}",
                )
            )
    if row.police_referral_sent_at:
        events.append(Event(row.police_referral_sent_at, "Report passed to the police"))
    work = session.scalar(select(Casework).where(Casework.case_id == row.id))
    dues: list[Due] = []
    after: list[Event] = []
    if work is not None:
        partner = names.get(work.partner_id) or (
            humanise(work.partner_id) if work.partner_id else None
        )
        events.append(
            Event(
                work.created_at,
                f"Put in the caseworker queue of {partner}"
                if partner
                else "Put in the caseworker queue; no partner organisation matched",
            )
        )
        # accepting (and every other status change) is in the audit log: see audit_event
        closed = work.status == "closed"
        void = "Not needed: casework closed" if closed else None
        dues.append(
            due(
                "First contact",
                work.first_contact_due,
                now,
                met_at=work.first_contact_at,
                void=void,
            )
        )
        dues.append(
            due(
                "Caseworker's call",
                work.caseworker_due,
                now,
                met_at=work.first_contact_at,
                void=void,
            )
        )
    for task in session.scalars(select(CallbackTask).where(CallbackTask.case_id == row.id)):
        reason = CALLBACK_REASONS.get(task.reason, humanise(task.reason))
        events.append(Event(task.created_at, f"Callback promised: {reason}"))
        if task.done_at:  # after an attempt made at the same moment (the attempt closed it)
            after.append(
                Event(
                    task.done_at, "Callback done" if task.status == "done" else "Callback cancelled"
                )
            )
        if work is None:
            met = task.done_at if task.status == "done" else None
            void = "Cancelled" if task.status == "cancelled" else None
            dues.append(due("Callback (first contact)", task.due_at, now, met_at=met, void=void))
    for attempt in session.scalars(
        select(ContactAttempt).where(ContactAttempt.case_id == row.id).order_by(ContactAttempt.id)
    ):
        outcome = ATTEMPT_OUTCOMES.get(attempt.outcome, humanise(attempt.outcome))
        events.append(Event(attempt.at, f"Contact attempt: {outcome}", emails.get(attempt.user_id)))
    for note in session.scalars(
        select(CaseNote).where(CaseNote.case_id == row.id).order_by(CaseNote.id)
    ):
        text = sealed.open_json(
            keyring, CaseNote.data, note.data, reference=row.reference, note_key=note.note_key
        )
        events.append(Event(note.at, "Note", emails.get(note.user_id), text=str(text or "")))
    for addition in session.scalars(
        select(CaseAddition).where(CaseAddition.case_id == row.id).order_by(CaseAddition.id)
    ):
        data = (
            sealed.open_json(
                keyring,
                CaseAddition.data,
                addition.data,
                reference=row.reference,
                addition_key=addition.addition_key,
            )
            or {}
        )
        events.append(
            Event(
                addition.created_at,
                "The person added to their report",
                detail=f"on {channel_name(addition.channel)}",
                text=str(data.get("text") or ""),
                text_language=addition.language,
            )
        )
    for handoff in session.scalars(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == row.conversation_key)
        .order_by(HandoffRequest.id)
    ):
        events.append(
            Event(
                handoff.created_at,
                f"Asked for a person (live chat on {channel_name(handoff.channel)})",
            )
        )
        if handoff.accepted_at:
            events.append(
                Event(handoff.accepted_at, "Live chat taken", emails.get(handoff.operator_id))
            )
        if handoff.ended_at and handoff.status in HANDOFF_ENDINGS:
            events.append(
                Event(
                    handoff.ended_at,
                    HANDOFF_ENDINGS[handoff.status],
                    emails.get(handoff.operator_id),
                )
            )
    for entry in session.scalars(
        select(AuditEntry).where(AuditEntry.subject == row.reference).order_by(AuditEntry.id)
    ):
        event = audit_event(entry.action, entry.detail, entry.at, emails.get(entry.user_id))
        if event is not None:
            events.append(event)
    events.extend(after)
    contact, contact_note = contact_view(record.get("contact"), ledger, language)
    partner_name = None
    if work is not None and work.partner_id:
        partner_name = names.get(work.partner_id) or humanise(work.partner_id)
    return CaseFile(
        reference=row.reference,
        created_at=row.created_at,
        language=language,
        language_name=language_name(language),
        channel=channel_name(row.channel),
        status=CASE_STATUSES.get(row.status, humanise(row.status)),
        police=POLICE_STATUSES.get(
            row.police_referral_status, humanise(row.police_referral_status)
        ),
        police_sent_at=row.police_referral_sent_at,
        answers=answers(incident, language),
        consents=consents(ledger),
        contact=contact,
        contact_note=contact_note,
        timeline=timeline(events),
        dues=tuple(dues),
        casework_status=CASEWORK_STATUSES.get(work.status, humanise(work.status)) if work else None,
        casework_status_value=work.status if work else None,
        partner=partner_name,
        match_reasons=match_reasons(work.match_reasons if work else (), language),
        evidence=evidence_words(record.get("evidence") or []),
        in_caseworker_queue=work is not None,
        casework_closed=bool(work and work.status == "closed"),
    )


def status_choices(current: str | None, role: str) -> tuple[tuple[str, str], ...]:
    """The casework statuses a user may set now (value, words), without the current one; none
    for closed casework unless an admin reopens it."""
    from bot.handoff.queue import CASEWORK_STATUSES as VALUES

    if current is None or (current == "closed" and role != "admin"):
        return ()
    return tuple((v, CASEWORK_STATUSES[v]) for v in VALUES if v != current)


def attempt_choices() -> tuple[tuple[str, str], ...]:
    """The outcomes of a contact attempt (value, words)."""
    from bot.handoff.queue import ATTEMPT_OUTCOMES as VALUES

    return tuple((v, ATTEMPT_OUTCOMES[v]) for v in VALUES)
