"""Invented cases for the console tests."""

from __future__ import annotations

from typing import Any

from bot.crypto import Keyring
from tests.bot.store.drafts import make_draft


def consent(kind: str, value: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "value": value,
        "wording_key": f"utter_ask_{kind}",
        "wording_version": "1",
        "language": "en",
        "channel": "socketio",
        "given_at": "2025-03-08T10:15:00+00:00",
    }


def add_case(
    session_factory: Any,
    keyring: Keyring,
    key: str,
    *,
    sharing: str = "yes",
    language: str = "vi",
    location: str = "near E1 6AN",
    needs: list[str] | None = None,
    caseworker: bool = True,
) -> str:
    """Stores a case; returns its reference."""
    from bot.store.service import submit_report

    draft = make_draft(
        language=language,
        conversation_key=f"web-{key}",
        location=location,
        support_needs=needs or ["emotional", "legal_advice"],
        caseworker=caseworker,
        consents=[
            consent("police_referral", "named"),
            consent("caseworker_referral", "yes" if caseworker else "no"),
            consent("partner_sharing", sharing),
        ],
    )
    with session_factory() as session:
        reference = submit_report(session, keyring, draft, submission_key=key).reference
        session.commit()  # also from a plain session factory (the browser tests')
    return reference
