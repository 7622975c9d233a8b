"""Explicit language choices: the menu, typed language names, and "change language" requests."""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Sequence

from bot import languages
from bot.language.script import script_weights
from bot.language.text import strip_diacritics, tokens

logger = logging.getLogger(__name__)

__all__ = ["PAYLOAD_PREFIX", "is_change_language_request", "menu", "parse_language_choice"]

PAYLOAD_PREFIX = "lang:"
_INFORM = re.compile(r"^/inform\s*(\{.*\})\s*$", re.DOTALL)
# fmt: off
# Words around a language name that do not change the choice ("Korean please", "in Vietnamese").
_FILLERS = frozenset(
    {"please", "pls", "plz", "in", "language", "lang", "speak", "use", "the", "po", "ạ", "a",
     "đi", "di", "lah", "la", "ka", "na", "i", "want", "prefer"}
)
# "bahasa" alone means "language" in Malay and Indonesian and could be either; it is a request
# for the menu, not a choice.
_AMBIGUOUS_NAMES = frozenset({"bahasa"})

# Words for "language" (a bare one opens the menu) and for "change" (with "language" it does).
_LANGUAGE_WORDS_LATIN = frozenset({"language", "languages", "lang", "wika", "bahasa", "idioma"})
_LANGUAGE_PHRASES_LATIN = (("ngon", "ngu"),)
_LANGUAGE_WORDS_OTHER = ("语言", "語言", "言語", "언어", "ภาษา", "ဘာသာစကား", "ဘာသာ", "ភាសា")
_CHANGE_WORDS_LATIN = frozenset(
    {"change", "switch", "other", "another", "different", "choose", "select", "set", "doi",
     "chuyen", "thay", "palitan", "palit", "ibang", "iba", "tukar", "ganti", "ubah", "pilih",
     "menu"}
)
_CHANGE_WORDS_OTHER = (
    "改", "换", "換", "转", "轉", "切换", "切換", "选", "選", "변경", "바꾸", "바꿔", "変更", "変え",
    "切り替", "เปลี่ยน", "เลือก", "ပြောင်း", "ប្តូរ", "ប្ដូរ", "ផ្លាស់",
)
# fmt: on
_MAX_REQUEST_TOKENS = 6
_MAX_REQUEST_CHARS = 16  # for scripts written without spaces


def _key(text: str) -> str:
    """Normalise a name for lookup: NFKC (full-width brackets), case-fold, trim punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    start, end = 0, len(folded)
    # Trim punctuation, symbols and spaces, but never combining marks (Thai, Myanmar and Khmer
    # vowels are marks, and Python's \W would count them as punctuation).
    while start < end and unicodedata.category(folded[start])[0] in "PSZC":
        start += 1
    while end > start and unicodedata.category(folded[end - 1])[0] in "PSZC":
        end -= 1
    return re.sub(r"\s+", " ", folded[start:end])


def _is_latin(text: str) -> bool:
    weights = script_weights(text)
    return bool(weights) and max(sorted(weights), key=lambda s: weights[s]) == "latin"


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for lang in languages.all_languages():
        for name in (lang.own_name, lang.english_name, *lang.names):
            for key in {_key(name), _key(strip_diacritics(name)) if _is_latin(name) else ""}:
                if key and key not in _AMBIGUOUS_NAMES:
                    table.setdefault(key, lang.code)
    return table


def menu() -> list[tuple[str, str]]:
    """Return the language menu: ``(code, own name)`` pairs in ``languages.yml`` order."""
    return [(lang.code, lang.own_name) for lang in languages.all_languages()]


def _payload_choice(text: str) -> str | None:
    value = text.strip()
    match = _INFORM.match(value)
    if match:
        try:
            data = json.loads(match.group(1))
        except ValueError:
            return None
        value = str(data.get("choice", "")) if isinstance(data, dict) else ""
    if value.lower().startswith(PAYLOAD_PREFIX):
        return languages.normalise_code(value[len(PAYLOAD_PREFIX) :])
    return None


def _lookup(key: str) -> str | None:
    table = _names()
    if key in table:
        return table[key]
    if _is_latin(key):
        plain = strip_diacritics(key)
        if plain in table:
            return table[plain]
        words = [w for w in tokens(key) if w not in _FILLERS]
        if words and len(words) < len(tokens(key)):
            trimmed = " ".join(words)
            return table.get(trimmed) or table.get(strip_diacritics(trimmed))
    return None


def parse_language_choice(text: str, menu_order: Sequence[str] | None = None) -> str | None:
    """Recognise a person naming a language explicitly.

    Accepts a menu payload (``lang:vi`` or ``/inform{"choice":"lang:vi"}``), any language's own
    or English name or a listed variant (``中文``, ``繁體``, ``廣東話``, ``tieng viet``,
    ``한국어``, ``tagalog``, ``melayu``, ``indonesia``, ``burmese``, ``ខ្មែរ`` ...), with or without
    diacritics and with filler words (``"Korean please"``), and a menu number when
    ``menu_order`` is given. A name inside a longer sentence ("I'm Korean") is not a choice.

    Args:
        text: The message.
        menu_order: The codes in the order the menu showed them, to read ``"3"`` as the third.

    Returns:
        The chosen language code, or None.
    """
    if not text or not text.strip():
        return None
    payload = _payload_choice(text)
    if payload:
        return payload
    key = _key(text)
    if menu_order and key.isdigit():
        index = int(key) - 1
        if 0 <= index < len(menu_order):
            return languages.normalise_code(menu_order[index])
        return None
    return _lookup(key)


def is_change_language_request(text: str) -> bool:
    """Recognise a request to change language / see the language menu.

    True for a bare word for "language" in any of our languages (``language``, ``语言``,
    ``ngôn ngữ``, ``언어``, ``言語``, ``ภาษา``, ``wika``, ``bahasa``, ``ဘာသာစကား``, ``ភាសា``) and for
    short messages that pair it with a word for change (``change language``, ``đổi ngôn ngữ``,
    ``언어 변경``, ``เปลี่ยนภาษา``, ``tukar bahasa``). False when the text names a specific language
    (that is a choice: use :func:`parse_language_choice`) and for longer sentences that merely
    mention language.

    Args:
        text: The message.

    Returns:
        Whether the person asks for the language menu.
    """
    if not text or parse_language_choice(text):
        return False
    key = _key(text)
    plain = strip_diacritics(key) if _is_latin(key) else key
    toks = tokens(plain)
    has_language = bool(set(toks) & _LANGUAGE_WORDS_LATIN) or any(
        phrase == tuple(toks[i : i + len(phrase)])
        for phrase in _LANGUAGE_PHRASES_LATIN
        for i in range(len(toks))
    )
    has_language = has_language or any(word in key for word in _LANGUAGE_WORDS_OTHER)
    if not has_language:
        return False
    if key in _LANGUAGE_WORDS_LATIN or plain in {"ngon ngu"} or key in _LANGUAGE_WORDS_OTHER:
        return True
    compact = key.replace(" ", "")
    if len(toks) > _MAX_REQUEST_TOKENS or (
        not _is_latin(key) and len(compact) > _MAX_REQUEST_CHARS
    ):
        return False
    has_change = bool(set(toks) & _CHANGE_WORDS_LATIN) or any(w in key for w in _CHANGE_WORDS_OTHER)
    return has_change
