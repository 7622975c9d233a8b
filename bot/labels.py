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
