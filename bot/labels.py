"""Words people saw, for staff: the title of a stored choice or a pressed button, in any language.

The case stores stable values (``verbal_abuse``) and the transcript holds button payloads
(``/inform{"choice":"victim"}``); the words live only in the domain (``domain/*.yml``, one entry per
response holding every language). The console reads them from here so staff never see a code.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Final

import yaml

from bot import i18n

DOMAIN_DIR: Final = Path(__file__).resolve().parents[1] / "domain"


@functools.lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    """The responses of every ``domain/*.yml`` file, merged (read once per process)."""
    responses: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        responses.update(data.get("responses") or {})
    return {"responses": responses}


def choice_title(slot: str, value: str, language: str | None) -> str | None:
    """The button title of a stored choice (``utter_ask_<slot>``'s button), or None if unknown."""
    for choice, title in i18n.buttons(domain(), f"utter_ask_{slot}", language):
        if choice == value:
            return title
    return None


def button_title(payload: str, language: str | None, response: str | None = None) -> str | None:
    """The title a button with this payload carried in ``language``.

    ``response`` (the ``utter_*`` that offered it, when known) picks the right one where one
    payload is offered by several questions; otherwise the first response offering it wins.
    """
    keys = [response] if response else list(domain()["responses"])
    wanted = (payload or "").strip()
    for key in keys:
        var = i18n.variation(domain(), key, language) or {}
        for button in var.get("buttons") or []:
            if str(button.get("payload", "")).strip() == wanted:
                return str(button.get("title", ""))
    return None


def response_text(key: str, language: str | None, **values: Any) -> str:
    """A response's text in a language (English where it has none)."""
    return i18n.text(domain(), key, language, **values)


@functools.lru_cache(maxsize=32)
def _english_index(language: str) -> dict[str, str]:
    """``{words shown in language: the same words in English}`` for every response's text and
    every button title of the domain (read once per language; English gives an empty index)."""
    index: dict[str, str] = {}
    if not language or language == "en":
        return index
    for key in domain()["responses"]:
        own = i18n.variation(domain(), key, language) or {}
        english = i18n.variation(domain(), key, "en") or {}
        if own is english:
            continue  # no variation in this language: the person saw the English
        own_text, english_text = str(own.get("text") or "").strip(), str(english.get("text") or "")
        if own_text and english_text.strip() and own_text != english_text.strip():
            index.setdefault(own_text, english_text.strip())
        titles = {
            str(b.get("payload", "")).strip(): str(b.get("title", ""))
            for b in english.get("buttons") or []
        }
        for button in own.get("buttons") or []:
            title = str(button.get("title", "")).strip()
            found = titles.get(str(button.get("payload", "")).strip(), "").strip()
            if title and found and title != found:
                index.setdefault(title, found)
    return index


def english_of(words: str, language: str | None) -> str | None:
    """The English of a message or button title the assistant showed in ``language`` (the same
    response or button in English), or None when it is not one of the domain's (a filled-in
    placeholder, the person's own words) or was already English."""
    return _english_index(language or "en").get((words or "").strip())
