"""The report form: validation, dynamic questions, start and finish.

The decisions are made by `bot.intake.engine` (pure, unit-tested); this module only adapts it to
Rasa's form loop and sends domain responses.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import answer_of, channel_of, language_of, say
from actions.asks import ASKED_FOR, asked_slots, send_dynamic_question
from actions.people import expand_responses, leave_queue_if_asked
from actions.session import with_language_first
from bot.intake import engine
from bot.intake import options as o
from bot.intake.report import build_draft, next_steps

logger = logging.getLogger(__name__)

#: Slots cleared when a report starts or ends (the language and its lock are kept).
REPORT_SLOTS = (
    *o.DATA_SLOTS,
    *o.CONTROL_SLOTS,
    "description_parts",
    "pending_choices",
    "pending_control",
    "stop_confirmed",
    "date_from",
    "date_to",
    "location_kind",
    "draft_id",
    "draft_saved",
    "switch_to_access",
    "resume_draft",
    *ASKED_FOR,
    "requested_slot",
)

#: What a saved draft keeps: the answers and the form's own working state (not its controls).
DRAFT_SLOTS = (
    *o.DATA_SLOTS,
    "description_parts",
    "pending_choices",
    "date_from",
    "date_to",
    "location_kind",
    "draft_id",
)


def _reset_events(keep: dict[str, Any] | None = None) -> list[EventType]:
    keep = keep or {}
    return [SlotSet(name, keep.get(name)) for name in REPORT_SLOTS]


class ValidateReportForm(FormValidationAction):
    """Validates every answer of `report_form` through the intake engine."""

    def name(self) -> str:
        return "validate_report_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The whole turn in one call: the message's language, the answer, and the next question
        where its wording depends on the answers (see :mod:`actions.asks`)."""
        return await with_language_first(super().run, dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The questions still to ask depend on earlier answers (see `engine.required_slots`),
        each under the slot that asks it in this state (`actions.asks.asked_slots`)."""
        return asked_slots(tracker.slots)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        """The next question; sends its state-dependent part (multi-select "anything else?",
        the summary) here, where Rasa would otherwise call an `action_ask_*`."""
        event = await super().next_requested_slot(dispatcher, tracker, domain)
        if event is not None:
            await send_dynamic_question(event.get("value"), dispatcher, tracker, domain)
        return event

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Interprets the latest message as the answer to the question that was asked."""
        requested = tracker.get_slot("requested_slot")
        if not requested:
            return []  # the form is being activated: nothing has been asked yet
        slot = ASKED_FOR.get(requested, requested)
        slots = dict(tracker.slots)
        if slot != requested:
            # Asked under its ask slot: the message is the answer to the slot itself, held there
            # as its own from_text mapping would have held it.
            slots[slot] = slots.get(requested)
        answer = answer_of(tracker)
        turn = engine.handle_answer(slots, slot, answer, domain, language_of(tracker))
        if slot == "draft_secret" and set(turn.updates) == {"draft_secret"} and not turn.responses:
            return self._save_draft(dispatcher, tracker, answer.text)
        say(dispatcher, expand_responses(turn.responses, tracker))
        updates = dict(turn.updates)
        if slot != requested:
            updates.setdefault(slot, slots[slot])
            updates[requested] = None  # an ask slot never keeps the answer
        return [SlotSet(name, value) for name, value in updates.items()]

    @staticmethod
    def _save_draft(
        dispatcher: CollectingDispatcher, tracker: Tracker, secret: str
    ) -> list[EventType]:
        """Saves the unfinished report under a code and the secret word just typed."""
        from actions.store import draft_days, save_draft
        from bot.store.person import valid_secret

        if answer_of(tracker).is_payload or not valid_secret(secret):
            dispatcher.utter_message(response="utter_secret_too_short")
            return [SlotSet("draft_secret", None)]
        answers = {
            name: tracker.get_slot(name)
            for name in DRAFT_SLOTS
            if tracker.get_slot(name) is not None
        }
        try:
            code = save_draft(
                answers, secret, language=language_of(tracker), conversation_key=tracker.sender_id
            )
        except Exception:  # noqa: BLE001 - a kind answer, the answers stay in the form
            logger.exception("saving a draft failed; the report continues here")
            dispatcher.utter_message(response="utter_submit_failed")
            return [SlotSet("draft_secret", None), SlotSet("pending_control", None)]
        dispatcher.utter_message(response="utter_draft_saved", reference=code, days=draft_days())
        return [SlotSet("draft_secret", None), SlotSet("pending_control", None), SlotSet("draft_saved", True)]


class ActionStartReport(Action):
    """Welcomes the person and starts a fresh draft (a new draft id = a new submission key)."""

    def name(self) -> str:
        return "action_start_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        leave_queue_if_asked(dispatcher, tracker)  # "Back to the assistant" outside a report
        dispatcher.utter_message(response="utter_welcome")
        events = [*_reset_events({"draft_id": uuid.uuid4().hex}), SlotSet("erase_pending", None)]
        if tracker.get_slot("language_ask") and not tracker.get_slot("language_locked"):
            events.append(SlotSet("pending_control", "language_choice"))
        return events


class ActionFinishReport(Action):
    """Runs when the form ends: stores a confirmed report, or discards a stopped one."""

    def name(self) -> str:
        return "action_finish_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("switch_to_access"):
            return [*_reset_events(), FollowupAction("action_start_access")]
        if tracker.get_slot("draft_saved"):
            # The answers now live only in the saved draft: this chat is erased, so the
            # conversation that saved it and the one that continues it are never linked.
            return [*_reset_events(), *erase_events(tracker)]
        if tracker.get_slot("erase_requested"):
            say_erased(dispatcher, tracker, "utter_erased")
            return [*_reset_events(), *erase_events(tracker)]
        if tracker.get_slot("stop_confirmed"):
            # "What you've told me so far will be deleted": the transcript too.
            say_erased(dispatcher, tracker, "utter_stopped")
            return [*_reset_events(), *erase_events(tracker)]
        if tracker.get_slot("summary_confirmed") is not True:
            return []
        from actions.store import submit  # imported late: the store opens files on first use

        language = language_of(tracker)
        draft = build_draft(
            dict(tracker.slots),
            domain,
            language=language,
            channel=channel_of(tracker),
            conversation_key=tracker.sender_id,
        )
        draft_id = tracker.get_slot("draft_id") or _fallback_draft_id(tracker)
        try:
            reference = submit(draft, submission_key=draft_id)
        except Exception:  # noqa: BLE001 - the person must get a kind answer, never a trace
            logger.exception("storing a report failed; the answers are kept for a retry")
            dispatcher.utter_message(response="utter_submit_failed")
            return [SlotSet("summary_confirmed", None), FollowupAction("report_form")]
        for response in next_steps(dict(tracker.slots)):
            dispatcher.utter_message(response=response, reference=reference)
        dispatcher.utter_message(response="utter_offer_secret")
        return [*_reset_events(), SlotSet("last_reference", reference)]


def erase_events(tracker: Tracker) -> list[EventType]:
    """Erases this conversation: loose evidence and live-chat requests now (no operator can
    accept it any more), every stored event when Rasa saves."""
    from actions.store import case_store
    from bot.privacy.erasure import erase_unsent

    try:
        erase_unsent(case_store(), tracker.sender_id)
    except Exception:  # noqa: BLE001 - the transcript is still erased; retention gets the rest
        logger.exception("deleting the conversation's unsent evidence or queue place failed")
    return [SlotSet("erase_requested", True)]


#: What the chat widget acts on: the conversation was erased, so clear the screen and storage.
ERASED_MARKER = {"erased": True}


def say_erased(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> None:
    """Sends the erasure reply and, on the web widget only, the marker that clears its screen and
    browser storage (other channels get just the text; a custom message would confuse them)."""
    dispatcher.utter_message(response=response)
    if tracker.get_latest_input_channel() == "socketio":
        # Rasa's socket.io output emits a custom message as `sio.emit(bot_uttered, **message)`:
        # the widget receives the value of "data" as the bot_uttered payload.
        dispatcher.utter_message(json_message={"data": dict(ERASED_MARKER)})


def _fallback_draft_id(tracker: Tracker) -> str:
    """A submission key for a draft without a draft id (one is set when a report starts): the
    conversation and the time of the message being handled. (Calls carry only the recent events,
    so their number says nothing about the conversation: bot/reliability.recent_events.)"""
    sent = next(
        (e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None
    )
    return f"{tracker.sender_id}:{sent}"
