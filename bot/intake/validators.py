"""Pure validators for typed answers (no Rasa import, unit-tested on their own)."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# UK postcode: the full form or just the outward code ("M1", "SW1A", "EH8 9YL"). Written here
# because the maintained postcode packages either call a web API or ship no outward-code check.
_POSTCODE = re.compile(
    r"^\s*([A-Z]{1,2}[0-9][A-Z0-9]?)(\s*[0-9][A-Z]{2})?\s*$", re.IGNORECASE
)
# Words that say the incident happened online (lower-case, any language the lexicon grows to).
_ONLINE_WORDS = (
    "online", "internet", "facebook", "instagram", "twitter", " x.com", "tiktok", "youtube",
    "whatsapp", "wechat", "weibo", "telegram", "reddit", "discord", "snapchat", "line app",
    "kakao", "zalo", "threads", "email", "game", "网上", "網上", "网络", "網絡", "微信", "微博",
    "trên mạng", "tren mang", "온라인", "인터넷", "オンライン", "ネット", "ออนไลน์", "sa online",
    "dalam talian", "daring", "အွန်လိုင်း", "អនឡាញ",
)


def normalise_text(text: str) -> str:
    """Trims a message and removes invisible format characters, keeping what was written.

    NFC only (canonical composition): NFKC would rewrite the person's words (full-width
    punctuation, compatibility characters), and answers are stored as written. Matching uses
    NFKC separately (`bot.commands.normalise`). Zero-width and bidi control characters (category
    Cf, except the zero-width joiner that emoji and some scripts need) are dropped so a pasted or
    hostile message cannot hide text or reorder what a caseworker sees.
    """
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch == "\u200d")
    return text.strip()


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit (not only emoji/punctuation)."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


def parse_phone(text: str, default_region: str = "GB") -> str | None:
    """Returns the number in E.164 form, or None when it is not a valid phone number."""
    candidate = normalise_text(text)
    if not candidate or len(candidate) > 40:
        return None
    try:
        number = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_email(text: str) -> str | None:
    """Returns the normalised email address, or None when it is not a valid address.

    Deliverability (a DNS look-up) is not checked: the service must work offline and must not
    leak that someone is reporting to a third-party DNS resolver.
    """
    candidate = normalise_text(text)
    if not candidate or len(candidate) > 254:
        return None
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def classify_location(text: str) -> tuple[str, str]:
    """Returns (kind, value) for a "where" answer: kind is postcode, online or place."""
    value = normalise_text(text)
    match = _POSTCODE.match(value)
    if match and any(ch.isdigit() for ch in value):
        return "postcode", match.group(1).upper()
    lowered = f" {value.lower()} "
    if any(word in lowered for word in _ONLINE_WORDS):
        return "online", value
    return "place", value
