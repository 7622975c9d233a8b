"""Canned operator replies: every language has every reply, short and finished."""

from __future__ import annotations

import re

import pytest

from bot.handoff import canned
from bot.handoff.canned import CANNED, canned_choices, canned_text
from bot.languages import codes
from channels.render import GSM7, sms_encoding, sms_text, sms_units

# SMS-friendly: at most three concatenated segments (153 GSM-7 septets or 67 UCS-2 units each).
MOST_SEGMENTS = 3
PER_SEGMENT = {GSM7: 153, "UCS-2": 67}
PLACEHOLDER = re.compile(r"\{[^}]*\}|…|\.\.\.|TODO|XXX", re.IGNORECASE)
NON_ENGLISH = [code for code in codes() if code != "en"]


def test_every_language_has_a_file_with_every_reply() -> None:
    table = canned._all()
    assert set(table) == set(codes())
    for code in codes():
        missing = [key for key in CANNED if not table[code].get(key, {}).get("text")]
        assert not missing, f"{code} has no text for: {', '.join(missing)}"
        untitled = [key for key in CANNED if not table[code].get(key, {}).get("title")]
        assert not untitled, f"{code} has no title for: {', '.join(untitled)}"


@pytest.mark.parametrize("code", codes())
@pytest.mark.parametrize("key", CANNED)
def test_text_is_finished_and_fits_a_short_sms(code: str, key: str) -> None:
    text = canned_text(key, code)
    assert text.strip()
    assert not PLACEHOLDER.search(text), f"{key}/{code} still has a placeholder: {text!r}"
    body = sms_text(text)
    encoding = sms_encoding(body)
    assert sms_units(body, encoding) <= MOST_SEGMENTS * PER_SEGMENT[encoding], f"{key}/{code}"


@pytest.mark.parametrize("code", NON_ENGLISH)
def test_other_languages_are_translated(code: str) -> None:
    for key in CANNED:
        assert canned_text(key, code) != canned_text(key, "en"), f"{key}/{code} is the English"


def test_english_words() -> None:
    assert canned_text("greeting", "en") == "Hello, I'm one of the team here. I'm here to help."
    assert canned_text("are_you_safe", "en") == "Are you safe right now?"
    assert canned_text("closing", "en").startswith("Thank you for talking to us.")


def test_choices_in_order_with_staff_titles() -> None:
    choices = canned_choices()
    assert [key for key, _ in choices] == list(CANNED)
    assert dict(choices)["greeting"] == "Greeting"
    assert dict(choices)["are_you_safe"] == "Are you safe now?"
    assert all(title.strip() for _, title in choices)
    assert dict(canned_choices("vi"))["greeting"] == "Lời chào"


def test_language_codes_in_any_case_and_unknown_languages() -> None:
    assert canned_text("are_you_safe", "zh-hant") == canned_text("are_you_safe", "zh-Hant")
    assert canned_text("are_you_safe", "zh-Hant") != canned_text("are_you_safe", "zh-Hans")
    # A language the service does not have (or none) gets the English.
    assert canned_text("call_back", "fr") == "Can we call you back?"
    assert canned_text("call_back", "") == "Can we call you back?"
    assert dict(canned_choices("fr"))["closing"] == "Closing"


def test_unknown_key_raises() -> None:
    with pytest.raises(KeyError):
        canned_text("goodbye", "en")
    with pytest.raises(KeyError):
        canned_text("", "vi")


def test_canned_replies_are_not_rasa_responses() -> None:
    # `make domain` reads every locales/**/*.yml: the canned files must add nothing to the domain.
    from scripts.build_domain import load_locales

    responses = load_locales()
    for code in codes():
        assert not any(key in responses.get(code, {}) for key in CANNED)
