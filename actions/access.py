"""A person's own report, later, on any channel: `access_form` and "exit"/"delete" outside a report.

The form asks the reference number, then the second factor (secret word, or the phone number or
email given with the report); `bot.store.person` checks both and limits attempts. A saved draft
continues in `report_form` with its answers; a submitted case offers a menu: status, what I
agreed to (the consent ledger), withdraw a consent, add something, choose a secret word.
The secret word typed is never kept in a slot.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import answer_of, channel_of, language_of
from actions.intake import DRAFT_SLOTS, erase_events
from bot import commands, i18n
from bot.datefmt import DAY_NO_WEEKDAY, format_day
from bot.intake.engine import YES_NO_MIN_CONFIDENCE, Answer, match_choices
from bot.store.references import normalise_reference

logger = logging.getLogger(__name__)

#: The most failed tries in one conversation before the bot stops asking (the store also locks
#: the reference itself after `person.MAX_FAILURES` failures from anywhere).
CONVERSATION_TRIES = 5
ACCESS_SLOTS = (
    "access_reference",
    "access_secret",
    "access_action",
    "access_withdraw",
    "access_withdraw_confirm",
    "access_addition",
    "access_new_secret",
    "access_verified",
    "access_failures",
    "access_done",
    "resume_draft",
)
MENU = ("status", "consents", "withdraw", "add", "set_secret", "finish")
WITHDRAW_CHOICES = ("police_referral", "caseworker_referral", "partner_sharing", "contact", "cancel")
#: The response for each status, consent kind and withdrawal (named in full: the domain test
#: checks every response is sent from somewhere).
STATUS_RESPONSES = {
    "received": "utter_access_status_received",
    "with_caseworker": "utter_access_status_with_caseworker",
    "closed": "utter_access_status_closed",
}
CONSENT_LINES = {
    "police_referral": "utter_consent_police_referral",
    "caseworker_referral": "utter_consent_caseworker_referral",
    "partner_sharing": "utter_consent_partner_sharing",
    "contact": "utter_consent_contact",
}
WITHDRAWN = {
    "police_referral": "utter_withdrawn_police_referral",
    "caseworker_referral": "utter_withdrawn_caseworker_referral",
    "partner_sharing": "utter_withdrawn_partner_sharing",
    "contact": "utter_withdrawn_contact",
}
#: How soon after submitting a secret word may be set without the second factor (same chat).
FRESH_SECONDS = 3600


def _now() -> datetime:
    from bot.handoff.clock import now

    return now()


def _sessions() -> tuple[Any, Any]:
    from actions.store import store

    _settings, sessions, keyring = store()
    return sessions, keyring


def access_required_slots(slots: dict[str, Any]) -> list[str]:
    """What the access form still has to ask (the first empty one is asked next)."""
    if slots.get("access_done"):
        return []
    if not slots.get("access_verified"):
        return ["access_reference", "access_secret"]
    action = slots.get("access_action")
    if action == "withdraw":
        return ["access_action", "access_withdraw", "access_withdraw_confirm"]
    if action == "add":
        return ["access_action", "access_addition"]
    if action == "set_secret":
        return ["access_action", "access_new_secret"]
    return ["access_action"]


class ActionStartAccess(Action):
    """Opens the access form; right after a report, "choose a secret word" needs no code."""

    def name(self) -> str:
        return "action_start_access"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(name, None) for name in ACCESS_SLOTS]
        events.append(SlotSet("erase_pending", None))
        answer = answer_of(tracker)
        last = tracker.get_slot("last_reference")
        if answer.choice == "set_secret" and last and _just_submitted(last):
            events += [
                SlotSet("access_verified", last),
                SlotSet("access_action", "set_secret"),
            ]
        elif not answer.is_payload:
            found = normalise_reference(_reference_in(answer.text) or "")
            if found:
                events.append(SlotSet("access_reference", found))
        return [*events, FollowupAction("access_form")]


def _reference_in(text: str) -> str | None:
    import re

    match = re.search(r"(?<![0-9A-Za-z])([0-9A-Za-z]{4}[- ]?[0-9A-Za-z]{4})(?![0-9A-Za-z])", text)
    return match.group(1) if match else None


def _just_submitted(reference: str) -> bool:
    """True when this case was created within the last hour (the chat that just made it)."""
    from sqlalchemy import select

    from bot.store.models import Case

    sessions, _keyring = _sessions()
    with sessions() as session:
        created = session.scalar(select(Case.created_at).where(Case.reference == reference))
    return created is not None and (_now() - created).total_seconds() < FRESH_SECONDS


class ValidateAccessForm(FormValidationAction):
    """Every answer of `access_form`: the reference, the second factor, the menu and its steps."""

    def name(self) -> str:
        return "validate_access_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return access_required_slots(tracker.slots)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        if not requested:
            return []
        answer = answer_of(tracker)
        command = None if answer.is_payload else commands.command(answer.text)
        if command == "emergency":
            dispatcher.utter_message(response="utter_emergency")
            return [SlotSet(requested, None)]
        if command in ("stop", "erase") or (command == "done" and requested != "access_action"):
            dispatcher.utter_message(response="utter_access_finished")
            return [SlotSet(requested, None), SlotSet("access_done", True)]
        if command == "help":
            dispatcher.utter_message(response="utter_help_my_report")
            return [SlotSet(requested, None)]
        if command == "human":
            dispatcher.utter_message(response="utter_human_hours")
            return [SlotSet(requested, None)]
        handler = getattr(self, f"_{requested}", None)
        if handler is None:
            return [SlotSet(requested, None)]
        return handler(dispatcher, tracker, domain, answer)

    # -- before access ------------------------------------------------------------------------

    def _access_reference(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        found = None if answer.is_payload else normalise_reference(answer.text.strip())
        if found is None:
            dispatcher.utter_message(response="utter_access_reference_invalid")
            return [SlotSet("access_reference", None)]
        return [SlotSet("access_reference", found)]

    def _access_secret(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        from bot.store import person

        reference = tracker.get_slot("access_reference") or ""
        events: list[EventType] = [SlotSet("access_secret", None)]  # never kept
        if answer.is_payload or not answer.text.strip():
            dispatcher.utter_message(response="utter_ask_access_secret")
            return events
        sessions, keyring = _sessions()
        with sessions() as session:
            result = person.verify_access(session, keyring, reference, answer.text, now=_now())
        if result.ok and result.kind == "draft":
            return events + self._resume(dispatcher, tracker, result.reference or reference)
        if result.ok:
            return events + [SlotSet("access_verified", result.reference), SlotSet("access_failures", 0)]
        failures = int(tracker.get_slot("access_failures") or 0) + 1
        if result.locked or failures >= CONVERSATION_TRIES:
            dispatcher.utter_message(response="utter_access_locked")
            return events + [SlotSet("access_done", True), SlotSet("access_failures", failures)]
        dispatcher.utter_message(response="utter_access_failed")
        return events + [SlotSet("access_reference", None), SlotSet("access_failures", failures)]

    def _resume(self, dispatcher, tracker, code: str) -> list[EventType]:
        """A saved draft continues here: its answers become this conversation's form state."""
        from bot.store import person

        sessions, keyring = _sessions()
        try:
            with sessions() as session:
                answers = person.take_draft(
                    session, keyring, code, conversation_key=tracker.sender_id, now=_now()
                )
        except person.AccessError:
            dispatcher.utter_message(response="utter_access_failed")
            return [SlotSet("access_reference", None)]
        dispatcher.utter_message(response="utter_draft_resumed")
        restored = [SlotSet(name, answers.get(name)) for name in DRAFT_SLOTS]
        return [*restored, SlotSet("access_done", True), SlotSet("resume_draft", True)]

    # -- the menu -----------------------------------------------------------------------------

    def _access_action(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        from bot.store import person

        language = language_of(tracker)
        offered = i18n.buttons(domain, "utter_ask_access_action", language)
        picked = match_choices(answer, offered, MENU, multi=False)
        if not picked and not answer.is_payload and commands.command(answer.text) == "done":
            picked = ["finish"]
        if len(picked) != 1:
            dispatcher.utter_message(
                response="utter_unknown_choice" if answer.is_payload else "utter_unclear_choice"
            )
            return [SlotSet("access_action", None)]
        choice = picked[0]
        reference = tracker.get_slot("access_verified")
        sessions, keyring = _sessions()
        if choice == "finish":
            dispatcher.utter_message(response="utter_access_finished")
            return [SlotSet("access_action", None), SlotSet("access_done", True)]
        if choice == "status":
            with sessions() as session:
                status = person.case_status(session, reference)
            dispatcher.utter_message(response=STATUS_RESPONSES[status], reference=reference)
            return [SlotSet("access_action", None)]
        if choice == "consents":
            with sessions() as session:
                ledger = person.consent_ledger(session, reference)
            self._tell_ledger(dispatcher, domain, language, reference, ledger)
            return [SlotSet("access_action", None)]
        if choice == "withdraw":
            with sessions() as session:
                active = person.withdrawable(session, reference)
            if not active:
                dispatcher.utter_message(response="utter_access_nothing_to_withdraw")
                return [SlotSet("access_action", None)]
        return [SlotSet("access_action", choice)]

    @staticmethod
    def _tell_ledger(dispatcher, domain, language: str, reference: str, ledger: list[dict]) -> None:
        if not ledger:
            dispatcher.utter_message(response="utter_consents_none")
            return
        dispatcher.utter_message(response="utter_consents_intro", reference=reference)
        for entry in ledger:
            if entry["withdrawn_at"] is not None:
                answer = i18n.text(
                    domain,
                    "utter_consent_withdrawn_answer",
                    language,
                    date=format_day(entry["withdrawn_at"], language, DAY_NO_WEEKDAY),
                )
            else:
                titles = dict(i18n.buttons(domain, entry["wording_key"], language))
                answer = titles.get(entry["value"], entry["value"])
            line = CONSENT_LINES.get(entry["kind"])
            if line:
                dispatcher.utter_message(response=line, answer=answer)

    # -- steps of the menu --------------------------------------------------------------------

    def _access_withdraw(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        offered = i18n.buttons(domain, "utter_ask_access_withdraw", language_of(tracker))
        picked = match_choices(answer, offered, WITHDRAW_CHOICES, multi=False)
        if picked == ["cancel"] or (not answer.is_payload and commands.command(answer.text) == "skip"):
            dispatcher.utter_message(response="utter_withdraw_kept")
            return [SlotSet("access_withdraw", None), SlotSet("access_action", None)]
        if len(picked) != 1:
            dispatcher.utter_message(
                response="utter_unknown_choice" if answer.is_payload else "utter_unclear_choice"
            )
            return [SlotSet("access_withdraw", None)]
        return [SlotSet("access_withdraw", picked[0])]

    def _access_withdraw_confirm(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        from bot.store import person

        choice = answer.choice if answer.choice in ("yes", "no") else None
        if (
            choice is None
            and answer.intent in ("affirm", "deny")
            and answer.intent_confidence >= YES_NO_MIN_CONFIDENCE
        ):
            choice = "yes" if answer.intent == "affirm" else "no"
        if choice is None:
            dispatcher.utter_message(response="utter_unclear_choice")
            return [SlotSet("access_withdraw_confirm", None)]
        done = [
            SlotSet("access_withdraw_confirm", None),
            SlotSet("access_withdraw", None),
            SlotSet("access_action", None),
        ]
        if choice == "no":
            dispatcher.utter_message(response="utter_withdraw_kept")
            return done
        kind = tracker.get_slot("access_withdraw")
        sessions, keyring = _sessions()
        with sessions() as session:
            outcome = person.withdraw_consent(
                session,
                keyring,
                tracker.get_slot("access_verified"),
                kind,
                channel=channel_of(tracker),
                language=language_of(tracker),
                now=_now(),
            )
        if not outcome.changed:
            dispatcher.utter_message(response="utter_access_nothing_to_withdraw")
        elif outcome.police_already_sent:
            dispatcher.utter_message(response="utter_withdrawn_police_already_sent")
        else:
            dispatcher.utter_message(response=WITHDRAWN[kind])
        return done

    def _access_addition(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        from bot.intake.validators import has_words, normalise_text
        from bot.store import person

        text = normalise_text(answer.text)
        if answer.is_payload or not has_words(text):
            dispatcher.utter_message(response="utter_empty_message")
            return [SlotSet("access_addition", None)]
        if len(text) > person.ADDITION_MAX_CHARS:
            dispatcher.utter_message(response="utter_answer_too_long", limit=person.ADDITION_MAX_CHARS)
            return [SlotSet("access_addition", None)]
        reference = tracker.get_slot("access_verified")
        sessions, keyring = _sessions()
        with sessions() as session:
            person.add_to_case(
                session,
                keyring,
                reference,
                text,
                channel=channel_of(tracker),
                language=language_of(tracker),
                now=_now(),
            )
        dispatcher.utter_message(response="utter_access_added", reference=reference)
        return [SlotSet("access_addition", None), SlotSet("access_action", None)]

    def _access_new_secret(self, dispatcher, tracker, domain, answer: Answer) -> list[EventType]:
        from bot.store import person

        if answer.is_payload or not person.valid_secret(answer.text):
            dispatcher.utter_message(response="utter_secret_too_short")
            return [SlotSet("access_new_secret", None)]
        sessions, _keyring = _sessions()
        with sessions() as session:
            person.set_case_secret(session, tracker.get_slot("access_verified"), answer.text)
        dispatcher.utter_message(response="utter_access_secret_saved")
        return [SlotSet("access_new_secret", None), SlotSet("access_action", None)]


class ActionAskAccessWithdraw(Action):
    """Offers only the consents the person still holds (and "keep everything")."""

    def name(self) -> str:
        return "action_ask_access_withdraw"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from bot.store import person

        sessions, _keyring = _sessions()
        with sessions() as session:
            active = set(person.withdrawable(session, tracker.get_slot("access_verified")))
        offered = i18n.buttons(domain, "utter_ask_access_withdraw", language_of(tracker))
        buttons = [
            {"title": title, "payload": f'/inform{{"choice":"{value}"}}'}
            for value, title in offered
            if value in active or value == "cancel"
        ]
        # The text of the response with only these buttons (a response's own buttons would win).
        dispatcher.utter_message(
            text=i18n.text(domain, "utter_ask_access_withdraw", language_of(tracker)),
            buttons=buttons,
        )
        return []


class ActionFinishAccess(Action):
    """Runs when the access form ends: a resumed draft continues in the report form."""

    def name(self) -> str:
        return "action_finish_access"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        resume = bool(tracker.get_slot("resume_draft"))
        events: list[EventType] = [
            SlotSet(name, None) for name in ACCESS_SLOTS if name != "resume_draft"
        ]
        events.append(SlotSet("resume_draft", None))
        if resume:
            events.append(FollowupAction("report_form"))
        return events


class ActionStopOrErase(Action):
    """Outside a report: "stop" has nothing to stop; "exit"/"delete" erases this chat (after a
    yes when a report was already sent from it)."""

    def name(self) -> str:
        return "action_stop_or_erase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = answer_of(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        pending = bool(tracker.get_slot("erase_pending"))
        if pending and (intent == "deny" or answer.choice == "no"):
            dispatcher.utter_message(response="utter_erase_cancelled")
            return [SlotSet("erase_pending", None)]
        confirmed = answer.choice == "confirm_erase" or (pending and intent == "affirm")
        wants_erase = confirmed or (
            not answer.is_payload and commands.command(answer.text) == "erase"
        )
        if not wants_erase:
            dispatcher.utter_message(response="utter_nothing_to_stop")
            return [SlotSet("erase_pending", None)]
        if tracker.get_slot("last_reference") and not confirmed:
            dispatcher.utter_message(response="utter_ask_confirm_erase")
            return [SlotSet("erase_pending", True)]
        dispatcher.utter_message(response="utter_erased")
        return [SlotSet("erase_pending", None), *erase_events(tracker)]
