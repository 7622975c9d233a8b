"""Language detection and choice for short chat messages (pure Python, no Rasa import).

Public API::

    detect(text, hint=None) -> Detection(language, confidence, reason)
    is_non_linguistic(text) -> bool
    choose_language(text, *, current, locked, hint, history=(), offered=()) -> Decision(language,
        changed, ask, offer)  # offer: a switch to propose with buttons, never imposed
    parse_language_choice(text, menu_order=None) -> str | None
    menu() -> list[(code, own name)]
    is_change_language_request(text) -> bool
    warm_up() -> None   # load models at start-up so the first message is fast

The list of languages lives in ``bot/languages.yml`` (read through ``bot.languages``).
"""

from __future__ import annotations

from bot.language.choice import is_change_language_request, menu, parse_language_choice
from bot.language.detect import Detection, detect
from bot.language.latin import warm_up
from bot.language.policy import Decision, choose_language, is_non_linguistic

__all__ = [
    "Decision",
    "Detection",
    "choose_language",
    "detect",
    "is_change_language_request",
    "is_non_linguistic",
    "menu",
    "parse_language_choice",
    "warm_up",
]
