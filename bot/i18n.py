"""Reads response text and button titles out of the domain for one language.

Every response is one domain entry holding all languages: the English variation has no
condition, each other language is a variation conditioned on the `language` slot. Actions use
this to build composite messages (the summary) and to map typed answers back to button values,
so the words still live only in the domain.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

DEFAULT_LANGUAGE = "en"
_PAYLOAD = re.compile(r'^/\w+(\{.*\})?$', re.DOTALL)


def variation(domain: dict[str, Any], key: str, language: str | None) -> dict[str, Any] | None:
    """Returns the variation of response `key` for `language` (English when it has none)."""
    variations = (domain.get("responses") or {}).get(key) or []
    fallback = None
    for var in variations:
        conditions = var.get("condition") or []
        if not conditions:
            fallback = fallback or var
            continue
        if any(
            c.get("name") == "language" and c.get("value") == language for c in conditions
        ):
            return var
    return fallback


def text(domain: dict[str, Any], key: str, language: str | None, **values: Any) -> str:
    """The text of a response in a language, with `{placeholders}` filled from `values`."""
    var = variation(domain, key, language) or {}
    raw = var.get("text") or ""
    try:
        return raw.format(**values) if values else raw
    except (KeyError, IndexError, ValueError):
        return raw


def payload_choice(payload: str) -> str | None:
    """The `choice` value of a button payload such as `/inform{"choice":"victim"}`."""
    if not payload or not _PAYLOAD.match(payload.strip()):
        return None
    body = payload.strip()
    brace = body.find("{")
    if brace < 0:
        return None
    try:
        data = json.loads(body[brace:])
    except ValueError:
        return None
    value = data.get("choice") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def buttons(domain: dict[str, Any], key: str, language: str | None) -> list[tuple[str, str]]:
    """(choice value, title) for each button of a response, in order."""
    var = variation(domain, key, language) or {}
    result = []
    for button in var.get("buttons") or []:
        value = payload_choice(str(button.get("payload", "")))
        if value:
            result.append((value, str(button.get("title", ""))))
    return result


def wording_version(domain: dict[str, Any], key: str, language: str | None) -> str:
    """A short hash of exactly the words (and buttons) shown, recorded with each consent."""
    var = variation(domain, key, language) or {}
    blob = json.dumps(
        {"text": var.get("text"), "buttons": var.get("buttons")}, ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]
