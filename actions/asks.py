"""How the report form asks its questions without a round trip of their own, and the ask code.

Rasa's form asks the slot it requests with ``action_ask_<slot>`` when the domain lists that action
(one more action-server call), else with the domain response ``utter_ask_<slot>`` (no call). The
questions whose wording depends on earlier answers are asked without a call too:

* the form requests them under an **ask slot** of their own (:func:`ask_slot`):
  ``description_more``, ``contact_phone_needed`` and ``contact_email_needed`` are asked with their
  domain responses (``utter_ask_description_more`` ...) by Rasa itself;
  ``<multi-select>_more`` ("anything else?" with the options not yet picked: buttons no response
  can hold) has no response, so Rasa asks nothing and the form's validation sends it in the same
  call, with the code of the ask action below (:func:`send_dynamic_question`);
* the summary read back before ``summary_confirmed`` is sent by the validation too; Rasa then asks
  ``utter_ask_summary_confirmed``;
* the offer to switch language (in two languages) is requested as ``language_choice_offer`` and
  sent by the validation; the language menu is ``utter_ask_language_choice``.

The ask slot holds the answer only for the validation, which hands it to the engine as the
answer to the real slot (:data:`ASKED_FOR`).

The ask actions stay, out of the domain: :mod:`actions.people` re-asks the open question after a
handoff with them (``ASK_ACTIONS``, by the requested slot); kept apart from :mod:`actions.intake`
so that it need not import the report's actions, which import it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import language_of
from actions.session import OFFER_SLOT, ActionAskLanguageChoice, offer_message, open_offer
from bot import i18n
from bot.intake import engine
from bot.intake import options as o
from bot.intake.report import summary_values


class ActionAskDescription(Action):
    """Asks what happened; once something is written, invites more or "done"."""

    def name(self) -> str:
        return "action_ask_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("description_parts"):
            dispatcher.utter_message(response="utter_ask_description_more")
        else:
            dispatcher.utter_message(response="utter_ask_description")
        return []


class _AskSlot(Action, ABC):
    """The form's own "ask" action for one slot (`action_ask_<slot>`).

    Abstract (rasa_sdk registers only concrete actions): subclasses name their `slot`.
    """

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class _AskMultiSelect(_AskSlot):
    """Asks a multi-select question; after a first pick, offers the rest and "that's all"."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot("pending_choices") or []
        if not pending:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
            return []
        language = language_of(tracker)
        offered = i18n.buttons(domain, f"utter_ask_{self.slot}", language)
        titles = dict(offered)
        remaining = [
            {"title": title, "payload": f'/inform{{"choice":"{value}"}}'}
            for value, title in engine.more_choice_buttons(offered, pending)
        ]
        dispatcher.utter_message(
            response="utter_ask_more_choices",
            selected=", ".join(titles.get(v, v) for v in pending),
            buttons=remaining,
        )
        return []


class ActionAskIncidentTypes(_AskMultiSelect):
    slot = "incident_types"


class ActionAskMotivations(_AskMultiSelect):
    slot = "motivations"


class ActionAskSupportNeeds(_AskMultiSelect):
    slot = "support_needs"


class _AskByState(_AskSlot):
    """Asks a question whose wording depends on earlier choices (`engine.question_response`):
    where a choice means it cannot be skipped, it offers the ways forward instead of Skip."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response=engine.question_response(dict(tracker.slots), self.slot))
        return []


class ActionAskContactPhone(_AskByState):
    slot = "contact_phone"


class ActionAskContactEmail(_AskByState):
    slot = "contact_email"


class ActionAskSummaryConfirmed(Action):
    """Reads the whole report back, then asks to send it or change an answer."""

    def name(self) -> str:
        return "action_ask_summary_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        values = summary_values(dict(tracker.slots), domain, language_of(tracker))
        dispatcher.utter_message(response="utter_summary", **values)
        dispatcher.utter_message(response="utter_ask_summary_confirmed")
        return []


#: The report's custom "ask" actions by name; a slot not listed is asked with `utter_ask_<slot>`.
ASK_ACTIONS: dict[str, Action] = {
    action.name(): action
    for action in (
        ActionAskDescription(),
        ActionAskIncidentTypes(),
        ActionAskMotivations(),
        ActionAskSupportNeeds(),
        ActionAskContactPhone(),
        ActionAskContactEmail(),
        ActionAskSummaryConfirmed(),
    )
}
#: Ask slot -> the slot it asks for (the ask slots are in domain/slots.yml and the form's list).
ASKED_FOR: dict[str, str] = {
    "description_more": "description",
    "contact_phone_needed": "contact_phone",
    "contact_email_needed": "contact_email",
    **{f"{name}_more": name for name in o.MULTI_SELECT},
}
ASKED_FOR[OFFER_SLOT] = "language_choice"
#: Ask slots whose question the validation sends (no domain response can ask them).
SENT_BY_VALIDATION = frozenset({*(f"{name}_more" for name in o.MULTI_SELECT), OFFER_SLOT})
# After a handoff the open question is asked again by the requested slot: an ask slot sent by the
# validation is asked by the ask action of its slot (the others have their `utter_ask_<slot>`).
ASK_ACTIONS.update(
    {
        f"action_ask_{slot}": ASK_ACTIONS[f"action_ask_{ASKED_FOR[slot]}"]
        for slot in SENT_BY_VALIDATION
        if slot != OFFER_SLOT
    }
)
ASK_ACTIONS[f"action_ask_{OFFER_SLOT}"] = ActionAskLanguageChoice()


def ask_slot(slots: dict, name: str) -> str:
    """The slot the form requests to ask ``name`` in this state: ``name`` itself, or the ask slot
    whose question fits (the wording ``engine.question_response`` chooses)."""
    if name == "language_choice":
        return OFFER_SLOT if open_offer(slots) else name
    response = engine.question_response(slots, name)
    if response == f"utter_ask_{name}":
        return name
    if response == "utter_ask_more_choices":
        return f"{name}_more"
    return response.removeprefix("utter_ask_")


def asked_slots(slots: dict) -> list[str]:
    """The report's questions still to ask (`engine.required_slots`), each empty one under the slot
    that asks it in this state."""
    return [
        name if slots.get(name) is not None else ask_slot(slots, name)
        for name in engine.required_slots(slots)
    ]


async def send_dynamic_question(
    requested: str | None, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> None:
    """What the validation sends for the question the form requests next (``tracker``: the slots
    after the validation): the "anything else?" of a multi-select, or the summary before
    "send it?"; nothing for a question Rasa asks with its domain response alone."""
    if requested == OFFER_SLOT:
        slots = dict(tracker.slots)
        offered = open_offer(slots)
        if offered:
            dispatcher.utter_message(**offer_message(domain, slots.get("language") or "en", offered))
    elif requested in SENT_BY_VALIDATION:
        await ASK_ACTIONS[f"action_ask_{ASKED_FOR[requested]}"].run(dispatcher, tracker, domain)
    elif requested == "summary_confirmed":
        values = summary_values(dict(tracker.slots), domain, language_of(tracker))
        dispatcher.utter_message(response="utter_summary", **values)
