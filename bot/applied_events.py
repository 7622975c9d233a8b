"""Rasa's ``DialogueStateTracker.applied_events``, the same result in linear time.

Why a patch
-----------
Rasa 3.6.21 works out the events "applied" to a conversation (reverted ones removed, a form's
happy-path turns folded into its first execution) many times per message: when it checks whether
the session expired, for every policy prediction (``past_states``), when it replays a tracker.
Its algorithm walks back, for every execution of a form, through everything kept since the form's
first execution, and copies the whole list each time — quadratic in the length of a report. In a
report told over 60 messages it took about 70 % of Rasa's time per message (cProfile:
``BENCH_PROFILE_FILE`` in scripts/bench_diagnose.py), and is most of why a turn cost more the
longer the conversation (issue #13, point 2).

How
---
The same fold over the events, but the two backward walks only look at the events that can change
their outcome (actions, user messages, loop deactivations, rejections, featurisation markers),
kept as a list of positions; removed events leave a hole instead of shifting the list. Each event
is then visited a bounded number of times.

Exactness is the contract: ``tests/bot/test_applied_events.py`` compares this function with Rasa's
own method, kept as :data:`RASA_APPLIED_EVENTS`, on thousands of random event sequences (and on
real report conversations), so a Rasa upgrade that changes the algorithm fails that test.
Installed once per process by :func:`bot.reliability.install`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

#: Rasa's own method (the reference the tests compare with).
RASA_APPLIED_EVENTS = DialogueStateTracker.applied_events

_HOLE: Any = object()
#: Events the backward walks look at; every other kind is passed over by both.
_VISIBLE = (ActionExecuted, UserUttered, ActionExecutionRejected, ActiveLoop,
            DefinePrevUserUtteredFeaturization)
_FOLDED = (ActionExecuted, UserUttered, DefinePrevUserUtteredFeaturization)


# What the fold does with an event, by its class (worked out once per class with isinstance, as
# Rasa's method tests each event): one dict lookup per event instead of a chain of isinstance.
_RESET, _ACTION_REVERTED, _USER_REVERTED, _ACTION, _LOOP, _OTHER = range(6)


_KINDS: dict[type, int] = {}
_VISIBLE_CLASSES: dict[type, bool] = {}


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        if issubclass(cls, (Restarted, SessionStarted)):
            kind = _RESET
        elif issubclass(cls, ActionReverted):
            kind = _ACTION_REVERTED
        elif issubclass(cls, UserUtteranceReverted):
            kind = _USER_REVERTED
        elif issubclass(cls, ActionExecuted):
            kind = _ACTION
        elif issubclass(cls, ActiveLoop):
            kind = _LOOP
        else:
            kind = _OTHER
        _KINDS[cls] = kind
    return kind


def _visible(cls: type) -> bool:
    visible = _VISIBLE_CLASSES.get(cls)
    if visible is None:
        visible = _VISIBLE_CLASSES[cls] = issubclass(cls, _VISIBLE)
    return visible


def applied_events(events: Iterable[Event]) -> list[Event]:
    """The events applied to a conversation: what ``DialogueStateTracker.applied_events``
    returns for a tracker with these events."""
    events = list(events)
    loop_names = {e.name for e in events if _kind(type(e)) == _LOOP and e.name}
    applied: list[Any] = []  # with _HOLE where a folded event was
    visible: list[int] = []  # positions in `applied` of the events the walks look at
    for event in events:
        kind = _kind(type(event))
        if kind == _RESET:
            applied, visible = [], []
        elif kind == _ACTION_REVERTED:
            _undo_till_previous(ActionExecuted, applied, visible)
        elif kind == _USER_REVERTED:
            _undo_till_previous(UserUttered, applied, visible)
            _undo_till_previous(ActionExecuted, applied, visible)
        elif (
            kind == _ACTION
            and event.action_name in loop_names
            and not _first_loop_execution_or_unhappy_path(event.action_name, applied, visible)
        ):
            _undo_till_previous_loop_execution(event.action_name, applied, visible)
        else:
            if _visible(type(event)):
                visible.append(len(applied))
            applied.append(event)
    return [e for e in applied if e is not _HOLE]


def _undo_till_previous(kind: type, applied: list[Any], visible: list[int]) -> None:
    """Removes events from the end up to and including the latest one of `kind`."""
    while applied:
        event = applied.pop()
        if visible and visible[-1] == len(applied):
            visible.pop()
        if isinstance(event, kind):  # a hole is no event of any kind
            return


def _first_loop_execution_or_unhappy_path(name: str, applied: list[Any],
                                          visible: list[int]) -> bool:
    next_action: str | None = None
    for at in reversed(visible):
        event = applied[at]
        if isinstance(event, ActiveLoop) and event.name is None:
            return True
        if (isinstance(event, ActionExecutionRejected) and event.action_name == name) or (
            isinstance(event, UserUttered) and next_action is not None and next_action != name
        ):
            return True
        if isinstance(event, ActionExecuted):
            if event.action_name == name:
                return False
            next_action = event.action_name
    return True


def _undo_till_previous_loop_execution(name: str, applied: list[Any],
                                       visible: list[int]) -> None:
    """Folds the actions and messages since the loop's previous execution into it (the events
    that are not actions or messages stay)."""
    kept: list[int] = []
    while visible:
        at = visible[-1]
        event = applied[at]
        if isinstance(event, ActionExecuted) and event.action_name == name:
            break
        visible.pop()
        if isinstance(event, _FOLDED):
            applied[at] = _HOLE
        else:
            kept.append(at)
    visible.extend(reversed(kept))


def _tracker_applied_events(self: DialogueStateTracker) -> list[Event]:
    return applied_events(self.events)


def install() -> None:
    """Replaces Rasa's method (idempotent)."""
    DialogueStateTracker.applied_events = _tracker_applied_events  # type: ignore[method-assign]
