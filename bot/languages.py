"""The one list of languages the service speaks, loaded from ``bot/languages.yml``.

Everything else (detector, menus, channel hints, domain checks) reads languages from here, so
adding a language is one YAML entry. The file is read lazily on first use, never at import.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

LANGUAGES_FILE = Path(__file__).with_name("languages.yml")
# Provided lazily by the module __getattr__ below (the file is read on first use).
LANGUAGES: tuple[Language, ...]

__all__ = [
    "Language",
    "LANGUAGES",
    "LANGUAGES_FILE",
    "all_languages",
    "codes",
    "from_locale_tag",
    "from_phone",
    "get",
]


@dataclass(frozen=True)
class Language:
    """One supported language.

    Attributes:
        code: Our code, the value of the ``language`` slot (e.g. ``"zh-Hant"``).
        english_name: Name in English.
        own_name: Name in the language itself, as shown in the language menu.
        script: Writing system the detector routes on (see ``bot.language.script``).
        langdetect: langdetect profile codes that mean this language.
        lingua: ``lingua.Language`` member name, or None when lingua has no model for it.
        phone: Country calling codes whose numbers hint this language.
        locales: Lower-case locale tags (browser, Telegram ``language_code``) that map to it.
        names: Extra lower-case names people use when choosing it.
    """

    code: str
    english_name: str
    own_name: str
    script: str
    langdetect: tuple[str, ...]
    lingua: str | None
    phone: tuple[str, ...]
    locales: tuple[str, ...]
    names: tuple[str, ...]


def _parse(entry: dict[str, Any]) -> Language:
    return Language(
        code=str(entry["code"]),
        english_name=str(entry["english_name"]),
        own_name=str(entry["own_name"]),
        script=str(entry["script"]),
        langdetect=tuple(str(c) for c in entry.get("langdetect") or ()),
        lingua=str(entry["lingua"]) if entry.get("lingua") else None,
        phone=tuple(str(c) for c in entry.get("phone") or ()),
        locales=tuple(str(t).lower() for t in entry.get("locales") or ()),
        names=tuple(str(n).lower() for n in entry.get("names") or ()),
    )


@functools.lru_cache(maxsize=1)
def all_languages() -> tuple[Language, ...]:
    """Load and validate the language list (cached after the first call).

    Returns:
        The languages in menu order.

    Raises:
        ValueError: If the file has a duplicate code, locale tag or calling code.
    """
    with LANGUAGES_FILE.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    languages = tuple(_parse(entry) for entry in raw["languages"])
    seen_codes: set[str] = set()
    seen_locales: dict[str, str] = {}
    seen_phone: dict[str, str] = {}
    for lang in languages:
        if lang.code in seen_codes:
            raise ValueError(f"duplicate language code {lang.code!r} in {LANGUAGES_FILE}")
        seen_codes.add(lang.code)
        for tag in lang.locales:
            if tag in seen_locales:
                raise ValueError(f"locale {tag!r} maps to {seen_locales[tag]} and {lang.code}")
            seen_locales[tag] = lang.code
        for cc in lang.phone:
            if cc in seen_phone:
                raise ValueError(f"calling code {cc} maps to {seen_phone[cc]} and {lang.code}")
            seen_phone[cc] = lang.code
    logger.debug("loaded %s languages", len(languages))
    return languages


@functools.lru_cache(maxsize=1)
def _by_code() -> dict[str, Language]:
    return {lang.code: lang for lang in all_languages()}


@functools.lru_cache(maxsize=1)
def _by_code_folded() -> dict[str, str]:
    return {lang.code.lower(): lang.code for lang in all_languages()}


@functools.lru_cache(maxsize=1)
def _by_locale() -> dict[str, str]:
    return {tag: lang.code for lang in all_languages() for tag in lang.locales}


@functools.lru_cache(maxsize=1)
def _by_phone() -> dict[str, str]:
    return {cc: lang.code for lang in all_languages() for cc in lang.phone}


def codes() -> list[str]:
    """Return every language code in menu order."""
    return [lang.code for lang in all_languages()]


def get(code: str) -> Language:
    """Return the language with this code.

    Args:
        code: One of :func:`codes` (exact spelling).

    Raises:
        KeyError: If the code is not a supported language.
    """
    return _by_code()[code]


def normalise_code(value: str | None) -> str | None:
    """Return our code for a code in any letter case (``"zh-hant"`` → ``"zh-Hant"``), else None."""
    if not value:
        return None
    return _by_code_folded().get(value.strip().lower())


def from_locale_tag(tag: str | None) -> str | None:
    """Map a browser/Telegram locale tag to our code.

    Tries the whole tag, then drops subtags from the right: ``zh-Hant-HK`` → ``zh-hant`` →
    ``zh``. Underscores are read as hyphens (``zh_TW``). Script subtags win over the region
    default, so ``zh-Hans-HK`` is Simplified.

    Args:
        tag: e.g. ``"vi-VN"``, ``"zh-TW"``, ``"fil"``, ``"en_GB"``; None or empty gives None.

    Returns:
        Our language code, or None when the tag names no supported language.
    """
    if not tag:
        return None
    parts = [p for p in re.split(r"[-_]", tag.strip().lower()) if p]
    table = _by_locale()
    # A script subtag (4 letters) is decisive for Chinese whatever the region says.
    if len(parts) >= 2 and len(parts[1]) == 4:
        scripted = f"{parts[0]}-{parts[1]}"
        if scripted in table:
            return table[scripted]
    while parts:
        hit = table.get("-".join(parts))
        if hit:
            return hit
        parts.pop()
    return None


def from_phone(e164: str | None) -> str | None:
    """Map a phone number's country calling code to the language it hints.

    Args:
        e164: A number such as ``"+84 912 345 678"`` or ``"0084912345678"``; spaces, dashes and
            a ``whatsapp:`` prefix are ignored. A number without an international prefix gives
            None (we cannot know its country).

    Returns:
        Our language code, or None when the country hints none of our languages.
    """
    if not e164:
        return None
    text = e164.strip().lower()
    if text.startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if text.startswith("+"):
        digits = re.sub(r"\D", "", text)
    elif text.startswith("00"):
        digits = re.sub(r"\D", "", text)[2:]
    else:
        return None
    table = _by_phone()
    # Calling codes are prefix-free and 1-3 digits long.
    for length in (1, 2, 3):
        hit = table.get(digits[:length])
        if hit:
            return hit
    return None


def __getattr__(name: str) -> Any:
    """Provide ``LANGUAGES`` lazily so importing this module reads no file."""
    if name == "LANGUAGES":
        return all_languages()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
