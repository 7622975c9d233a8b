"""Unicode script classification for routing a message to the right detector."""

from __future__ import annotations

import unicodedata

__all__ = ["SCRIPTS", "script_of", "script_weights"]

# (first, last, script) code-point ranges; checked in order. Scripts not listed are "other".
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "latin"),
    (0x0061, 0x007A, "latin"),
    (0x00C0, 0x024F, "latin"),
    (0x1E00, 0x1EFF, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0E00, 0x0E7F, "thai"),
    (0x0E80, 0x0EFF, "lao"),
    (0x1000, 0x109F, "myanmar"),
    (0xA9E0, 0xA9FF, "myanmar"),
    (0xAA60, 0xAA7F, "myanmar"),
    (0x1100, 0x11FF, "hangul"),
    (0x3130, 0x318F, "hangul"),
    (0xAC00, 0xD7AF, "hangul"),
    (0x1780, 0x17FF, "khmer"),
    (0x19E0, 0x19FF, "khmer"),
    (0x3040, 0x30FF, "kana"),
    (0x31F0, 0x31FF, "kana"),
    (0xFF66, 0xFF9F, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xF900, 0xFAFF, "han"),
    (0x20000, 0x2EBEF, "han"),
)

SCRIPTS: frozenset[str] = frozenset(name for _, _, name in _RANGES)

# How much one character says, roughly per script: a Han or Hangul syllable carries about as much
# as two or three Latin letters, so mixed text is weighed fairly.
_WEIGHT: dict[str, float] = {"han": 2.0, "hangul": 2.0, "kana": 1.5}

# The prolonged-sound mark and middle dot sit in the kana block but are also used elsewhere.
_NEUTRAL = {"\u30fb", "\u30fc"}


def script_of(ch: str) -> str | None:
    """Return the script name of one character, or None for non-letters and unknown scripts."""
    if ch in _NEUTRAL:
        return None
    cp = ord(ch)
    for first, last, name in _RANGES:
        if first <= cp <= last:
            # Combining marks belong to their script (Thai, Myanmar and Khmer vowels are marks).
            if name == "latin" and not ch.isalpha():
                return None
            return name
    return None


def script_weights(text: str) -> dict[str, float]:
    """Weigh the letters of ``text`` by script.

    Args:
        text: Any text.

    Returns:
        A mapping from script name to weighted letter count; digits, punctuation, emoji and
        unclassified letters are not counted.
    """
    weights: dict[str, float] = {}
    for ch in text:
        name = script_of(ch)
        if name is None:
            if ch.isalpha() and unicodedata.category(ch).startswith("L"):
                weights["other"] = weights.get("other", 0.0) + 1.0
            continue
        weights[name] = weights.get(name, 0.0) + _WEIGHT.get(name, 1.0)
    return weights
