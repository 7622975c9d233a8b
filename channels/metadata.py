"""The metadata every channel puts on ``UserMessage.metadata``, and language hints from a phone
number's country code or a Telegram ``language_code``."""

from __future__ import annotations

from typing import Any

import phonenumbers

from bot.languages import from_locale_tag, from_phone


def build_metadata(channel: str, language_hint: str | None, hint_source: str) -> dict[str, Any]:
    """Builds the metadata every channel puts on ``UserMessage.metadata``.

    Args:
        channel: ``whatsapp``, ``sms`` or ``telegram``.
        language_hint: One of our language codes, or None.
        hint_source: ``phone`` or ``telegram``.

    Returns:
        The metadata dict of the architecture contract.
    """
    return {"channel": channel, "language_hint": language_hint, "hint_source": hint_source}


def language_hint_from_phone(e164: str) -> str | None:
    """Gives a language hint from a phone number's country calling code.

    Args:
        e164: Number in E.164 form (``+447700900123``); a ``whatsapp:`` prefix is ignored.

    Returns:
        One of our language codes, or None when the country suggests none.
    """
    number = e164.removeprefix("whatsapp:").strip()
    try:
        calling_code = phonenumbers.parse(number, None).country_code
    except phonenumbers.NumberParseException:
        return None
    return from_phone(f"+{calling_code}") if calling_code else None


def language_hint_from_locale(tag: str | None) -> str | None:
    """Gives a language hint from an IETF locale tag such as Telegram's ``language_code``.

    Args:
        tag: Locale tag (``zh-hans``, ``vi``, ``en-GB``) or None.

    Returns:
        One of our language codes, or None.
    """
    return from_locale_tag(tag)
