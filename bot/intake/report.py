"""Turns the filled form into the summary read back to the person and the draft stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import i18n
from bot.intake import options as o

Slots = dict[str, Any]

CONSENT_QUESTIONS = {
    "police_referral": ("police", "utter_ask_police"),
    "caseworker_referral": ("caseworker", "utter_ask_caseworker"),
    "partner_sharing": ("partner_sharing", "utter_ask_partner_sharing"),
    "contact": ("contact_wanted", "utter_ask_contact_wanted"),
}


def _label(domain: dict[str, Any], slot: str, value: str, language: str | None) -> str:
    for choice, title in i18n.buttons(domain, f"utter_ask_{slot}", language):
        if choice == value:
            return title
    return value


def _skipped(domain: dict[str, Any], language: str | None) -> str:
    return i18n.text(domain, "utter_label_not_given", language) or "—"


def _when(slots: Slots, said: str, language: str | None) -> str:
    """What the person wrote about when, followed by the date understood, in their language."""
    try:
        start = dt.date.fromisoformat(str(slots.get("date_from")))
        end = dt.date.fromisoformat(str(slots.get("date_to")))
    except ValueError:
        return said
    from bot.intake.dates import describe_when

    return f"{said} ({describe_when(start, end, language)})"


def summary_values(slots: Slots, domain: dict[str, Any], language: str | None) -> dict[str, str]:
    """The variables of `utter_summary`, each already in the person's language."""
    skipped = _skipped(domain, language)

    def one(slot: str) -> str:
        value = slots.get(slot)
        if value in (None, o.SKIPPED, ""):
            return skipped
        return _label(domain, slot, str(value), language)

    def many(slot: str) -> str:
        values = slots.get(slot) or []
        return ", ".join(_label(domain, slot, v, language) for v in values) or skipped

    def free(slot: str) -> str:
        value = slots.get(slot)
        return skipped if value in (None, o.SKIPPED, "") else str(value)

    contact_bits = [
        free(s) for s in ("contact_name", "contact_phone", "contact_email", "safe_times")
        if slots.get(s) not in (None, o.SKIPPED, "")
    ]
    place = one("place_type") if slots.get("location_kind") != "online" else _label(
        domain, "place_type", "online_place", language
    )
    return {
        "s_role": one("reporter_role"),
        "s_description": free("description"),
        "s_types": many("incident_types"),
        "s_when": _when(slots, free("incident_date"), language),
        "s_where": free("location"),
        "s_place": place,
        "s_motivations": many("motivations"),
        "s_perpetrator": free("perpetrator"),
        "s_support": many("support_needs"),
        "s_police": one("police"),
        "s_caseworker": one("caseworker"),
        "s_contact": "; ".join(contact_bits) or skipped,
    }


def build_draft(
    slots: Slots,
    domain: dict[str, Any],
    *,
    language: str,
    channel: str,
    conversation_key: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The draft handed to the case store, with one consent entry per consent question."""
    now = now or dt.datetime.now(dt.timezone.utc)

    def value(slot: str) -> Any:
        v = slots.get(slot)
        return None if v in (o.SKIPPED, "") else v

    contact = None
    if any(value(s) for s in ("contact_name", "contact_phone", "contact_email")):
        contact = {
            "name": value("contact_name"),
            "phone": value("contact_phone"),
            "email": value("contact_email"),
            "safe_to_leave_message": (
                None if value("safe_to_leave_message") is None
                else value("safe_to_leave_message") == "yes"
            ),
            "safe_times": value("safe_times"),
        }
    consents = []
    for kind, (slot, question) in CONSENT_QUESTIONS.items():
        answer = slots.get(slot)
        if answer in (None, o.SKIPPED):
            continue
        consents.append(
            {
                "kind": kind,
                "value": answer,
                "wording_key": question,
                "wording_version": i18n.wording_version(domain, question, language),
                "language": language,
                "channel": channel,
                "given_at": now.isoformat(),
            }
        )
    return {
        "language": language,
        "channel": channel,
        "conversation_key": conversation_key,
        "reporter_role": value("reporter_role"),
        "description": value("description"),
        "incident_types": list(slots.get("incident_types") or []),
        "date_text": value("incident_date"),
        "date_from": slots.get("date_from"),
        "date_to": slots.get("date_to"),
        "location": value("location"),
        "location_kind": slots.get("location_kind") or "unknown",
        "place_type": value("place_type"),
        "motivations": list(slots.get("motivations") or []),
        "perpetrator": value("perpetrator"),
        "support_needs": list(slots.get("support_needs") or []),
        "police": slots.get("police") or "none",
        "caseworker": slots.get("caseworker") == "yes" and slots.get("partner_sharing") == "yes",
        "contact": contact,
        "consents": consents,
    }


def next_steps(slots: Slots) -> list[str]:
    """The responses that tell the person what happens next, matching their choices."""
    steps = ["utter_submitted"]
    police = slots.get("police")
    steps.append(
        {"named": "utter_next_police_named", "anonymous": "utter_next_police_anonymous"}.get(
            police or "", "utter_next_police_none"
        )
    )
    if slots.get("caseworker") == "yes" and slots.get("partner_sharing") == "yes":
        steps.append("utter_next_caseworker")
    elif slots.get("contact_wanted") == "yes":
        steps.append("utter_next_contact")
    steps.append("utter_next_closing")
    return steps
