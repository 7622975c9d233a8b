"""The case list of the console: search by reference, filters, what needs attention first, pages.

Pure SQLAlchemy over the case record and the queue tables; nothing is decrypted (the list shows
no free text and no contact details). Who sees what is the rule of
:func:`bot.handoff.queue.can_see_case`, written here as SQL:

- operators and admins: every case, including a report with no contact and no caseworker;
- caseworkers: only cases matched to their organisation where the person asked for a caseworker
  and agreed to share with a partner (``partner_sharing: yes``, not withdrawn);
- anyone else: nothing.

A case's *next due* is the earliest open promise: an open callback's ``due_at``, or, while the
casework is not closed and nobody has reached the person, its first-contact and caseworker-call
dates. The list is sorted overdue first, then soonest due, then newest.

Values are stored as stable codes; the ``*_NAMES`` tables and :class:`CaseRow`'s properties give
the words staff read (English, the console's language).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import and_, case, exists, func, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import languages
from bot.handoff.accounts import User
from bot.hours import LONDON
from bot.store.handoff_models import CallbackTask, Casework
from bot.store.models import Case, Consent
from bot.store.references import ALPHABET, LENGTH, format_reference

PER_PAGE: Final = 25
#: Larger page numbers are refused as a mistake (the list is clamped to its last page anyway).
MAX_PAGE: Final = 1_000_000

STATUS_NAMES: Final = {
    "received": "Received",
    "with_caseworker": "With a caseworker",
    "closed": "Closed",
}
CHANNEL_NAMES: Final = {
    "socketio": "Web chat",
    "rest": "Web (direct connection)",
    "whatsapp": "WhatsApp",
    "sms": "Text message (SMS)",
    "telegram": "Telegram",
}
POLICE_NAMES: Final = {
    "named": "Yes, with their name",
    "anonymous": "Yes, anonymously",
    "none": "No police report",
}
#: What happened to a police referral the person asked for (``police_referral_status``).
POLICE_PROGRESS: Final = {
    "pending": "not passed on yet",
    "sent": "passed to the police",
    "stopped": "withdrawn before it was passed on",
}
DUE_NAMES: Final = {
    "callback": "Call back",
    "first_contact": "First contact",
    "caseworker_call": "Caseworker's call",
}
YES_NO: Final = {"yes": True, "no": False}
_TRUE: Final = frozenset({"1", "yes", "on", "true"})
_FALSE: Final = frozenset({"", "0", "no", "off", "false"})
_SEPARATORS: Final = re.compile(r"[\s\-_.]+")
_CONFUSIONS: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DATE_FORMATS: Final = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


def language_name(code: str) -> str:
    """The language's English name (``Vietnamese``); a code we no longer speak is not shown."""
    try:
        return languages.get(code).english_name
    except (KeyError, ValueError):
        return "Another language"


def language_options() -> list[tuple[str, str]]:
    """Every language the service speaks as ``(code, English name)``, by name."""
    return sorted(((c, language_name(c)) for c in languages.codes()), key=lambda x: x[1])


# -- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    """What the list is narrowed to (all optional) and which page is wanted.

    ``reference`` is a reference or its beginning in the stored display form (``ABCD-2``);
    ``submitted_from``/``submitted_to`` are London dates, both included.
    """

    reference: str | None = None
    status: str | None = None
    language: str | None = None
    channel: str | None = None
    police: str | None = None
    caseworker: bool | None = None
    overdue: bool = False
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    page: int = 1

    def params(self) -> dict[str, str]:
        """The filters as query-string values (the page left out), for links that keep them."""
        values = {
            "q": self.reference or "",
            "status": self.status or "",
            "language": self.language or "",
            "channel": self.channel or "",
            "police": self.police or "",
            "caseworker": "" if self.caseworker is None else ("yes" if self.caseworker else "no"),
            "overdue": "1" if self.overdue else "",
            "from": self.submitted_from.isoformat() if self.submitted_from else "",
            "to": self.submitted_to.isoformat() if self.submitted_to else "",
        }
        return {k: v for k, v in values.items() if v}

    def audit_detail(self) -> dict[str, Any]:
        """The filters for the audit row: codes, dates and a reference prefix only."""
        return self.params()


class FilterError(ValueError):
    """A filter value that cannot be used (the message is for staff)."""


def reference_prefix(text: str) -> str | None:
    """A typed reference or its beginning as stored (``abcd2`` → ``ABCD-2``); None when empty.

    Forgives lower case, spaces, a missing dash and the letters I, L, O (read as 1, 1, 0, which
    a reference never contains).

    Raises:
        FilterError: It has characters a reference never has, or is too long.
    """
    code = _SEPARATORS.sub("", (text or "").strip().upper()).translate(_CONFUSIONS)
    if not code:
        return None
    if len(code) > LENGTH or any(ch not in ALPHABET for ch in code):
        raise FilterError(
            "A reference has 8 letters and digits, like ABCD-2345. Type all of it or its beginning."
        )
    return format_reference(code) if len(code) > 4 else code


def _choice(value: str, allowed: Mapping[str, Any] | list[str], what: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in allowed:
        raise FilterError(f"Please choose {what} from the list.")
    return value


def _date(value: str, what: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise FilterError(f"“{what}” must be a date, for example 2026-12-06 or 06/12/2026.")


def parse_filters(query: Mapping[str, str]) -> tuple[CaseFilters, list[str]]:
    """Reads the filters from a query string; unknown keys are ignored.

    Returns:
        The filters that could be read and a kind message for each value that could not (an
        unusable value is left out of the filters).
    """
    errors: list[str] = []
    values: dict[str, Any] = {}

    def read(key: str, parse: Any) -> None:
        try:
            values[key] = parse()
        except FilterError as exc:
            errors.append(str(exc))

    get = lambda key: str(query.get(key) or "")  # noqa: E731
    read("reference", lambda: reference_prefix(get("q")))
    read("status", lambda: _choice(get("status"), STATUS_NAMES, "a status"))
    read("language", lambda: _choice(get("language"), languages.codes(), "a language"))
    read("channel", lambda: _choice(get("channel"), CHANNEL_NAMES, "a channel"))
    read("police", lambda: _choice(get("police"), POLICE_NAMES, "a police choice"))
    read(
        "caseworker",
        lambda: YES_NO.get(
            _choice(get("caseworker"), YES_NO, "whether a caseworker was asked for") or ""
        ),
    )
    overdue = get("overdue").strip().lower()
    if overdue in _TRUE:
        values["overdue"] = True
    elif overdue not in _FALSE:
        errors.append("“Overdue only” is either ticked or not.")
    read("submitted_from", lambda: _date(get("from"), "Submitted from"))
    read("submitted_to", lambda: _date(get("to"), "Submitted until"))
    start, end = values.get("submitted_from"), values.get("submitted_to")
    if start and end and start > end:
        errors.append("The “Submitted from” date is after the “Submitted until” date.")
        values.pop("submitted_from"), values.pop("submitted_to")
    page = get("page").strip()
    if page:
        if page.isdigit() and 1 <= int(page) <= MAX_PAGE:
            values["page"] = int(page)
        else:
            errors.append("The page must be a whole number from 1.")
    return CaseFilters(**values), errors


# -- the list -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """One case as the list shows it (codes, with their words as properties)."""

    reference: str
    created_at: dt.datetime
    language: str
    channel: str
    status: str
    police_referral: str
    police_referral_status: str
    caseworker_requested: bool
    next_due: dt.datetime | None
    next_due_kind: str | None
    overdue: bool

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.channel, "Another channel")

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, "Other")

    @property
    def police_name(self) -> str:
        words = POLICE_NAMES.get(self.police_referral, "Not known")
        progress = POLICE_PROGRESS.get(self.police_referral_status)
        if self.police_referral != "none" and progress:
            return f"{words} ({progress})"
        return words

    @property
    def next_due_name(self) -> str:
        return DUE_NAMES.get(self.next_due_kind or "", "Due")

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API: codes, their words, ISO times."""
        return {
            "reference": self.reference,
            "submitted_at": self.created_at.isoformat(),
            "language": self.language,
            "language_name": self.language_name,
            "channel": self.channel,
            "channel_name": self.channel_name,
            "status": self.status,
            "status_name": self.status_name,
            "police_referral": self.police_referral,
            "police_referral_status": self.police_referral_status,
            "police_name": self.police_name,
            "caseworker_requested": self.caseworker_requested,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "next_due_kind": self.next_due_kind,
            "next_due_name": self.next_due_name if self.next_due else None,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class CasePage:
    """One page of the list: its rows, how many cases match, which page of how many."""

    rows: list[CaseRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    per_page: int = PER_PAGE

    @property
    def first(self) -> int:
        """Position of the first row on this page (1-based; 0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "cases": [row.as_dict() for row in self.rows],
        }


def _pending_casework() -> ColumnElement[bool]:
    return and_(Casework.status != "closed", Casework.first_contact_at.is_(None))


def _next_due() -> Any:
    """``(case_id, next_due)`` of every case with an open promise."""
    dues = union_all(
        select(CallbackTask.case_id.label("case_id"), CallbackTask.due_at.label("due")).where(
            CallbackTask.status == "open", CallbackTask.case_id.is_not(None)
        ),
        select(Casework.case_id, Casework.first_contact_due).where(_pending_casework()),
        select(Casework.case_id, Casework.caseworker_due).where(_pending_casework()),
    ).subquery("dues")
    return (
        select(dues.c.case_id, func.min(dues.c.due).label("next_due"))
        .group_by(dues.c.case_id)
        .subquery("next_due")
    )


def caseworker_scope(organisation: str) -> ColumnElement[bool]:
    """The cases a caseworker of ``organisation`` may see (as :func:`queue.can_see_case`)."""
    consented = exists().where(
        Consent.case_id == Case.id,
        Consent.kind == "partner_sharing",
        Consent.value == "yes",
        Consent.withdrawn_at.is_(None),
    )
    matched = exists().where(Casework.case_id == Case.id, Casework.partner_id == organisation)
    return and_(Case.caseworker_requested.is_(True), consented, matched)


def _london_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LONDON).astimezone(dt.timezone.utc)


def _conditions(
    user: User, filters: CaseFilters, next_due: Any, now: dt.datetime
) -> list[ColumnElement[bool]] | None:
    """The WHERE clauses for this user and these filters; None when the user sees nothing."""
    where: list[ColumnElement[bool]] = []
    if user.role == "caseworker" and user.organisation:
        where.append(caseworker_scope(user.organisation))
    elif user.role not in ("operator", "admin"):
        return None
    if filters.reference:
        if len(filters.reference) == LENGTH + 1:
            where.append(Case.reference == filters.reference)
        else:
            where.append(Case.reference.startswith(filters.reference, autoescape=True))
    if filters.status:
        where.append(Case.status == filters.status)
    if filters.language:
        where.append(Case.language == filters.language)
    if filters.channel:
        where.append(Case.channel == filters.channel)
    if filters.police:
        where.append(Case.police_referral == filters.police)
    if filters.caseworker is not None:
        where.append(Case.caseworker_requested.is_(filters.caseworker))
    if filters.overdue:
        where.append(next_due.c.next_due < now)
    if filters.submitted_from:
        where.append(Case.created_at >= _london_midnight_utc(filters.submitted_from))
    if filters.submitted_to and filters.submitted_to < dt.date.max:
        end = filters.submitted_to + dt.timedelta(days=1)
        where.append(Case.created_at < _london_midnight_utc(end))
    return where


def list_cases(
    session: Session,
    user: User,
    filters: CaseFilters,
    *,
    now: dt.datetime,
    per_page: int = PER_PAGE,
) -> CasePage:
    """One page of the cases this user may see, narrowed by ``filters``, attention first.

    A page past the end gives the last page (``CasePage.page`` says which was served).
    """
    next_due = _next_due()
    where = _conditions(user, filters, next_due, now)
    if where is None:
        return CasePage(per_page=per_page)
    joined = lambda query: query.join(  # noqa: E731
        next_due, next_due.c.case_id == Case.id, isouter=True
    ).where(*where)
    total = int(session.scalar(joined(select(func.count(Case.id)).select_from(Case))) or 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    due = next_due.c.next_due
    attention = case((due.is_(None), 2), (due < now, 0), else_=1)
    rows = session.execute(
        joined(select(Case, due))
        .order_by(attention, due, Case.created_at.desc(), Case.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    kinds = _due_kinds(session, [(c.id, d) for c, d in rows])
    return CasePage(
        rows=[
            CaseRow(
                reference=c.reference,
                created_at=c.created_at,
                language=c.language,
                channel=c.channel,
                status=c.status,
                police_referral=c.police_referral,
                police_referral_status=c.police_referral_status,
                caseworker_requested=bool(c.caseworker_requested),
                next_due=d,
                next_due_kind=kinds.get(c.id),
                overdue=bool(d is not None and d < now),
            )
            for c, d in rows
        ],
        total=total,
        page=page,
        pages=pages,
        per_page=per_page,
    )


def _due_kinds(session: Session, dues: list[tuple[int, dt.datetime | None]]) -> dict[int, str]:
    """Which promise each case's next due date is (call back, first contact, caseworker's call)."""
    wanted = {case_id: due for case_id, due in dues if due is not None}
    if not wanted:
        return {}
    found: dict[int, str] = {}
    for case_id, due in session.execute(
        select(CallbackTask.case_id, CallbackTask.due_at).where(
            CallbackTask.case_id.in_(wanted), CallbackTask.status == "open"
        )
    ):
        if due == wanted[case_id]:
            found[case_id] = "callback"
    for case_id, first, call in session.execute(
        select(Casework.case_id, Casework.first_contact_due, Casework.caseworker_due).where(
            Casework.case_id.in_(wanted), _pending_casework()
        )
    ):
        if case_id in found:
            continue
        if first == wanted[case_id]:
            found[case_id] = "first_contact"
        elif call == wanted[case_id]:
            found[case_id] = "caseworker_call"
    return found


__all__ = [
    "CHANNEL_NAMES",
    "DUE_NAMES",
    "PER_PAGE",
    "POLICE_NAMES",
    "STATUS_NAMES",
    "CaseFilters",
    "CasePage",
    "CaseRow",
    "FilterError",
    "caseworker_scope",
    "language_name",
    "language_options",
    "list_cases",
    "parse_filters",
    "reference_prefix",
]
