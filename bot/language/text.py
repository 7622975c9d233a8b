"""Small text helpers shared by the language modules: folding, tokens, diacritics."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "strip_diacritics", "tokens"]

_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SPACES = re.compile(r"\s+")


def strip_diacritics(text: str) -> str:
    """Remove accents (``tiếng việt`` → ``tieng viet``); ``đ`` becomes ``d``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case, NFC-normalise and squeeze whitespace (keeps diacritics)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


def tokens(text: str) -> list[str]:
    """Return the word tokens of already-folded text (letters, with inner ``'`` or ``-``)."""
    return _TOKEN.findall(text)
