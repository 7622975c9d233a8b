"""The "my report" access form as a pure state machine over slot values.

Like the report form's :mod:`bot.intake.engine`: :func:`handle_answer` takes what the person sent
while the form asked `requested` and returns the slot updates and the responses to send;
:func:`required_slots` says what the form still has to ask. Nothing here imports Rasa or SQL: the
case store is reached through :class:`AccessStore` (``bot.access.store.SqlAccessStore`` in the
action server, an in-memory fake in the tests), so every path is explored directly
(tests/bot/access/test_explore.py).

The rules that matter:

* **Access is a server-side grant, never a slot.** Checking a reference and its second factor
  makes the store issue a short-lived grant bound to this conversation and the case. Every step
  after that (status, consent ledger, withdraw, add, secret word) asks the store for this
  conversation's grant; ``access_verified`` only says which questions the form is on, and a form
  whose slots claim access without a grant hears :data:`EXPIRED` and is asked for the reference
  again. :func:`finish` revokes the grant.
* **Never a dead end.** Every question has a way out (stop/done/skip words, "No thanks" at the
  secret word in every language), an offered button is never refused, and the same refusal is
  never given three times running: the second time it adds a hint, the third time the form ends
  kindly (nothing changed, come back any time).
* The secret word is never kept in a slot (the stored transcript masks it: bot/access/redact.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot import commands, i18n
from bot.access.words import is_decline
from bot.datefmt import DAY_NO_WEEKDAY, format_day
from bot.intake.engine import YES_NO_MIN_CONFIDENCE, Answer, Turn, match_choices
from bot.intake.validators import has_words, normalise_text
from bot.store.references import normalise_reference

Slots = dict[str, Any]

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
#: The questions asked only under a grant (each checks it in the store first).
GRANTED_SLOTS = (
    "access_action",
    "access_withdraw",
    "access_withdraw_confirm",
    "access_addition",
    "access_new_secret",
)
#: Slots whose answer is a secret (second factor or new secret word): masked in the transcript.
SECRET_SLOTS = ("access_secret", "access_new_secret")
MENU = ("status", "consents", "withdraw", "add", "set_secret", "finish")
WITHDRAW_CHOICES = ("police_referral", "caseworker_referral", "partner_sharing", "contact", "cancel")
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
EXPIRED = "utter_access_expired"
#: Replies that refuse an answer (the question is asked again). Counted: see STUCK_HINT.
REFUSALS = frozenset(
    {
        "utter_access_reference_invalid",
        "utter_access_failed",
        "utter_unknown_choice",
        "utter_unclear_choice",
        "utter_secret_too_short",
        "utter_empty_message",
        "utter_answer_too_long",
    }
)
#: Added to the second refusal in a row; the third ends the form kindly instead.
STUCK_HINT = "utter_access_stuck"
STUCK_END = "utter_access_stuck_end"


@dataclass(frozen=True)
class Verification:
    """What the store says about a reference and a second factor.

    Attributes:
        ok: Both matched (for a case, the store has issued this conversation a grant).
        kind: ``case`` or ``draft`` when ok.
        reference: The normalised reference or draft code when ok.
        wait_seconds: Not checked, or this client must wait this long before the next try.
    """

    ok: bool
    kind: str | None = None
    reference: str | None = None
    wait_seconds: int = 0


@dataclass(frozen=True)
class Withdrawn:
    """Outcome of a withdrawal: whether anything changed; a police referral already passed on."""

    changed: bool
    police_already_sent: bool = False


class AccessStore(Protocol):
    """What the form needs from the case store (each call is one unit of work)."""

    def verify(self, conversation_key: str, reference: str, factor: str) -> Verification:
        """Checks both factors (counting failures); on a case, issues this conversation a grant."""

    def granted(self, conversation_key: str) -> str | None:
        """The reference of the case this conversation holds a live grant to, or None."""

    def grant_just_submitted(self, conversation_key: str, reference: str) -> bool:
        """Grants the conversation that made the case, within the hour after, without a factor."""

    def revoke(self, conversation_key: str) -> None:
        """Ends this conversation's grants."""

    def take_draft(self, conversation_key: str, code: str) -> dict[str, Any] | None:
        """A saved draft's answers (the draft is deleted), or None."""

    def status(self, reference: str) -> str:
        """``received``, ``with_caseworker`` or ``closed``."""

    def ledger(self, reference: str) -> list[dict[str, Any]]:
        """Consent records (kind, value, wording_key, withdrawn_at ...), oldest first."""

    def withdrawable(self, reference: str) -> list[str]:
        """Consent kinds held and not withdrawn."""

    def withdraw(self, reference: str, kind: str, *, channel: str, language: str) -> Withdrawn:
        """Withdraws a consent and acts on it."""

    def add(self, reference: str, text: str, *, channel: str, language: str) -> None:
        """Adds text to the case."""

    def set_secret(self, reference: str, secret: str) -> None:
        """Sets the case's secret word."""


@dataclass
class Context:
    """Everything a turn needs besides the slots and the answer."""

    store: AccessStore
    conversation_key: str
    domain: dict[str, Any]
    language: str
    channel: str = "rest"
    draft_slots: tuple[str, ...] = field(default_factory=tuple)


def required_slots(slots: Slots) -> list[str]:
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


def next_question(slots: Slots) -> str | None:
    """The slot the form asks next, or None when it ends."""
    return next((name for name in required_slots(slots) if slots.get(name) is None), None)


def reference_in(text: str) -> str | None:
    """A reference typed with "my report" (e.g. "my report ABCD-2345"), normalised."""
    match = re.search(r"(?<![0-9A-Za-z])([0-9A-Za-z]{4}[- ]?[0-9A-Za-z]{4})(?![0-9A-Za-z])", text)
    return normalise_reference(match.group(1)) if match else None


def start(slots: Slots, answer: Answer, ctx: Context, last_reference: str | None) -> Turn:
    """Opens the form afresh; right after a report, "choose a secret word" needs no code (the
    store grants the conversation that made the case, for an hour)."""
    turn = Turn()
    turn.updates.update({name: None for name in ACCESS_SLOTS})
    if (
        answer.choice == "set_secret"
        and last_reference
        and ctx.store.grant_just_submitted(ctx.conversation_key, last_reference)
    ):
        turn.updates.update({"access_verified": True, "access_action": "set_secret"})
    elif not answer.is_payload:
        found = reference_in(answer.text)
        if found:
            turn.updates["access_reference"] = found
    return turn


def question(slots: Slots, requested: str, ctx: Context) -> tuple[str, list[tuple[str, str]]]:
    """The response that asks `requested` and the options it offers (value, title).

    The withdrawal question offers only the consents still held (from the granted case).
    """
    response = f"utter_ask_{requested}"
    offered = i18n.buttons(ctx.domain, response, ctx.language)
    if requested == "access_withdraw":
        reference = ctx.store.granted(ctx.conversation_key)
        active = set(ctx.store.withdrawable(reference)) if reference else set()
        offered = [(value, title) for value, title in offered if value in active or value == "cancel"]
    return response, offered


def finish(slots: Slots, ctx: Context) -> tuple[Turn, bool]:
    """When the form ends: the grant is revoked, the slots cleared; True to resume a draft."""
    ctx.store.revoke(ctx.conversation_key)
    turn = Turn()
    turn.updates.update({name: None for name in ACCESS_SLOTS})
    return turn, bool(slots.get("resume_draft"))


def handle_answer(
    slots: Slots,
    requested: str,
    answer: Answer,
    domain: dict[str, Any],
    language: str,
    *,
    store: AccessStore,
    conversation_key: str,
    channel: str = "rest",
    draft_slots: tuple[str, ...] = (),
) -> Turn:
    """Decides what one message means for the question `requested`.

    Args:
        slots: Current slot values (the requested slot may hold this very message).
        requested: The slot the form asked for.
        answer: The person's message.
        domain: The domain dict (buttons offered, i.e. what "2" means; ledger wording).
        language: The conversation's language code.
        store: The case store.
        conversation_key: This conversation (the grant is bound to it).
        channel: The channel name (recorded with withdrawals and additions).
        draft_slots: The slots a resumed draft restores.

    Returns:
        The slot updates and responses; the requested slot stays empty when asked again.
    """
    ctx = Context(store, conversation_key, domain, language, channel, tuple(draft_slots))
    turn = _decide(slots, requested, answer, ctx)
    refused = any(name in REFUSALS for name, _ in turn.responses)
    if not refused:
        if slots.get("access_failures"):
            turn.updates.setdefault("access_failures", None)
        return turn
    count = int(slots.get("access_failures") or 0) + 1
    if count >= 3:
        stuck = Turn()
        stuck.updates.update({requested: None, "access_failures": None, "access_done": True})
        stuck.say(STUCK_END)
        return stuck
    turn.updates["access_failures"] = count
    if count == 2:
        turn.say(STUCK_HINT)
    return turn


def _decide(slots: Slots, requested: str, answer: Answer, ctx: Context) -> Turn:
    turn = Turn()
    turn.updates[requested] = None  # unless an answer is accepted below, ask again
    text = "" if answer.is_payload else answer.text
    command = commands.command(text) if text else None
    if command == "emergency":
        turn.say("utter_emergency")
        return turn
    if requested == "access_new_secret" and _declines(answer, command):
        turn.updates["access_action"] = None
        turn.say("utter_access_secret_unchanged")
        return turn
    if requested in ("access_reference", "access_secret") and (
        command == "skip" or (not answer.is_payload and is_decline(text))
    ):
        return _finished(turn)
    if command in ("stop", "erase") or (command == "done" and requested != "access_action"):
        return _finished(turn)
    if command == "help":
        turn.say("utter_help_my_report")
        return turn
    if command == "human":
        turn.say("utter_human_hours")
        return turn
    if requested in GRANTED_SLOTS:
        reference = ctx.store.granted(ctx.conversation_key)
        if reference is None:
            turn.updates.update({name: None for name in (*GRANTED_SLOTS, "access_verified", "access_reference")})
            turn.say(EXPIRED)
            return turn
        return _STEPS[requested](slots, answer, command, ctx, turn, reference)
    if requested == "access_reference":
        return _reference(answer, turn)
    if requested == "access_secret":
        return _secret(slots, answer, ctx, turn)
    return turn


def _declines(answer: Answer, command: str | None) -> bool:
    if answer.is_payload:
        return answer.choice in ("no", "cancel", "skip")
    return command in ("skip", "done", "stop") or is_decline(answer.text)


def _finished(turn: Turn) -> Turn:
    turn.say("utter_access_finished")
    turn.updates["access_done"] = True
    return turn


# -- before access ------------------------------------------------------------------------------


def _reference(answer: Answer, turn: Turn) -> Turn:
    found = None if answer.is_payload else normalise_reference(answer.text.strip())
    if found is None:
        turn.say("utter_access_reference_invalid")
        return turn
    turn.updates["access_reference"] = found
    return turn


def _secret(slots: Slots, answer: Answer, ctx: Context, turn: Turn) -> Turn:
    turn.updates["access_secret"] = None  # never kept
    if answer.is_payload or not answer.text.strip():
        turn.say("utter_empty_message")
        return turn
    reference = slots.get("access_reference") or ""
    result = ctx.store.verify(ctx.conversation_key, reference, answer.text)
    if result.ok and result.kind == "draft":
        return _resume(ctx, turn, result.reference or reference)
    if result.ok:
        turn.updates.update({"access_verified": True})
        return turn
    if result.wait_seconds:
        turn.say("utter_access_locked", minutes=max(1, math.ceil(result.wait_seconds / 60)))
        turn.updates["access_done"] = True
        return turn
    turn.say("utter_access_failed")
    turn.updates["access_reference"] = None
    return turn


def _resume(ctx: Context, turn: Turn, code: str) -> Turn:
    """A saved draft continues in the report form with its answers."""
    answers = ctx.store.take_draft(ctx.conversation_key, code)
    if answers is None:
        turn.say("utter_access_failed")
        turn.updates["access_reference"] = None
        return turn
    turn.say("utter_draft_resumed")
    turn.updates.update({name: answers.get(name) for name in ctx.draft_slots})
    turn.updates.update({"access_done": True, "resume_draft": True})
    return turn


# -- under a grant ------------------------------------------------------------------------------


def _action(slots: Slots, answer: Answer, command: str | None, ctx: Context, turn: Turn, reference: str) -> Turn:
    offered = i18n.buttons(ctx.domain, "utter_ask_access_action", ctx.language)
    picked = match_choices(answer, offered, MENU, multi=False)
    if not picked and command == "done":
        picked = ["finish"]
    if len(picked) != 1:
        turn.say("utter_unknown_choice" if answer.is_payload else "utter_unclear_choice")
        return turn
    choice = picked[0]
    if choice == "finish":
        return _finished(turn)
    if choice == "status":
        turn.say(STATUS_RESPONSES[ctx.store.status(reference)], reference=reference)
        return turn
    if choice == "consents":
        _tell_ledger(ctx, turn, reference, ctx.store.ledger(reference))
        return turn
    if choice == "withdraw" and not ctx.store.withdrawable(reference):
        turn.say("utter_access_nothing_to_withdraw")
        return turn
    turn.updates["access_action"] = choice
    return turn


def _tell_ledger(ctx: Context, turn: Turn, reference: str, ledger: list[dict[str, Any]]) -> None:
    if not ledger:
        turn.say("utter_consents_none")
        return
    turn.say("utter_consents_intro", reference=reference)
    for entry in ledger:
        if entry["withdrawn_at"] is not None:
            said = i18n.text(
                ctx.domain,
                "utter_consent_withdrawn_answer",
                ctx.language,
                date=format_day(entry["withdrawn_at"], ctx.language, DAY_NO_WEEKDAY),
            )
        else:
            titles = dict(i18n.buttons(ctx.domain, entry["wording_key"], ctx.language))
            said = titles.get(entry["value"], entry["value"])
        line = CONSENT_LINES.get(entry["kind"])
        if line:
            turn.say(line, answer=said)


def _withdraw(slots: Slots, answer: Answer, command: str | None, ctx: Context, turn: Turn, reference: str) -> Turn:
    _response, offered = question(slots, "access_withdraw", ctx)
    picked = match_choices(answer, offered, WITHDRAW_CHOICES, multi=False)
    if picked == ["cancel"] or command == "skip" or (not answer.is_payload and is_decline(answer.text)):
        turn.say("utter_withdraw_kept")
        turn.updates["access_action"] = None
        return turn
    if len(picked) != 1:
        turn.say("utter_unknown_choice" if answer.is_payload else "utter_unclear_choice")
        return turn
    turn.updates["access_withdraw"] = picked[0]
    return turn


def _withdraw_confirm(slots: Slots, answer: Answer, command: str | None, ctx: Context, turn: Turn, reference: str) -> Turn:
    choice = answer.choice if answer.choice in ("yes", "no") else None
    if (
        choice is None
        and answer.intent in ("affirm", "deny")
        and answer.intent_confidence >= YES_NO_MIN_CONFIDENCE
    ):
        choice = "yes" if answer.intent == "affirm" else "no"
    if choice is None and not answer.is_payload and (command == "skip" or is_decline(answer.text)):
        choice = "no"
    if choice is None:
        turn.say("utter_unclear_choice")
        return turn
    turn.updates.update({"access_withdraw": None, "access_action": None})
    if choice == "no":
        turn.say("utter_withdraw_kept")
        return turn
    kind = slots.get("access_withdraw")
    if kind not in WITHDRAWN:
        turn.say("utter_access_nothing_to_withdraw")
        return turn
    outcome = ctx.store.withdraw(reference, kind, channel=ctx.channel, language=ctx.language)
    if not outcome.changed:
        turn.say("utter_access_nothing_to_withdraw")
    elif outcome.police_already_sent:
        turn.say("utter_withdrawn_police_already_sent")
    else:
        turn.say(WITHDRAWN[kind])
    return turn


def _addition(slots: Slots, answer: Answer, command: str | None, ctx: Context, turn: Turn, reference: str) -> Turn:
    from bot.store.person import ADDITION_MAX_CHARS

    text = normalise_text(answer.text)
    if answer.is_payload or not has_words(text):
        turn.say("utter_empty_message")
        return turn
    if len(text) > ADDITION_MAX_CHARS:
        turn.say("utter_answer_too_long", limit=ADDITION_MAX_CHARS)
        return turn
    ctx.store.add(reference, text, channel=ctx.channel, language=ctx.language)
    turn.say("utter_access_added", reference=reference)
    turn.updates["access_action"] = None
    return turn


def _new_secret(slots: Slots, answer: Answer, command: str | None, ctx: Context, turn: Turn, reference: str) -> Turn:
    from bot.store.person import valid_secret

    if answer.is_payload or not valid_secret(answer.text):
        turn.say("utter_secret_too_short")
        return turn
    ctx.store.set_secret(reference, answer.text)
    turn.say("utter_access_secret_saved")
    turn.updates["access_action"] = None
    return turn


_STEPS = {
    "access_action": _action,
    "access_withdraw": _withdraw,
    "access_withdraw_confirm": _withdraw_confirm,
    "access_addition": _addition,
    "access_new_secret": _new_secret,
}
