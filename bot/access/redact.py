"""Secret words never reach the stored conversation in clear.

A secret word (or the phone number / e-mail given as second factor) is typed as the answer to a
question of a form: ``access_secret`` and ``access_new_secret`` in "my report", ``draft_secret``
when saving a report for later. Rasa keeps that message as a ``user`` event and its from-text slot
mapping as a ``slot`` event. :func:`redact_secrets` replaces, in a conversation's events, the text
of every user message that answered one of those questions (the ``requested_slot`` set before it)
with :data:`MASK`, and the value of every ``slot`` event of those slots with :data:`MASK`. The
tracker store applies it before saving or streaming a conversation (bot/tracker_store.py), so the
transcript, the event broker and the console only ever see the mask; the validating actions clear
the slots in the same turn (actions/access.py, actions/intake.py).

Rasa Open Source has no hook to anonymise events before they are stored (its anonymisation
pipeline is a Rasa Pro plugin that only touches the broker's copy), hence this small function.
"""

from __future__ import annotations

import itertools
from collections.abc import MutableSequence
from typing import Any

from rasa.shared.core.events import (
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

#: Form questions whose answer is a secret.
SECRET_SLOTS = frozenset({"access_secret", "access_new_secret", "draft_secret"})
#: What a redacted message or slot value holds instead.
MASK = "[secret word hidden]"


def _masked_message(event: UserUttered) -> UserUttered:
    parse = dict(event.parse_data or {})
    parse.update({"text": MASK, "entities": []})
    for key in ("response_selector",):
        parse.pop(key, None)
    masked = UserUttered(
        text=MASK,
        intent=event.intent,
        entities=[],
        parse_data=parse,  # type: ignore[arg-type]
        timestamp=event.timestamp,
        input_channel=event.input_channel,
        message_id=event.message_id,
        metadata=event.metadata,
    )
    return masked


def _is_button(text: Any) -> bool:
    return isinstance(text, str) and text.startswith("/")


def redact_secrets(events: MutableSequence[Event]) -> int:
    """Masks, in place, every secret answer and secret slot value; returns how many events."""
    return redact_secrets_from(events, 0, None)[0]


def redact_secrets_from(
    events: MutableSequence[Event], start: int, requested: Any
) -> tuple[int, Any]:
    """:func:`redact_secrets` resumed at ``events[start]``, ``requested`` being the question
    asked after ``events[:start]`` (the second value this returned for them; None at 0).

    Whether an event is masked depends only on the events before it, and masking changes none of
    those that set the question (nor a masked value again), so resuming after a prefix this
    already masked gives exactly what the whole scan gives. Returns how many events it masked
    and the question asked after the last event.
    """
    changed = 0
    for index, event in enumerate(itertools.islice(events, start, None), start):
        if isinstance(event, (Restarted, SessionStarted)):
            requested = None
        elif isinstance(event, ActiveLoop) and event.name is None:
            requested = None
        elif isinstance(event, SlotSet):
            if event.key == "requested_slot":
                requested = event.value
            elif event.key in SECRET_SLOTS and event.value not in (None, MASK):
                if not _is_button(event.value):
                    events[index] = SlotSet(
                        event.key, MASK, timestamp=event.timestamp, metadata=event.metadata
                    )
                    changed += 1
        elif isinstance(event, UserUttered):
            if requested in SECRET_SLOTS and event.text not in (None, MASK) and not _is_button(event.text):
                events[index] = _masked_message(event)
                changed += 1
    return changed, requested


def clear_secret_slots(tracker: Any) -> list[str]:
    """Slots still holding a secret at the end of a turn are cleared (a SlotSet each)."""
    cleared = []
    for name in sorted(SECRET_SLOTS):
        if name in tracker.slots and tracker.get_slot(name) not in (None, MASK):
            tracker.update(SlotSet(name, None))
            cleared.append(name)
    return cleared
