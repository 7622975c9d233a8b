"""The intake conversation as a pure state machine over slot values.

`handle_answer` takes what the person just sent while the form asked `requested` and returns the
slot updates and the responses to send; `required_slots` says what the form still has to ask.
Rasa's form loop drives it (`actions/intake.py`); nothing here imports Rasa, so every path is
unit-tested directly. The rules that matter to the people using it:

* Nothing already answered is ever lost: a bad answer only re-asks the same question.
* Commands (stop, help, talk to a person, change language, change an answer) work at any
  question; danger words always get 999 guidance first and the question is offered again.
* Contact details are asked only when a choice needs them, otherwise offered as optional.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot import commands, faq
from bot.i18n import buttons
from bot.intake import options as o
from bot.intake.dates import describe_when, parse_when
from bot.intake.validators import (
    classify_location,
    has_words,
    normalise_text,
    parse_email,
    parse_phone,
)

Slots = dict[str, Any]

#: The least confidence at which the model's affirm/deny counts as a typed yes/no. The classifier's
#: probabilities are calibrated over 16 intents (bot/nlu/classifier.py), so a clear "아니요" or
#: "có" scores 0.4-0.6 as the top intent; buttons, numbers and the option words need no model.
YES_NO_MIN_CONFIDENCE = 0.35

#: The least confidence at which a typed message whose intent is a question topic (`ask_<topic>`,
#: bot/faq.py) is answered as a question instead of being taken as the answer.
QUESTION_MIN_CONFIDENCE = 0.5

#: On questions answered in the person's own words (`NARRATIVE_SLOTS`) a long account of what
#: happened can mention the police or who will see it and still be the answer. There a message is
#: a question only when it reads as one (`reads_as_question`: short and ending with a question
#: mark of any script) or the model is nearly certain (this confidence).
QUESTION_IN_NARRATIVE_MIN_CONFIDENCE = 0.9
QUESTION_MAX_WORDS = 20
QUESTION_MAX_CHARS = 120
_QUESTION_MARKS = ("?", "？", "؟", "⁇", "﹖")

#: Free-text questions whose answer may be a long narrative (see above).
NARRATIVE_SLOTS = ("description", "perpetrator", "safe_times", "contact_name", "location")

#: Buttons that move a stuck person forward (offered with a refusal), accepted at any question:
#: each sets an earlier answer in a way that no longer needs what they would rather not give.
FORWARD_CHOICES = ("police_anonymous", "police_none", "no_caseworker", "change_date")

#: Consent questions whose "skip" / "not sure" is taken as the private answer (noted, changeable
#: at the summary): nothing is shared or arranged without a clear yes.
PRIVATE_DEFAULTS = {
    "police": ("none", "utter_police_now_none"),
    "caseworker": ("no", "utter_caseworker_now_no"),
    "partner_sharing": ("no", None),  # _after_single explains (no caseworker without sharing)
    "contact_wanted": ("no", "utter_no_contact_noted"),
    "safe_to_leave_message": ("no", "utter_no_messages_noted"),
}

#: The contact slots cleared when the person wants no contact after all.
CONTACT_SLOTS = ("contact_name", "contact_phone", "contact_email", "safe_to_leave_message", "safe_times")


@dataclass(frozen=True)
class Answer:
    """One message from the person, as the form sees it."""

    text: str
    choice: str | None = None  # from a button payload `/inform{"choice": ...}`
    intent: str | None = None
    intent_confidence: float = 0.0

    @property
    def is_payload(self) -> bool:
        return self.choice is not None


@dataclass
class Turn:
    """What a turn decided: slot updates and responses (`(response name, variables)`)."""

    updates: Slots = field(default_factory=dict)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def say(self, response: str, **variables: Any) -> None:
        self.responses.append((response, variables))


def _get(slots: Slots, name: str) -> Any:
    return slots.get(name)


def contact_required(slots: Slots) -> bool:
    """Police named or a caseworker means we need a way to reach the person."""
    return _get(slots, "police") == "named" or _get(slots, "caseworker") == "yes"


def phone_required(slots: Slots) -> bool:
    """A caseworker arranges support by phone (the seed service: "a contact number")."""
    return _get(slots, "caseworker") == "yes"


def required_slots(slots: Slots) -> list[str]:
    """The slots the form needs, in order; the first one still empty is asked next.

    An empty list ends the form (used when the person confirmed they want to stop).
    """
    if _get(slots, "stop_confirmed") or _get(slots, "erase_requested"):
        return []
    if _get(slots, "draft_saved") or _get(slots, "switch_to_access"):
        return []
    result: list[str] = []
    pending = _get(slots, "pending_control")
    if pending in o.CONTROL_SLOTS:
        result.append(pending)
    result += ["reporter_role", "description", "incident_types", "incident_date", "location"]
    if _get(slots, "location_kind") != "online":
        result.append("place_type")
    result += ["motivations", "perpetrator", "support_needs", "police", "caseworker"]
    if _get(slots, "caseworker") == "yes":
        result.append("partner_sharing")
    wants_contact = contact_required(slots)
    if not wants_contact:
        result.append("contact_wanted")
        wants_contact = _get(slots, "contact_wanted") == "yes"
    if wants_contact:
        result += ["contact_name", "contact_phone"]
        if _get(slots, "contact_phone") in (None, o.SKIPPED) or _get(slots, "police") == "named":
            result.append("contact_email")
        if _get(slots, "contact_phone") not in (None, o.SKIPPED):
            result.append("safe_to_leave_message")
        result.append("safe_times")
    result.append("summary_confirmed")
    return result


def _match_choices(
    answer: Answer, offered: list[tuple[str, str]], allowed: tuple[str, ...], multi: bool
) -> list[str]:
    """Maps a payload, option numbers ("2", "1 3") or option words to choice values."""
    if answer.choice is not None:
        return [answer.choice] if answer.choice in allowed else []
    text = normalise_text(answer.text)
    if not text:
        return []
    values = [v for v, _ in offered if v in allowed] or list(allowed)
    tokens = commands.normalise(text).replace(",", " ").split()
    if tokens and all(t.isdigit() for t in tokens):
        picked = []
        for t in tokens:
            index = int(t) - 1
            if 0 <= index < len(values):
                picked.append(values[index])
        return picked if (multi or len(picked) == 1) else []
    norm = commands.normalise(text)
    found = []
    for value, title in offered:
        title_norm = commands.normalise(title)
        if value not in allowed or not title_norm:
            continue
        if norm == title_norm or (len(norm) >= 3 and (norm in title_norm or title_norm in norm)):
            found.append(value)
    for value in allowed:  # the English identifier itself ("witness", "verbal abuse")
        if commands.normalise(value.replace("_", " ")) == norm and value not in found:
            found.append(value)
    if not multi and len(found) > 1:
        return []
    return found


def _yes_no(answer: Answer) -> str | None:
    if answer.choice in o.YES_NO:
        return answer.choice
    if answer.intent == "affirm" and answer.intent_confidence >= YES_NO_MIN_CONFIDENCE:
        return "yes"
    if answer.intent == "deny" and answer.intent_confidence >= YES_NO_MIN_CONFIDENCE:
        return "no"
    return None


def handle_answer(
    slots: Slots,
    requested: str,
    answer: Answer,
    domain: dict[str, Any],
    language: str | None,
    today: dt.date | None = None,
) -> Turn:
    """Decides what one message means for the question `requested`.

    Args:
        slots: Current slot values.
        requested: The slot the form asked for.
        answer: The person's message.
        domain: The domain dict (for the buttons offered, i.e. what "2" means).
        language: The conversation's language code.
        today: Reference day for dates (tests pass a fixed one).

    Returns:
        The slot updates and responses. The requested slot stays empty when the question must
        be asked again.
    """
    turn = Turn()
    turn.updates[requested] = None  # unless an answer is accepted below, ask again
    text = normalise_text(answer.text)

    if answer.choice in ("empty_message", "__unknown_payload__") and requested != "description":
        turn.say("utter_empty_message" if answer.choice == "empty_message" else "utter_unknown_choice")
        return turn
    if answer.choice == "unsupported_media":
        turn.say("utter_unsupported_media")
        return turn
    if answer.choice == "evidence_received":
        turn.say("utter_evidence_received")
        return turn
    if answer.choice == "leave_queue":  # "Back to the assistant" while waiting for an operator
        turn.say("utter_handoff_leave")  # placeholder: actions/people.py leaves the live queue
        return turn

    command = None
    asks_about_danger = False
    if not answer.is_payload:
        command = commands.command(text)
        if command == "emergency" and commands.asks_about_danger(
            text, answer.intent, answer.intent_confidence
        ):
            # "What should I do if I'm in danger?": that question's answer (999 first) below.
            command, asks_about_danger = None, True
        if (
            command is None
            and not asks_about_danger
            and answer.intent in ("emergency",)
            and answer.intent_confidence >= 0.8
        ):
            command = "emergency"
        # The model's intent alone may act as a command only on questions answered with choices:
        # on free-text questions a name like "Sam Person" or a town must never become "talk to a
        # person" (the lexicon's exact phrases still work there).
        if (
            command is None
            and _HANDLERS.get(requested) not in _FREE_TEXT_HANDLERS
            and answer.intent in commands.SHORT_COMMANDS
            and commands.is_short(text)
            and answer.intent_confidence >= 0.85
        ):
            command = answer.intent
        # On free-text questions, asking for a person in a sentence ("hi, I want to talk to a
        # person please") counts when the model says so AND the message holds one of the longer
        # lexicon phrases: a name like "Sam Person" holds only the single word.
        if (
            command is None
            and answer.intent == "human"
            and answer.intent_confidence >= 0.85
            and len(text.split()) <= commands.LONGEST_COMMAND_WORDS
            and commands.mentions(text, "human")
        ):
            command = "human"

    if command == "emergency":
        turn.say("utter_emergency")
        if requested == "description" and has_words(text):
            _add_description_part(slots, text, turn)  # never lose what they told us
        turn.say("utter_continue_when_safe")
        return turn

    topic = "danger" if asks_about_danger else None if command else question_topic(
        answer, text, requested
    )
    if topic is not None and requested != "draft_secret":
        # A question, not an answer: answer it; the form asks its question again, nothing stored.
        turn.say(faq.response_of(topic))
        if topic == "own_language":
            # Offer a person as "talk to a person" does, flagged: an interpreter may be needed.
            turn.say("utter_human_hours", interpreter=True)
        return turn

    if requested in o.CONTROL_SLOTS:
        return _handle_control(slots, requested, answer, command, turn, domain, language)

    if answer.choice in FORWARD_CHOICES:
        _forward(slots, answer.choice, turn)
        return turn

    if command == "stop":
        turn.updates["pending_control"] = "confirm_stop"
        return turn
    if command == "erase":
        # "Exit"/"delete": erase at once, unless a report was already sent in this conversation.
        if _get(slots, "last_reference"):
            turn.updates["pending_control"] = "confirm_erase"
        else:
            turn.updates["erase_requested"] = True
        return turn
    # The slot asked holds this very message (Rasa's from_text mapping ran first): not an answer.
    answered = has_answers({**slots, requested: None})
    if command == "save":
        if answered:
            turn.updates["pending_control"] = "draft_secret"
        else:
            turn.say("utter_draft_nothing_to_save")
        return turn
    if command == "my_report" or answer.choice == "my_report":
        if answered:
            turn.say("utter_access_finish_first")
        else:
            turn.updates["switch_to_access"] = True
        return turn
    if command == "help":
        turn.say("utter_help")
        turn.say("utter_help_my_report")
        return turn
    if command == "human":
        turn.say("utter_human_hours")
        return turn
    if command == "change_language":
        turn.updates["pending_control"] = "language_choice"
        return turn
    if command == "change_answer":
        turn.updates["pending_control"] = "field_to_change"
        return turn

    if command == "skip" or answer.choice == "skip":
        pending = list(slots.get("pending_choices") or [])
        if requested in o.MULTI_SELECT and pending:
            # "Anything else?" answered with "none"/"not sure": keep what they already picked.
            turn.updates[requested] = pending
            turn.updates["pending_choices"] = None
            return turn
        if requested == "motivations":
            turn.updates[requested] = ["not_sure"]
            turn.updates["pending_choices"] = None
            return turn
        if requested == "description" and slots.get("description_parts"):
            # "Skip" after writing something: that is all they want to say.
            _finish_description(slots, turn)
            return turn
        if requested == "contact_email" and _get(slots, "contact_phone") in (None, o.SKIPPED):
            if _get(slots, "police") == "named":
                # Typed (the question offers no Skip here): say why, with the ways forward.
                turn.say("utter_need_one_contact")
            else:
                # Neither a phone nor an e-mail, and no choice needs one: simply no contact.
                _no_contact(slots, turn)
            return turn
        if requested in PRIVATE_DEFAULTS:
            value, noted = PRIVATE_DEFAULTS[requested]
            turn.updates[requested] = value
            if noted:
                turn.say(noted)
            _after_single(slots, requested, value, turn)
            return turn
        if requested in o.OPTIONAL:
            turn.updates[requested] = [] if requested in o.MULTI_SELECT else o.SKIPPED
            turn.updates["pending_choices"] = None
            if requested == "location":
                turn.updates["location_kind"] = "unknown"
            return turn
        if requested == "contact_phone":
            if phone_required(slots):
                turn.say("utter_phone_needed")
            else:
                turn.updates[requested] = o.SKIPPED
            return turn
        turn.say("utter_cannot_skip")
        return turn

    handler = _HANDLERS.get(requested)
    if handler is None:
        return turn
    handler(slots, requested, answer, text, turn, domain, language, today)
    return turn


def reads_as_question(text: str) -> bool:
    """Short and ending with a question mark of any script (?, ？, ؟): a question, not a story."""
    stripped = (text or "").strip()
    if not stripped or not stripped.endswith(_QUESTION_MARKS):
        return False
    return len(stripped) <= QUESTION_MAX_CHARS and len(stripped.split()) <= QUESTION_MAX_WORDS


def question_topic(answer: Answer, text: str, requested: str) -> str | None:
    """The FAQ topic a typed message asks about, or None when it is (or may be) an answer.

    The rule: a button is never a question; the model's `ask_<topic>` intent must reach
    `QUESTION_MIN_CONFIDENCE`; on questions answered in the person's own words
    (`NARRATIVE_SLOTS`) the message must also read as a question (short, ending with "?", "？"
    or "؟") unless the model is nearly certain (`QUESTION_IN_NARRATIVE_MIN_CONFIDENCE`), so a
    long account that mentions the police stays the answer. Asking for an interpreter
    (`own_language`) is a request like "talk to a person": a short message is enough.
    """
    if answer.is_payload or not has_words(text):
        return None
    topic = faq.topic_of_intent(answer.intent)
    if topic is None or answer.intent_confidence < QUESTION_MIN_CONFIDENCE:
        return None
    if (
        topic == "danger"
        and requested in NARRATIVE_SLOTS
        and not reads_as_question(text)
        and not commands.is_danger(text)
    ):
        # A question about danger names it (the lexicon's danger words, every language); an
        # account the model scores as that question without one ("something they shouted …")
        # is the answer, however sure the model is.
        return None
    if requested in NARRATIVE_SLOTS and not (
        reads_as_question(text)
        or answer.intent_confidence >= QUESTION_IN_NARRATIVE_MIN_CONFIDENCE
        # "I need an interpreter" is a request, like "talk to a person": short is enough.
        or (topic == "own_language" and commands.is_short(text))
    ):
        return None
    return topic


def question_response(slots: Slots, requested: str) -> str:
    """The response that asks `requested` in this state (the form's `action_ask_*` send it).

    Where a choice already made means the question cannot be skipped, the question offers the
    ways forward instead of a Skip button (a button the bot offers is never refused).
    """
    if requested == "description":
        return "utter_ask_description_more" if slots.get("description_parts") else "utter_ask_description"
    if requested in o.MULTI_SELECT and slots.get("pending_choices"):
        return "utter_ask_more_choices"
    if requested == "contact_phone" and phone_required(slots):
        return "utter_ask_contact_phone_needed"
    if (
        requested == "contact_email"
        and _get(slots, "police") == "named"
        and _get(slots, "contact_phone") in (None, o.SKIPPED)
    ):
        return "utter_ask_contact_email_needed"
    return f"utter_ask_{requested}"


def more_choice_buttons(offered: list[tuple[str, str]], pending: list[str]) -> list[tuple[str, str]]:
    """The options still offered at "anything else?" (not those picked, not the stand-alone ones)."""
    return [
        (value, title)
        for value, title in offered
        if value not in pending and value not in ("not_sure", "no_support", "skip")
    ]


def _forward(slots: Slots, choice: str, turn: Turn) -> None:
    """A way forward offered with a refusal: changes the earlier answer that blocked the way."""
    if choice == "change_date":
        for name in _slots_of_field("incident_date"):
            turn.updates[name] = None
        return
    if choice == "no_caseworker":
        turn.updates["caseworker"] = "no"
        turn.updates["partner_sharing"] = None
        turn.say("utter_caseworker_now_no")
        return
    police = "anonymous" if choice == "police_anonymous" else "none"
    turn.updates["police"] = police
    turn.say("utter_police_now_anonymous" if police == "anonymous" else "utter_police_now_none")
    rest = {**slots, **turn.updates}
    no_details = all(rest.get(s) in (None, o.SKIPPED) for s in ("contact_phone", "contact_email"))
    if no_details and not contact_required(rest):
        # They would rather give no phone or e-mail: then nobody contacts them (nothing to ask).
        _no_contact(rest, turn, say=False)


def _no_contact(slots: Slots, turn: Turn, say: bool = True) -> None:
    """No contact after all: the contact questions are closed and what they held is cleared."""
    turn.updates["contact_wanted"] = "no"
    for name in CONTACT_SLOTS:
        turn.updates[name] = None
    if say:
        turn.say("utter_no_contact_noted")


def _finish_description(slots: Slots, turn: Turn) -> None:
    turn.updates["description"] = "\n".join(slots.get("description_parts") or [])
    turn.updates["description_parts"] = None


def has_answers(slots: Slots) -> bool:
    """True once the person has answered any question of the report (or started describing)."""
    return any(slots.get(name) is not None for name in o.DATA_SLOTS) or bool(
        slots.get("description_parts")
    )


def _reask_kindly(text: str, turn: Turn, unclear: str = "utter_unclear_choice") -> None:
    turn.say("utter_empty_message" if not text or not has_words(text) else unclear)


def _single_choice(slots, requested, answer, text, turn, domain, language, today) -> None:
    offered = buttons(domain, f"utter_ask_{requested}", language)
    allowed = o.CHOICES[requested]
    if requested in ("caseworker", "partner_sharing", "contact_wanted", "safe_to_leave_message"):
        yes_no = _yes_no(answer)
        if yes_no:
            turn.updates[requested] = yes_no
            _after_single(slots, requested, yes_no, turn)
            return
    picked = _match_choices(answer, offered, allowed, multi=False)
    if len(picked) == 1:
        turn.updates[requested] = picked[0]
        _after_single(slots, requested, picked[0], turn)
        return
    if answer.is_payload:
        turn.say("utter_unknown_choice")
        return
    _reask_kindly(text, turn)


def _after_single(slots: Slots, requested: str, value: str, turn: Turn) -> None:
    if requested == "caseworker" and value == "no":
        turn.updates["partner_sharing"] = None
    if requested == "caseworker" and value == "yes" and _get(slots, "contact_phone") == o.SKIPPED:
        turn.updates["contact_phone"] = None  # a caseworker needs the number skipped before
    if requested == "contact_wanted" and value == "no":
        for name in CONTACT_SLOTS:  # "don't contact me": keep no contact details
            turn.updates[name] = None
    if requested == "partner_sharing" and value == "no":
        # Without consent to share details there can be no caseworker referral: say so plainly
        # and record the caseworker answer as "no" (they can change it at the summary).
        turn.updates["caseworker"] = "no"
        turn.say("utter_caseworker_needs_sharing")
    if requested == "police" and value == "named":
        turn.say("utter_police_named_noted")
    if requested == "place_type" and value == "online_place":
        turn.updates["location_kind"] = slots.get("location_kind") or "online"


def _multi_choice(slots, requested, answer, text, turn, domain, language, today) -> None:
    offered = buttons(domain, f"utter_ask_{requested}", language)
    allowed = o.CHOICES[requested]
    pending = list(slots.get("pending_choices") or [])
    done = answer.choice == "done" or (not answer.is_payload and commands.command(text) == "done")
    if done:
        if pending:
            turn.updates[requested] = pending
            turn.updates["pending_choices"] = None
        elif requested == "motivations":
            turn.updates[requested] = ["not_sure"]
        elif requested in o.OPTIONAL:
            turn.updates[requested] = []
        else:
            turn.say("utter_choose_at_least_one")
        return
    picked = _match_choices(answer, offered, allowed, multi=True)
    if not picked:
        if answer.is_payload:
            turn.say("utter_unknown_choice")
        else:
            _reask_kindly(text, turn)
        return
    exclusive = {"not_sure", "no_support"}
    for value in picked:
        if value not in pending:
            pending.append(value)
    if any(v in exclusive for v in picked) or len(picked) > 1 or len(pending) >= len(allowed) - 1:
        # Several at once (typed "1 3"), or an answer that stands alone: that is the answer.
        if any(v in exclusive for v in picked):
            pending = [v for v in picked if v in exclusive][:1]
        turn.updates[requested] = pending
        turn.updates["pending_choices"] = None
        return
    turn.updates["pending_choices"] = pending  # ask "anything else?" (action_ask_* shows this)


def _add_description_part(slots: Slots, text: str, turn: Turn) -> bool:
    parts = list(turn.updates.get("description_parts") or slots.get("description_parts") or [])
    total = sum(len(p) for p in parts) + len(text)
    if total > o.DESCRIPTION_LIMIT:
        turn.say("utter_description_too_long", limit=o.DESCRIPTION_LIMIT)
        return False
    parts.append(text)
    turn.updates["description_parts"] = parts
    return True


def _description(slots, requested, answer, text, turn, domain, language, today) -> None:
    parts = list(slots.get("description_parts") or [])
    done = answer.choice == "done" or (not answer.is_payload and commands.command(text) == "done")
    if done:
        if parts:
            _finish_description(slots, turn)
        else:
            turn.say("utter_description_needed")
        return
    if answer.is_payload:
        turn.say("utter_unknown_choice")
        return
    if not has_words(text):
        turn.say("utter_empty_message")
        return
    _add_description_part(slots, text, turn)


def _when(slots, requested, answer, text, turn, domain, language, today) -> None:
    if answer.is_payload:
        if answer.choice == "not_sure":
            turn.updates["incident_date"] = o.SKIPPED
            return
        turn.say("utter_unknown_choice")
        return
    if not has_words(text):
        turn.say("utter_empty_message")
        return
    parsed = parse_when(text, language, today)
    if parsed is None:
        turn.say("utter_date_not_understood")
        return
    turn.updates["incident_date"] = text
    turn.updates["date_from"] = parsed.start.isoformat()
    turn.updates["date_to"] = parsed.end.isoformat()
    # Read back what was understood, with a button to give the date again.
    turn.say("utter_date_noted", date=describe_when(parsed.start, parsed.end, language))


def _where(slots, requested, answer, text, turn, domain, language, today) -> None:
    if answer.choice == "online_place":
        turn.updates["location"] = "online"
        turn.updates["location_kind"] = "online"
        turn.updates["place_type"] = "online_place"
        return
    if answer.is_payload:
        turn.say("utter_unknown_choice")
        return
    if not has_words(text):
        turn.say("utter_empty_message")
        return
    if len(text) > o.FREE_TEXT_LIMITS["location"]:
        turn.say("utter_answer_too_long", limit=o.FREE_TEXT_LIMITS["location"])
        return
    kind, value = classify_location(text)
    turn.updates["location"] = value
    turn.updates["location_kind"] = kind
    if kind == "online":
        turn.updates["place_type"] = "online_place"


def _free_text(slots, requested, answer, text, turn, domain, language, today) -> None:
    if answer.is_payload:
        turn.say("utter_unknown_choice")
        return
    if not has_words(text):
        turn.say("utter_empty_message")
        return
    limit = o.FREE_TEXT_LIMITS.get(requested, 1000)
    if len(text) > limit:
        turn.say("utter_answer_too_long", limit=limit)
        return
    turn.updates[requested] = text


def _phone(slots, requested, answer, text, turn, domain, language, today) -> None:
    phone = parse_phone(text) if not answer.is_payload else None
    if phone:
        turn.updates["contact_phone"] = phone
        return
    turn.say("utter_invalid_phone" if has_words(text) else "utter_empty_message")


def _email(slots, requested, answer, text, turn, domain, language, today) -> None:
    if not answer.is_payload and text and parse_email(text):
        turn.updates["contact_email"] = parse_email(text)
        return
    phone = parse_phone(text) if not answer.is_payload and text else None
    if phone and _get(slots, "contact_phone") in (None, o.SKIPPED):
        # A phone number where we asked for "an e-mail or a phone number": take it.
        turn.updates["contact_phone"] = phone
        return
    turn.say("utter_invalid_email" if has_words(text) else "utter_empty_message")


def _summary(slots, requested, answer, text, turn, domain, language, today) -> None:
    offered = buttons(domain, "utter_ask_summary_confirmed", language)
    picked = _match_choices(answer, offered, o.SUMMARY, multi=False)
    if not picked and _yes_no(answer) == "yes":
        picked = ["confirm"]
    if picked == ["confirm"]:
        turn.updates["summary_confirmed"] = True
        return
    if picked == ["change"] or _yes_no(answer) == "no":
        turn.updates["pending_control"] = "field_to_change"
        return
    turn.say("utter_unknown_choice" if answer.is_payload else "utter_unclear_choice")


def _handle_control(
    slots: Slots,
    requested: str,
    answer: Answer,
    command: str | None,
    turn: Turn,
    domain: dict[str, Any],
    language: str | None,
) -> Turn:
    text = normalise_text(answer.text)
    if requested == "confirm_stop":
        choice = _yes_no(answer) or (
            answer.choice if answer.choice in o.YES_NO else None
        )
        if choice is None and command == "stop":
            choice = "yes"
        return _confirm(turn, text, choice, "stop_confirmed", "utter_carry_on")
    if requested == "confirm_erase":
        choice = "yes" if answer.choice == "confirm_erase" or command == "erase" else _yes_no(answer)
        return _confirm(turn, text, choice, "erase_requested", "utter_erase_cancelled")
    if requested == "draft_secret":
        # Only the way out is decided here; the secret word itself is taken by the action, which
        # saves the draft (it needs the store): see actions/intake.py.
        # Declining is never refused: the "No thanks" button, skip/done/stop words and a plain
        # "no"/"cancel" in any language (none can be a secret word: they are too short).
        if (
            command in ("skip", "done", "stop")
            or answer.choice in ("no", "cancel", "skip")
            or _yes_no(answer) == "no"
            or _is_cancel(text)
        ):
            turn.updates["pending_control"] = None
            turn.say("utter_carry_on")
        elif command == "erase":
            turn.updates.update({"erase_requested": True, "pending_control": None})
        return turn
    if requested == "language_choice":
        # The language itself is set by the global slot-mapping action, which sees every message
        # before the form (so the next question is already in the new language). The menu is an
        # offer, not a gate: anything that is not a language closes it and counts as the answer
        # to the next question, so nothing the person writes is lost.
        from bot.language import parse_language_choice

        turn.updates["pending_control"] = None
        turn.updates["language_ask"] = False
        if (answer.choice or "").startswith("lang:") or parse_language_choice(text) or (
            text.isdigit() and not answer.is_payload
        ):
            return turn
        rest = {**slots, **turn.updates}
        following = next((s for s in required_slots(rest) if rest.get(s) is None), None)
        if following and (answer.is_payload or has_words(text)):
            sub = handle_answer(rest, following, answer, domain, language)
            turn.updates.update(sub.updates)
            turn.responses += sub.responses
        return turn
    if requested == "field_to_change":
        offered = buttons(domain, "utter_ask_field_to_change", language)
        picked = _match_choices(answer, offered, o.EDITABLE_FIELDS, multi=False)
        if len(picked) != 1:
            if answer.choice == "cancel_change" or command in ("done", "skip"):
                turn.updates["pending_control"] = None
                return turn
            _reask_kindly(text, turn)
            return turn
        turn.updates["pending_control"] = None
        turn.updates["summary_confirmed"] = None
        turn.updates["pending_choices"] = None  # picks of the question left belong to it only
        for name in _slots_of_field(picked[0]):
            turn.updates[name] = None
        return turn
    return turn


def _confirm(turn: Turn, text: str, choice: str | None, flag: str, on_no: str) -> Turn:
    """A yes/no confirmation: yes sets `flag` (which ends the form), no says `on_no`."""
    if choice == "yes":
        turn.updates.update({flag: True, "pending_control": None})
    elif choice == "no":
        turn.updates["pending_control"] = None
        turn.say(on_no)
    else:
        _reask_kindly(text, turn)
    return turn


def _is_cancel(text: str) -> bool:
    """ "no", "no thanks", "cancel" typed at the secret-word question, in any language."""
    from bot.access.words import is_decline

    return is_decline(text)


def _slots_of_field(name: str) -> tuple[str, ...]:
    """The slots to clear so that the form asks a field again (and what depends on it)."""
    return {
        "description": ("description", "description_parts"),
        "incident_types": ("incident_types", "pending_choices"),
        "incident_date": ("incident_date", "date_from", "date_to"),
        "location": ("location", "location_kind", "place_type"),
        "motivations": ("motivations", "pending_choices"),
        "support_needs": ("support_needs", "pending_choices"),
        "caseworker": ("caseworker", "partner_sharing"),
        "contact": (
            "contact_wanted", "contact_name", "contact_phone", "contact_email",
            "safe_to_leave_message", "safe_times",
        ),
    }.get(name, (name,))


_HANDLERS = {
    "reporter_role": _single_choice,
    "description": _description,
    "incident_types": _multi_choice,
    "incident_date": _when,
    "location": _where,
    "place_type": _single_choice,
    "motivations": _multi_choice,
    "perpetrator": _free_text,
    "support_needs": _multi_choice,
    "police": _single_choice,
    "caseworker": _single_choice,
    "partner_sharing": _single_choice,
    "contact_wanted": _single_choice,
    "contact_name": _free_text,
    "contact_phone": _phone,
    "contact_email": _email,
    "safe_to_leave_message": _single_choice,
    "safe_times": _free_text,
    "summary_confirmed": _summary,
}

#: Public name of the choice matcher (the access form maps its menus the same way).
match_choices = _match_choices

#: Handlers of questions answered in the person's own words (not by choosing an option).
_FREE_TEXT_HANDLERS = (_description, _when, _where, _free_text, _phone, _email)
