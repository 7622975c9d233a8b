"""A person's own report, later, on any channel: `access_form` and "exit"/"delete" outside a report.

The form asks the reference number, then the second factor (secret word, or the phone number or
email given with the report). The decisions are made by :mod:`bot.access.engine` (pure, explored
in tests/bot/access); this module adapts it to Rasa's form loop. Access is a grant held by the
case store for this conversation (`tracker.sender_id`), checked at every step: no slot opens a
report. A saved draft continues in `report_form` with its answers; a submitted case offers a
menu: status, what I agreed to (the consent ledger), withdraw a consent, add something, choose a
secret word. A secret word typed is never kept in a slot, and the stored transcript holds it
masked (bot/access/redact.py, applied by bot/tracker_store.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import answer_of, channel_of, language_of, say
from actions.intake import DRAFT_SLOTS, erase_events, say_erased
from actions.people import expand_responses
from actions.session import with_language_first
from bot import commands, i18n
from bot.access import engine
from bot.access.engine import ACCESS_SLOTS  # noqa: F401 - re-exported for other modules
from bot.access.store import SqlAccessStore

logger = logging.getLogger(__name__)


def _now() -> datetime:
    from bot.handoff.clock import now

    return now()


def access_store() -> SqlAccessStore:
    """The case store as the access engine sees it."""
    from actions.store import case_store

    return SqlAccessStore(case_store(), _now)


def _context(tracker: Tracker, domain: DomainDict) -> engine.Context:
    return engine.Context(
        store=access_store(),
        conversation_key=tracker.sender_id,
        domain=domain,
        language=language_of(tracker),
        channel=channel_of(tracker),
        draft_slots=DRAFT_SLOTS,
    )


def access_required_slots(slots: dict) -> list[str]:
    """What the access form still has to ask (see `bot.access.engine.required_slots`)."""
    return engine.required_slots(slots)


class ActionStartAccess(Action):
    """Opens the access form; right after a report, "choose a secret word" needs no code."""

    def name(self) -> str:
        return "action_start_access"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = engine.start(
            dict(tracker.slots),
            answer_of(tracker),
            _context(tracker, domain),
            tracker.get_slot("last_reference"),
        )
        events: list[EventType] = [SlotSet(k, v) for k, v in turn.updates.items()]
        return [*events, SlotSet("erase_pending", None), FollowupAction("access_form")]


class ValidateAccessForm(FormValidationAction):
    """Every answer of `access_form`, decided by `bot.access.engine.handle_answer`."""

    def name(self) -> str:
        return "validate_access_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The message's language and the answer in one call."""
        return await with_language_first(super().run, dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return engine.required_slots(tracker.slots)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        if not requested:
            return []
        ctx = _context(tracker, domain)
        turn = engine.handle_answer(
            dict(tracker.slots),
            requested,
            answer_of(tracker),
            domain,
            ctx.language,
            store=ctx.store,
            conversation_key=ctx.conversation_key,
            channel=ctx.channel,
            draft_slots=ctx.draft_slots,
        )
        say(dispatcher, expand_responses(turn.responses, tracker))
        updates = dict(turn.updates)
        for name in engine.SECRET_SLOTS:  # a secret word never stays in a slot
            updates[name] = None
        return [SlotSet(name, value) for name, value in updates.items()]


class ActionAskAccessWithdraw(Action):
    """Offers only the consents the person still holds (and "keep everything")."""

    def name(self) -> str:
        return "action_ask_access_withdraw"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ctx = _context(tracker, domain)
        response, offered = engine.question(dict(tracker.slots), "access_withdraw", ctx)
        buttons = [
            {"title": title, "payload": f'/inform{{"choice":"{value}"}}'} for value, title in offered
        ]
        # The text of the response with only these buttons (a response's own buttons would win).
        dispatcher.utter_message(text=i18n.text(domain, response, ctx.language), buttons=buttons)
        return []


class ActionFinishAccess(Action):
    """Runs when the access form ends: the grant is revoked; a resumed draft continues in the
    report form."""

    def name(self) -> str:
        return "action_finish_access"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            turn, resume = engine.finish(dict(tracker.slots), _context(tracker, domain))
        except Exception:  # noqa: BLE001 - the grant expires by itself; the person gets no trace
            logger.exception("revoking a my-report grant failed (it expires by itself)")
            turn, resume = engine.Turn(), bool(tracker.get_slot("resume_draft"))
            turn.updates.update({name: None for name in ACCESS_SLOTS})
        events: list[EventType] = [SlotSet(k, v) for k, v in turn.updates.items()]
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
        say_erased(dispatcher, tracker, "utter_erased")
        return [SlotSet("erase_pending", None), *erase_events(tracker)]
