"""A factory of report drafts with invented data, for store, CLI and action tests."""

from __future__ import annotations

from typing import Any

DESCRIPTION = "Invented test incident: shouted at near the bus stop by a man in a red coat"
PHONE = "+447700900123"  # Ofcom drama range: never a real number


def make_draft(**overrides: Any) -> dict[str, Any]:
    """Returns a complete valid draft; keyword arguments replace or add keys."""
    draft: dict[str, Any] = {
        "language": "en",
        "channel": "socketio",
        "conversation_key": "web-0123456789abcdef0123456789abcdef",
        "reporter_role": "victim",
        "description": DESCRIPTION,
        "incident_types": ["verbal_abuse"],
        "date_text": "last Friday evening",
        "date_from": "2025-03-07",
        "date_to": "2025-03-07",
        "location": "Exampletown high street",
        "location_kind": "town",
        "place_type": "street",
        "motivations": ["race"],
        "perpetrator": "a man in a red coat",
        "support_needs": ["emotional"],
        "police": "named",
        "caseworker": True,
        "contact": {
            "name": "Test Person",
            "phone": PHONE,
            "email": "test.person@example.org",
            "safe_to_leave_message": False,
            "safe_times": "weekday mornings",
        },
        "consents": [
            {
                "kind": "police_referral",
                "value": True,
                "wording_key": "utter_ask_police_referral",
                "wording_version": "1",
                "language": "en",
                "channel": "socketio",
                "given_at": "2025-03-08T10:15:00+00:00",
            },
            {
                "kind": "caseworker_referral",
                "value": True,
                "wording_key": "utter_ask_caseworker",
                "wording_version": "1",
                "language": "en",
                "channel": "socketio",
                "given_at": "2025-03-08T10:16:00+00:00",
            },
            {
                "kind": "partner_sharing",
                "value": False,
                "wording_key": "utter_ask_partner_sharing",
                "wording_version": "2",
                "language": "en",
                "channel": "socketio",
                "given_at": "2025-03-08T10:17:00+00:00",
            },
        ],
    }
    draft.update(overrides)
    return draft
