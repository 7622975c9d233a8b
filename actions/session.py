"""Session start and the language of the conversation (decided on every message).

Outside a form the `language` slot's custom mapping runs :class:`ActionDetectLanguage`; inside
`report_form` and `access_form` their validation actions call :func:`decide_language` first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import answer_of, fresh_answer, metadata_of, render_in_language
from bot import i18n
from bot.language import choose_language, menu, parse_language_choice
from bot.languages import all_languages, codes

logger = logging.getLogger(__name__)

#: Slots carried into a new session (the person's language choice), everything else is fresh.
CARRY_OVER = ("language", "language_locked", "last_reference")


class ActionSessionStart(Action):
    """Starts a session with the language hint of the channel, before anything is said."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        for name in CARRY_OVER:
            value = tracker.get_slot(name)
            if value is not None:
                events.append(SlotSet(name, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        hint = metadata.get("language_hint") if isinstance(metadata, dict) else None
        if not tracker.get_slot("language") and hint in codes():
            events.append(SlotSet("language", hint))
        events.append(ActionExecuted("action_listen"))
        return events


#: The response that offers a switch (text with `{offered}`, one button "Continue in <itself>").
OFFER_RESPONSE = "utter_offer_language"
#: Earlier messages the language policy looks at (the newest ones of this session).
HISTORY_MESSAGES = 8


def _history(tracker: Tracker) -> list[str]:
    """The person's earlier typed messages in this session, oldest first (button presses left out)."""
    texts: list[str] = []
    for event in tracker.events:
        kind = event.get("event")
        if kind == "session_started":
            texts = []
        elif kind == "user":
            text = str(event.get("text") or "")
            if text and not text.startswith("/"):
                texts.append(text)
    latest = str((tracker.latest_message or {}).get("text") or "")
    if texts and texts[-1] == latest:
        texts = texts[:-1]  # the message being decided on is not its own history
    return texts[-HISTORY_MESSAGES:]


def _offer_state(tracker: Tracker) -> dict[str, Any]:
    state = tracker.get_slot("language_offer")
    if not isinstance(state, dict):
        return {"open": None, "made": []}
    return {"open": state.get("open"), "made": [c for c in state.get("made") or [] if c in codes()]}


def offer_message(domain: DomainDict, current: str, offered: str) -> dict[str, Any]:
    """The switch offer, in both languages: the question in each, a button in each.

    The person may not read the current language well (that is why they write in another), so
    the question comes first in the offered language, then in the current one; each button is in
    its own language ("Continue in English" / "继续用中文") and chooses it explicitly.
    """
    names = {lang.code: lang.own_name for lang in all_languages()}
    texts = []
    for code in (offered, current):
        said = i18n.text(domain, OFFER_RESPONSE, code, offered=names.get(offered, offered))
        if said and said not in texts:
            texts.append(said)
    buttons = []
    for code in (offered, current):
        titles = i18n.buttons(domain, OFFER_RESPONSE, code)
        title = titles[0][1] if titles else names.get(code, code)
        buttons.append({"title": title, "payload": f'/inform{{"choice":"lang:{code}"}}'})
    return {"text": "\n\n".join(texts), "buttons": buttons}


#: The ask slot (actions/asks.py) under which the report asks the open offer, not the menu.
OFFER_SLOT = "language_choice_offer"


def open_offer(slots: dict[str, Any]) -> str | None:
    """The language an open switch offer proposes, when it is to be asked (else the menu is)."""
    state = slots.get("language_offer")
    offered = state.get("open") if isinstance(state, dict) else None
    current = slots.get("language") or "en"
    if offered and offered != current and not slots.get("language_locked"):
        return str(offered)
    return None


class ActionAskLanguageChoice(Action):
    """Asks for the language inside the report: the two-language switch offer when one is open,
    else the menu of every language (the person typed "language")."""

    def name(self) -> str:
        return "action_ask_language_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offered = open_offer(dict(tracker.slots))
        if offered:
            current = tracker.get_slot("language") or "en"
            dispatcher.utter_message(**offer_message(domain, current, offered))
        else:
            dispatcher.utter_message(response="utter_ask_language_choice")
        return []


def decide_language(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> dict[str, Any]:
    """The language decision for the latest message: the slots it changes.

    Detects the language; a few words never switch it; strong evidence offers a switch (in the
    report, as its next question; elsewhere the offer is sent at once through ``dispatcher``).
    One function for every place that decides: :class:`ActionDetectLanguage` outside a form,
    the forms' validation actions (``validate_report_form``, ``validate_access_form``) inside one,
    so a form turn makes one action-server call, not two.
    """
    updates = _language_updates(dispatcher, tracker, domain)
    state = _offer_state(tracker)
    if state["open"] and "language_offer" not in updates:
        # The offer was answered (a button) or passed over (anything else): it is closed.
        updates["language_offer"] = {"open": None, "made": state["made"]}
    return updates


def _language_updates(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> dict[str, Any]:
    answer = answer_of(tracker)
    current = tracker.get_slot("language")
    locked = bool(tracker.get_slot("language_locked"))
    if answer.choice and answer.choice.startswith("lang:"):
        code = answer.choice[5:]
        if code in codes():
            return {"language": code, "language_locked": True, "language_ask": False}
        return {}
    if answer.choice is not None:
        return {}
    asked = tracker.get_slot("requested_slot") in ("language_choice", OFFER_SLOT)
    if asked and answer.text.strip().isdigit():
        menu_codes = [code for code, _name in menu()]
        index = int(answer.text.strip()) - 1
        if 0 <= index < len(menu_codes):
            return {"language": menu_codes[index], "language_locked": True, "language_ask": False}
    explicit = parse_language_choice(answer.text)
    if explicit:
        return {"language": explicit, "language_locked": True, "language_ask": False}
    hint = metadata_of(tracker).get("language_hint")
    state = _offer_state(tracker)
    decision = choose_language(
        answer.text,
        current=current,
        locked=locked,
        hint=hint,
        history=_history(tracker),
        offered=state["made"],
    )
    updates: dict[str, Any] = {}
    if decision.language and decision.language != current:
        updates["language"] = decision.language
    if decision.ask and not current and not decision.language:
        updates["language_ask"] = True
    if decision.offer and current:
        made = [*state["made"], decision.offer]
        in_report = (tracker.active_loop or {}).get("name") == "report_form"
        # Not while they are telling what happened (their next message would be taken for the
        # answer to the question after the offer) nor over another open control question.
        telling = tracker.get_slot("requested_slot") in ("description", "description_more")
        if in_report and not telling and not tracker.get_slot("pending_control"):
            # The report asks it as its next question (language_choice_offer), so the
            # answer to the offer is never taken for the answer to another question.
            updates["language_offer"] = {"open": decision.offer, "made": made}
            updates["pending_control"] = "language_choice"
        elif not in_report:
            dispatcher.utter_message(**offer_message(domain, current, decision.offer))
            updates["language_offer"] = {"open": None, "made": made}
    return updates


#: The custom slot-mapping action of the `language` slot (domain/slots.yml).
DETECT_ACTION = "action_detect_language"


class ActionDetectLanguage(Action):
    """Keeps the `language` slot right for a message outside any form.

    Run by Rasa's slot extraction as the `language` slot's custom mapping, whose condition
    (`active_loop: null`) keeps it to messages outside a form: inside one, the form's validation
    makes the same decision (:func:`decide_language`) in its own call.
    """

    def name(self) -> str:
        return DETECT_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        updates = decide_language(dispatcher, tracker, domain)
        return [SlotSet(name, value) for name, value in updates.items()]


def form_language_events(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> list[EventType]:
    """Inside a form: the language decision for the message its validation answers.

    Applied to ``tracker`` at once, so the rest of the validation sees the new language and
    slots as it did when the decision ran before the form. Returns the decision's ``SlotSet``
    events, to come first in the validation's events. Nothing when the validation is not
    answering a fresh message (the form activated, or run again by a follow-up action).
    """
    if not fresh_answer(tracker):
        return []
    updates = decide_language(dispatcher, tracker, domain)
    events: list[EventType] = [SlotSet(name, value) for name, value in updates.items()]
    tracker.add_slots(events)
    return events



async def with_language_first(
    run: Callable[[CollectingDispatcher, Tracker, DomainDict], Awaitable[list[EventType]]],
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
) -> list[EventType]:
    """A form validation's ``run``, with the language of the message decided first
    (:func:`form_language_events`) in the same call.

    When the decision changes the language, the validation's replies are rendered here in it:
    Rasa renders an action's responses with the tracker before the action's events.
    """
    language_events = (
        form_language_events(dispatcher, tracker, domain)
        if tracker.get_slot("requested_slot")
        else []
    )
    slots = dict(tracker.slots)
    events = await run(dispatcher, tracker, domain)
    if any(event.get("name") == "language" for event in language_events):
        render_in_language(dispatcher, domain, slots)
    return [*language_events, *events]
