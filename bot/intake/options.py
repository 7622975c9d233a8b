"""The fixed choices of the intake flow.

Values are stable English identifiers stored in the case and sent as button payloads
(`/inform{"choice":"<value>"}`); the words people see live in the domain responses.
"""

from __future__ import annotations

ROLE = ("victim", "witness", "on_behalf")
INCIDENT_TYPES = (
    "verbal_abuse",
    "threats",
    "physical_assault",
    "online_abuse",
    "property_damage",
    "discrimination",
    "other_type",
)
PLACE_TYPES = (
    "street",
    "public_transport",
    "workplace",
    "school",
    "shop",
    "home",
    "online_place",
    "other_place",
)
MOTIVATIONS = (
    "race",
    "religion",
    "gender",
    "sexual_orientation",
    "disability",
    "other_motivation",
    "not_sure",
)
SUPPORT_NEEDS = (
    "emotional",
    "police_help",
    "workplace_advice",
    "legal_advice",
    "domestic_violence",
    "other_support",
    "no_support",
)
POLICE = ("named", "anonymous", "none")
YES_NO = ("yes", "no")
SUMMARY = ("confirm", "change")

#: Every slot of the form that holds part of the report, in the order they are asked.
DATA_SLOTS = (
    "reporter_role",
    "description",
    "incident_types",
    "incident_date",
    "location",
    "place_type",
    "motivations",
    "perpetrator",
    "support_needs",
    "police",
    "caseworker",
    "partner_sharing",
    "contact_wanted",
    "contact_name",
    "contact_phone",
    "contact_email",
    "safe_to_leave_message",
    "safe_times",
    "summary_confirmed",
)

#: Slots that only steer the conversation (asked when a flag calls for them).
CONTROL_SLOTS = ("language_choice", "confirm_stop", "field_to_change", "confirm_erase", "draft_secret")

#: Choices offered for each slot answered with buttons (order = the numbers people may type).
CHOICES: dict[str, tuple[str, ...]] = {
    "reporter_role": ROLE,
    "incident_types": INCIDENT_TYPES,
    "place_type": PLACE_TYPES,
    "motivations": MOTIVATIONS,
    "support_needs": SUPPORT_NEEDS,
    "police": POLICE,
    "caseworker": YES_NO,
    "partner_sharing": YES_NO,
    "contact_wanted": YES_NO,
    "safe_to_leave_message": YES_NO,
    "summary_confirmed": SUMMARY,
    "confirm_stop": YES_NO,
}

MULTI_SELECT = ("incident_types", "motivations", "support_needs")

#: Questions the person may skip ("skip" / "prefer not to say").
OPTIONAL = (
    "location",
    "place_type",
    "perpetrator",
    "support_needs",
    "motivations",
    "incident_date",
    "contact_name",
    "contact_email",
    "safe_times",
)

#: Free-text questions and the most characters one answer may have.
FREE_TEXT_LIMITS = {
    "location": 300,
    "perpetrator": 1500,
    "safe_times": 300,
    "contact_name": 120,
}

#: The whole description of what happened (over several messages) may have this many characters.
DESCRIPTION_LIMIT = 5000

#: Fields the person can pick to change (at the summary or mid-way), in summary order.
EDITABLE_FIELDS = (*DATA_SLOTS[: DATA_SLOTS.index("partner_sharing")], "contact")

SKIPPED = "skipped"
