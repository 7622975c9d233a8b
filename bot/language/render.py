"""A domain response as Rasa's NLG renders it, for slot values the tracker does not hold yet.

Rasa renders a response an action asks for (``dispatcher.utter_message(response=...)``) with the
tracker as it was *before* that action's events: the variation is chosen by the slots then
(``language`` picks the translation). When the form's validation decides the language of the
very message it answers (``actions/session.decide_language``: one call per form turn), its own
replies must be in the new language although the tracker still holds the old one. Only then do
the actions render those replies here, with the same rules as Rasa 3.6's
``TemplatedNaturalLanguageGenerator`` (``rasa/core/nlg/response.py``, ``generator.py``,
``interpolator.py``): a variation whose every condition matches the slots, else the one without
a condition; ``{name}`` placeholders filled from the slots and the call's values in ``text``,
``image``, ``custom``, ``buttons``, ``attachment`` and ``quick_replies``; the message carries the
variation's other keys and ``utter_action`` as Rasa's would.
"""

from __future__ import annotations

import copy
import re
from typing import Any

#: The keys of a response whose strings Rasa interpolates.
INTERPOLATED = ("text", "image", "custom", "buttons", "attachment", "quick_replies")
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def _matches(variation: dict[str, Any], slots: dict[str, Any]) -> bool:
    for constraint in variation.get("condition") or []:
        filled = slots.get(constraint.get("name"))
        wanted = constraint.get("value")
        if isinstance(filled, str) and isinstance(wanted, str):
            if filled.casefold() != wanted.casefold():
                return False
        elif filled != wanted:
            return False
    return True


def choose_variation(
    domain: dict[str, Any], name: str, slots: dict[str, Any]
) -> dict[str, Any] | None:
    """The variation of response ``name`` Rasa would pick for these slots (None: no response).

    Our responses have one variation per language and no channel-specific ones; where several
    would match, Rasa picks at random and this takes the first.
    """
    variations = (domain.get("responses") or {}).get(name)
    if not variations:
        return None
    conditional = [v for v in variations if v.get("condition") and _matches(v, slots)]
    plain = [v for v in variations if not v.get("condition")]
    for candidates in (conditional, plain):
        unchanneled = [v for v in candidates if v.get("channel") is None]
        if unchanneled:
            return unchanneled[0]
    return None


def interpolate_text(text: str, values: dict[str, Any]) -> str:
    """Rasa's ``interpolate_text``: ``{name}`` from ``values``; unknown names leave it as it is."""
    try:
        filled = _PLACEHOLDER.sub(r"{0[\1]}", text).format(values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return text
    if "0[" in filled:
        try:
            return text.format({})
        except (KeyError, IndexError, ValueError):
            return text
    return filled


def interpolate(value: Any, values: dict[str, Any]) -> Any:
    """Rasa's ``interpolate``: every string inside dicts and lists."""
    if isinstance(value, str):
        return interpolate_text(value, values)
    if isinstance(value, dict):
        return {key: interpolate(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, values) for item in value]
    return value


def render(
    domain: dict[str, Any], name: str, slots: dict[str, Any], values: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Response ``name`` for ``slots`` with ``values``: the variation's keys, filled, and
    ``utter_action``; None when the domain has no such response (Rasa sends nothing then)."""
    chosen = choose_variation(domain, name, slots)
    if chosen is None:
        return None
    message = copy.deepcopy(chosen)
    fill = {**slots, **(values or {})}
    if fill:
        for key in INTERPOLATED:
            if key in message:
                message[key] = interpolate(message[key], fill)
    message["utter_action"] = name
    return message
