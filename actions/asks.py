"""The report form's own "ask" actions (`action_ask_<slot>`), and the explicit registry of them.

Kept apart from :mod:`actions.intake` so that :mod:`actions.people` can re-ask the open question
after a handoff (``ASK_ACTIONS``) without importing the report's actions, which import it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import language_of
from bot import i18n
from bot.intake import engine
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
