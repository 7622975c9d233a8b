"""The audit log in words for staff: every action code as a short English phrase, in one place.

Audit rows store stable codes (``staff.unlock_reference``) and identifiers; the admin page shows
them as sentences (``Let a person try their reference again``) with the subject named in words
(``case ABCD-2345``, ``live chat 12``). A code missing from :data:`ACTIONS` is still shown as
words (never dots or underscores), and a test checks that every code the service writes is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from service.console import fmt

#: Action code → what happened, as a short phrase (the "who" is shown beside it).
ACTIONS: Final = {
    "login": "Signed in",
    "login.failed": "Failed sign-in attempt",
    "queue.view": "Looked at the queue",
    "cases.list": "Looked at the case list",
    "case.view": "Read a case",
    "case.denied": "Was refused a case they may not see",
    "case.note": "Added a note to a case",
    "case.attempt": "Recorded a contact attempt",
    "case.status": "Changed a case's casework status",
    "case.police_referral_sent": "The report was passed to the police",
    "callback.status": "Changed a callback's status",
    "staff.unlock_reference": "Let a person try their reference in “my report” again",
    "person.secret_set": "The person chose a secret word for “my report”",
    "person.consent_withdrawn": "The person withdrew a consent",
    "person.addition": "The person added to their report",
    "privacy.case_export": "A person's data was exported",
    "privacy.case_erased": "A case was erased",
    "privacy.retention_run": "Old data was deleted on schedule",
    "live.accept": "Accepted a live chat",
    "live.view": "Read a live chat",
    "live.reply": "Replied in a live chat",
    "live.reply_canned": "Sent a prepared reply in a live chat",
    "live.returned": "Handed a live chat back to the assistant",
    "live.closed": "Closed a live chat",
    "live.interpreter_arranged": "Marked an interpreter as arranged",
    "admin.user_create": "Created an account",
    "admin.user_active": "Enabled or disabled an account",
    "admin.hours": "Changed the standard opening hours",
    "admin.hours_override": "Overrode the opening hours for now",
    "admin.hours_override_clear": "Cleared the opening hours override",
}

ROLES: Final = {"operator": "Operator", "caseworker": "Caseworker", "admin": "Admin"}

_DETAIL_WORDS: Final = {
    "status": {
        "queued": "waiting for a caseworker",
        "accepted": "accepted by a caseworker",
        "contacted": "person contacted",
        "in_progress": "casework in progress",
        "closed": "closed",
        "open": "open",
        "done": "done",
        "cancelled": "cancelled",
    },
    "outcome": {
        "reached": "reached the person",
        "no_answer": "no answer",
        "voicemail": "left a voicemail",
        "wrong_number": "wrong number",
        "unsafe_to_talk": "not safe for them to talk",
    },
    "kind": {
        "police_referral": "passing the report to the police",
        "caseworker_referral": "a caseworker",
        "partner_sharing": "sharing with a partner organisation",
        "contact": "being contacted",
    },
    "mode": {"open": "open now", "closed": "closed now"},
}


def words(code: str | None) -> str:
    """Any code as words: ``in_progress`` → ``In progress``; empty for nothing."""
    text = str(code or "").replace("_", " ").replace(".", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def action_words(action: str) -> str:
    """What an audit action code means, as a short phrase."""
    return ACTIONS.get(action) or words(action)


def role_words(role: str | None) -> str:
    """``Operator``, ``Caseworker``, ``Admin``."""
    return ROLES.get(role or "", words(role))


def subject_words(subject: str | None, accounts: Mapping[int, str] | None = None) -> str:
    """What the row is about: ``case ABCD-2345``, ``live chat 12``, an account's e-mail…"""
    if not subject:
        return ""
    for prefix, name in (("chat-", "live chat"), ("callback-", "callback")):
        if subject.startswith(prefix):
            return f"{name} {subject[len(prefix) :]}"
    if subject.startswith("user-"):
        number = subject[len("user-") :]
        found = (accounts or {}).get(int(number)) if number.isdigit() else None
        return f"the account of {found}" if found else f"account {number}"
    if subject.startswith("erasure:"):
        return f"erasure record {subject[len('erasure:') :]}"
    return f"case {subject}"


def detail_words(action: str, detail: Mapping[str, Any] | None) -> str:
    """The detail of a row in words (``to “in progress”``, ``until Monday, 7 December…``)."""
    if not detail:
        return ""
    if action.startswith("admin.hours_override") and detail.get("until"):
        mode = _DETAIL_WORDS["mode"].get(str(detail.get("mode")), "")
        until = fmt.when(dt.datetime.fromisoformat(str(detail["until"])))
        return f"{mode} until {until}".strip()
    if action == "admin.user_create" and detail.get("role"):
        return f"role: {role_words(str(detail['role']))}"
    if action == "admin.user_active" and "active" in detail:
        return "enabled" if detail["active"] else "disabled"
    for key in ("status", "outcome", "kind"):
        if key in detail:
            value = str(detail[key])
            return _DETAIL_WORDS[key].get(value, words(value).lower())
    if action == "live.reply_canned" and detail.get("canned"):
        return f"prepared reply “{words(str(detail['canned'])).lower()}”"
    counts = [
        f"{words(k).lower()}: {v}" for k, v in detail.items() if isinstance(v, int) and v
    ]  # erasure and retention counts
    return ", ".join(counts)
