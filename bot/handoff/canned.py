"""Canned operator replies: chosen by the operator in their language, sent in the person's.

An operator who does not speak the person's language can still greet them, ask whether they are
safe, say an interpreter is on the way, ask to call back and when, and close the chat. The words
live in ``locales/canned/<code>.yml`` (English in ``en.yml``): each key has a short ``title`` (what
the operator picks from) and the ``text`` the person receives. These are not Rasa responses; the
console reads them here and sends the text through ``utter_operator_message`` like any reply.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Final

import yaml

from bot import languages

CANNED_DIR: Final = Path(__file__).resolve().parents[2] / "locales" / "canned"
DEFAULT_LANGUAGE: Final = "en"

#: Every canned reply, in the order the operator sees them.
CANNED: tuple[str, ...] = (
    "greeting",
    "are_you_safe",
    "interpreter",
    "call_back",
    "safe_time",
    "closing",
)


@functools.lru_cache(maxsize=1)
def _all() -> dict[str, dict[str, dict[str, str]]]:
    """``{language: {key: {"title": ..., "text": ...}}}`` from every file (read once per process)."""
    result: dict[str, dict[str, dict[str, str]]] = {}
    for path in sorted(CANNED_DIR.glob("*.yml")):
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        code = str(data.get("language") or path.stem)
        entries = data.get("canned") or {}
        result[code] = {
            key: {field: str(value).strip() for field, value in (entry or {}).items() if value}
            for key, entry in entries.items()
        }
    return result


def _entry(key: str, language: str | None, field: str) -> str:
    if key not in CANNED:
        raise KeyError(key)
    code = languages.normalise_code(language) or DEFAULT_LANGUAGE
    table = _all()
    found = table.get(code, {}).get(key, {}).get(field)
    return found or table[DEFAULT_LANGUAGE][key][field]


def canned_choices(staff_language: str = "en") -> list[tuple[str, str]]:
    """Every canned reply as ``(key, short title in the staff language)``, in ``CANNED`` order."""
    return [(key, _entry(key, staff_language, "title")) for key in CANNED]


#: Our code for a language the titles can be listed in (any of the service's languages, in any
#: letter case), or None for anything else.
listing_language = languages.normalise_code


def canned_titles(staff_language: str | None) -> list[tuple[str, str, str | None]]:
    """Every canned reply as ``(key, title in the staff language, English title)``, in ``CANNED``
    order; the English is None where the title is already English (or the same words), so staff
    reviewing each other read both. An unknown language lists the English titles."""
    code = listing_language(staff_language) or DEFAULT_LANGUAGE
    english = dict(canned_choices(DEFAULT_LANGUAGE))
    return [
        (key, title, None if code == DEFAULT_LANGUAGE or title == english[key] else english[key])
        for key, title in canned_choices(code)
    ]


def canned_text(key: str, language: str) -> str:
    """The full text of a canned reply in the person's language (English where it has none).

    Raises:
        KeyError: If ``key`` is not one of ``CANNED``.
    """
    return _entry(key, language, "text")
