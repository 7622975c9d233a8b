"""When to set, keep or switch the conversation language, when to offer a switch, when to ask.

A conversation belongs to the person's language. Once they have written in it, a few words of
another language never move it: people type a place, a date, "skip", "last week" or "I don't
know" in English while being more at ease in their own language. Only strong evidence (several
long messages clearly in another language) leads to an *offer* to switch, which the person accepts
or declines with a button; an explicit choice (menu button or a language's name) always wins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import languages
from bot.language.choice import parse_language_choice
from bot.language.detect import detect, hint_code
from bot.language.script import script_weights
from bot.language.text import fold, strip_diacritics, tokens

logger = logging.getLogger(__name__)

__all__ = [
    "Decision",
    "OFFER_MESSAGES",
    "SET_THRESHOLD",
    "SWITCH_THRESHOLD",
    "choose_language",
    "is_long",
    "is_non_linguistic",
]

# Set a language without asking (no current language) at or above this confidence.
SET_THRESHOLD = 0.7
# Switch away from the current language only at or above this (detected with current as prior).
SWITCH_THRESHOLD = 0.85

# One-word replies that people type whatever their language; they say nothing about it.
# fmt: off
_COMMON_REPLIES = frozenset(
    {
        "ok", "okay", "okey", "oke", "okie", "oki", "okk", "k", "kk", "kay", "yes", "yep", "yeah",
        "yea", "ya", "yah", "yup", "y", "no", "nope", "nah", "n", "hi", "hello", "hey", "bye",
        "thx", "thanks", "ty", "tq", "tks", "lol", "xd", "hmm", "hm", "uh", "um", "oh", "ah",
        "eh", "wow", "pls", "plz", "sorry", "bus", "taxi", "uber", "police", "covid", "london",
        "mrt", "tube", "email", "whatsapp", "facebook", "instagram", "tiktok", "wechat", "line",
        "telegram", "google", "ok lah", "ok la", "okla", "okok", "done", "next", "skip", "stop",
        "help", "sos", "mm", "mmm", "哈哈", "哈哈哈", "嗯", "嗯嗯", "ok啦", "ok呀", "okay啦",
    }
)
# fmt: on
_LAUGH = re.compile(r"^(?:(?:ha|he|hi|ho|kk|wk|ㅋ|ㅎ|哈|呵|w)+h?)$")
_URL_OR_EMAIL = re.compile(r"^(?:https?://\S+|www\.\S+|\S+@\S+\.\S+)$")
# Letters needed in one unspaced run before it counts as more than one word.
_MIN_CHARS_SEVERAL_WORDS = {"han": 4, "kana": 4, "thai": 6, "myanmar": 6, "khmer": 6}
# A "long" message, the only kind that counts as evidence for offering a switch: at least this many
# words (spaced scripts) or letters (scripts written without spaces).
LONG_WORDS = 5
_LONG_CHARS_UNSPACED = {"han": 8, "kana": 10, "thai": 16, "myanmar": 16, "khmer": 16}
# Long messages in a row, clearly in another language, before the switch is offered.
OFFER_MESSAGES = 2


@dataclass(frozen=True)
class Decision:
    """Result of :func:`choose_language`.

    Attributes:
        language: The language to use from now on (None only when nothing is known at all).
        changed: True when ``language`` differs from the current one.
        ask: True when the bot should show the language menu because it is not sure.
        offer: A language to *offer* a switch to (the conversation stays in ``language`` until
            the person accepts), or None.
    """

    language: str | None
    changed: bool
    ask: bool
    offer: str | None = None


def is_non_linguistic(text: str) -> bool:
    """Whether a message says nothing about its language.

    True for empty text, numbers, emoji, punctuation, links and e-mail addresses, laughter
    ("haha", "ㅋㅋ", "555"), and short replies common to every language ("ok", "yes", "no",
    "k", "thx", "bus", "👍").

    Args:
        text: The message.

    Returns:
        True when the text carries no language signal.
    """
    folded = fold(text or "")
    if not folded or sum(script_weights(folded).values()) == 0:
        return True
    if _URL_OR_EMAIL.match(folded):
        return True
    words = tokens(strip_diacritics(folded))
    joined = " ".join(words)
    if joined in _COMMON_REPLIES or folded in _COMMON_REPLIES:
        return True
    if words and all(w in _COMMON_REPLIES or _LAUGH.match(w) for w in words):
        return True
    return bool(_LAUGH.match(folded.replace(" ", "")))


def _is_one_word(text: str) -> bool:
    """Whether a message is a single word (unspaced scripts: a short run of characters)."""
    folded = fold(text or "")
    words = folded.split()
    if len(words) != 1:
        return len(tokens(folded)) <= 1
    weights = script_weights(folded)
    if not weights:
        return True
    script = max(sorted(weights), key=lambda name: weights[name])
    minimum = _MIN_CHARS_SEVERAL_WORDS.get(script)
    if minimum is None:
        return True
    letters = sum(1 for ch in folded if ch.isalpha() or not ch.isascii() and ch.isprintable())
    return letters < minimum


def is_long(text: str) -> bool:
    """Whether a message is long enough to be evidence of the language a person is writing in."""
    folded = fold(text or "")
    weights = script_weights(folded)
    if not weights:
        return False
    script = max(sorted(weights), key=lambda name: weights[name])
    unspaced = _LONG_CHARS_UNSPACED.get(script)
    if unspaced is not None:
        letters = sum(1 for ch in folded if ch.isalpha() or not ch.isascii() and ch.isprintable())
        return letters >= unspaced
    return len(tokens(folded)) >= LONG_WORDS


def _script(text: str) -> str | None:
    weights = script_weights(fold(text or ""))
    return max(sorted(weights), key=lambda name: weights[name]) if weights else None


def _clearly_in(text: str, current: str) -> str | None:
    """The other language a long message is clearly written in, or None."""
    if is_non_linguistic(text) or not is_long(text):
        return None
    detection = detect(text, hint=current)
    if detection.language and detection.language != current and (
        detection.confidence >= SWITCH_THRESHOLD
    ):
        return detection.language
    return None


def _established(history: Sequence[str]) -> bool:
    """Whether the person has already written (more than a word) in this conversation."""
    return any(not is_non_linguistic(t) and not _is_one_word(t) for t in history)


def choose_language(
    text: str,
    *,
    current: str | None,
    locked: bool,
    hint: str | None,
    history: Sequence[str] = (),
    offered: Iterable[str] = (),
) -> Decision:
    """Decide the conversation language after one message.

    Rules, in order:

    1. An explicit choice (menu payload or a language's name) always wins, even when locked.
    2. A locked language changes only by rule 1.
    3. A non-linguistic or one-word message never switches an existing language.
    4. Once the person has written in the conversation (``history``), its language is theirs: it
       never switches on its own. When this message and the ``OFFER_MESSAGES - 1`` linguistic
       messages before it are all long and clearly in the same other language, that language is
       *offered* (``offer``), once per conversation (``offered``).
    5. Before that (the language came from a channel hint, or nothing but short replies yet),
       switch when detection (with the current language as prior) reaches ``SWITCH_THRESHOLD``,
       except on a short Latin-script reply ("last week", "skip"), which people type whatever
       their language.
    6. With no current language: set it when detection reaches ``SET_THRESHOLD``; otherwise ask
       (``ask=True``), proposing the detected guess, or the channel hint if the text says nothing.

    Args:
        text: The message (never logged).
        current: The ``language`` slot value, or None.
        locked: The ``language_locked`` slot: the person chose explicitly.
        hint: Channel prior (our code or a locale tag), or None.
        history: The person's earlier messages in this conversation, oldest first (never logged).
        offered: Languages already offered in this conversation (never offered twice).

    Returns:
        The decision.
    """
    current = languages.normalise_code(current)
    hinted = hint_code(hint)
    choice = parse_language_choice(text)
    if choice:
        return Decision(choice, changed=choice != current, ask=False)
    if current and locked:
        return Decision(current, changed=False, ask=False)
    non_linguistic = is_non_linguistic(text)
    if current:
        if non_linguistic or _is_one_word(text):
            return Decision(current, changed=False, ask=False)
        if _established(history):
            other = _clearly_in(text, current)
            if other is None or other in set(offered):
                return Decision(current, changed=False, ask=False)
            earlier = [t for t in history if not is_non_linguistic(t)][-(OFFER_MESSAGES - 1) :]
            if len(earlier) == OFFER_MESSAGES - 1 and all(
                _clearly_in(t, current) == other for t in earlier
            ):
                logger.debug("offering a language switch")
                return Decision(current, changed=False, ask=False, offer=other)
            return Decision(current, changed=False, ask=False)
        if not is_long(text) and _script(text) == "latin":
            # A short Latin-script reply ("last week", "skip", "Oxford Street", "ok lah") is
            # typed by people of every language: it never moves the language by itself.
            return Decision(current, changed=False, ask=False)
        detection = detect(text, hint=current)
        if (
            detection.language
            and detection.language != current
            and detection.confidence >= SWITCH_THRESHOLD
        ):
            logger.debug("switching language (reason %s)", detection.reason)
            return Decision(detection.language, changed=True, ask=False)
        return Decision(current, changed=False, ask=False)
    if non_linguistic:
        return Decision(hinted, changed=hinted is not None, ask=True)
    detection = detect(text, hint=hinted)
    if detection.language and detection.confidence >= SET_THRESHOLD:
        return Decision(detection.language, changed=True, ask=False)
    proposal = detection.language or hinted
    return Decision(proposal, changed=proposal is not None, ask=True)
