"""The access form's store (:class:`bot.access.engine.AccessStore`) over the SQL case store.

Each call is one unit of work of the process's :class:`~bot.store.uow.Store` (the functions of
:mod:`bot.store.person` never commit; the unit does). A successful check of a case issues the
conversation its grant in the same unit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.access.engine import Verification, Withdrawn
from bot.store import person
from bot.store.uow import Store


class SqlAccessStore:
    """:class:`bot.access.engine.AccessStore` on the case store's handle."""

    def __init__(self, store: Store, now: Callable[[], datetime]) -> None:
        self._store = store
        self._keyring = store.keyring
        self._now = now

    def verify(self, conversation_key: str, reference: str, factor: str) -> Verification:
        now = self._now()
        with self._store.unit_of_work() as session:
            result = person.verify_access(
                session, self._keyring, reference, factor, now=now, client=conversation_key
            )
            if result.ok and result.kind == "case" and result.reference:
                person.grant_access(session, self._keyring, conversation_key, result.reference, now=now)
        return Verification(
            ok=result.ok, kind=result.kind, reference=result.reference, wait_seconds=result.wait_seconds
        )

    def granted(self, conversation_key: str) -> str | None:
        with self._store.unit_of_work() as session:
            return person.granted_reference(session, self._keyring, conversation_key, now=self._now())

    def grant_just_submitted(self, conversation_key: str, reference: str) -> bool:
        with self._store.unit_of_work() as session:
            return person.grant_if_just_submitted(
                session, self._keyring, conversation_key, reference, now=self._now()
            )

    def revoke(self, conversation_key: str) -> None:
        with self._store.unit_of_work() as session:
            person.revoke_access(session, self._keyring, conversation_key, now=self._now())

    def take_draft(self, conversation_key: str, code: str) -> dict[str, Any] | None:
        try:
            with self._store.unit_of_work() as session:
                return person.take_draft(
                    session, self._keyring, code, conversation_key=conversation_key, now=self._now()
                )
        except person.AccessError:
            return None

    def status(self, reference: str) -> str:
        with self._store.reading() as session:
            return person.case_status(session, reference)

    def ledger(self, reference: str) -> list[dict[str, Any]]:
        with self._store.reading() as session:
            return person.consent_ledger(session, reference)

    def withdrawable(self, reference: str) -> list[str]:
        with self._store.reading() as session:
            return person.withdrawable(session, reference)

    def withdraw(self, reference: str, kind: str, *, channel: str, language: str) -> Withdrawn:
        with self._store.unit_of_work() as session:
            outcome = person.withdraw_consent(
                session, self._keyring, reference, kind, channel=channel, language=language, now=self._now()
            )
        return Withdrawn(changed=outcome.changed, police_already_sent=outcome.police_already_sent)

    def add(self, reference: str, text: str, *, channel: str, language: str) -> None:
        with self._store.unit_of_work() as session:
            person.add_to_case(
                session, self._keyring, reference, text, channel=channel, language=language, now=self._now()
            )

    def set_secret(self, reference: str, secret: str) -> None:
        with self._store.unit_of_work() as session:
            person.set_case_secret(session, reference, secret)
