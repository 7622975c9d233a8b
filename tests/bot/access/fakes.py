"""An in-memory :class:`bot.access.engine.AccessStore` for the engine tests (invented data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.access.engine import Verification, Withdrawn
from bot.store.references import normalise_reference

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = "ABCD-2345"
DRAFT_CODE = "WXYZ-6789"
PHONE = "020 7946 0456"  # Ofcom drama range
DRAFT_SECRET = "kettle and moon"
CLIENT_FREE_TRIES = 3


def load_domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged["responses"].update(data.get("responses") or {})
    return merged


@dataclass
class FakeStore:
    """One case (two consents held) and one saved draft; a per-client wait after 3 failures."""

    grants: dict[str, str] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    failures: dict[str, int] = field(default_factory=dict)
    secret: str | None = None
    additions: list[str] = field(default_factory=list)
    draft_taken: bool = False
    made_by: str = "reporter-chat"
    calls: list[str] = field(default_factory=list)

    def __deepcopy__(self, memo: dict) -> FakeStore:
        return FakeStore(
            grants=dict(self.grants), withdrawn=set(self.withdrawn), failures=dict(self.failures),
            secret=self.secret, additions=list(self.additions), draft_taken=self.draft_taken,
            made_by=self.made_by, calls=[],
        )

    def snapshot(self) -> tuple:
        """What distinguishes two store states for the exploration (not the texts added)."""
        return (
            tuple(sorted(self.grants.items())),
            tuple(sorted(self.withdrawn)),
            tuple(sorted(self.failures.items())),
            self.secret is not None,
            self.draft_taken,
        )

    def verify(self, conversation_key: str, reference: str, factor: str) -> Verification:
        self.calls.append("verify")
        if self.failures.get(conversation_key, 0) >= CLIENT_FREE_TRIES:
            return Verification(ok=False, wait_seconds=30)
        ref = normalise_reference(reference)
        factor_norm = " ".join(factor.lower().split())
        if ref == REFERENCE and (
            factor_norm == PHONE.lower() or (self.secret and factor_norm == self.secret)
        ):
            self.failures.pop(conversation_key, None)
            self.grants[conversation_key] = REFERENCE
            return Verification(ok=True, kind="case", reference=REFERENCE)
        if ref == DRAFT_CODE and not self.draft_taken and factor_norm == DRAFT_SECRET:
            self.failures.pop(conversation_key, None)
            return Verification(ok=True, kind="draft", reference=DRAFT_CODE)
        count = self.failures.get(conversation_key, 0) + 1
        self.failures[conversation_key] = count
        return Verification(ok=False, wait_seconds=30 if count >= CLIENT_FREE_TRIES else 0)

    def granted(self, conversation_key: str) -> str | None:
        self.calls.append("granted")
        return self.grants.get(conversation_key)

    def grant_just_submitted(self, conversation_key: str, reference: str) -> bool:
        if conversation_key == self.made_by and normalise_reference(reference) == REFERENCE:
            self.grants[conversation_key] = REFERENCE
            return True
        return False

    def revoke(self, conversation_key: str) -> None:
        self.grants.pop(conversation_key, None)

    def take_draft(self, conversation_key: str, code: str) -> dict[str, Any] | None:
        if self.draft_taken or normalise_reference(code) != DRAFT_CODE:
            return None
        self.draft_taken = True
        return {"reporter_role": "witness", "description": "Invented: shouted at near a bridge"}

    def _case(self, reference: str) -> None:
        assert reference == REFERENCE, "only the granted case is ever read"

    def status(self, reference: str) -> str:
        self._case(reference)
        self.calls.append("status")
        return "received"

    def ledger(self, reference: str) -> list[dict[str, Any]]:
        self._case(reference)
        self.calls.append("ledger")
        at = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
        return [
            {
                "kind": kind,
                "value": value,
                "wording_key": key,
                "withdrawn_at": at if kind in self.withdrawn else None,
            }
            for kind, value, key in (
                ("police_referral", "named", "utter_ask_police"),
                ("caseworker_referral", "no", "utter_ask_caseworker"),
                ("contact", "yes", "utter_ask_contact_wanted"),
            )
        ]

    def withdrawable(self, reference: str) -> list[str]:
        self._case(reference)
        return [k for k in ("police_referral", "contact") if k not in self.withdrawn]

    def withdraw(self, reference: str, kind: str, *, channel: str, language: str) -> Withdrawn:
        self._case(reference)
        self.calls.append("withdraw")
        if kind not in self.withdrawable(reference):
            return Withdrawn(changed=False)
        self.withdrawn.add(kind)
        return Withdrawn(changed=True)

    def add(self, reference: str, text: str, *, channel: str, language: str) -> None:
        self._case(reference)
        self.calls.append("add")
        self.additions.append(text)

    def set_secret(self, reference: str, secret: str) -> None:
        self._case(reference)
        self.calls.append("set_secret")
        self.secret = " ".join(secret.lower().split())
