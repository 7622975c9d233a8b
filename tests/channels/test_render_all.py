"""Every response, with its options, arrives whole on SMS, WhatsApp and Telegram, in every language.

Renders each variation of each response in the domain through the channels' own rendering
functions (numbered options and our splitting on SMS/WhatsApp, text parts plus an inline keyboard
on Telegram) and fails if any text or option title is lost, cut or truncated, or if any message
exceeds what the channel takes. Placeholders are filled with long values (a long report
description) so the summary is tested at the size a real one reaches.
"""

from __future__ import annotations

import string
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from channels.render import (
    GSM7,
    TWILIO_MAX_BODY,
    Option,
    options_from_buttons,
    render_numbered,
    sms_budget,
    sms_encoding,
    sms_text,
    sms_units,
)
from channels.telegram_channel import TELEGRAM_MAX_CHARS, callback_data_for, telegram_messages
from channels.twilio_channel import WHATSAPP_MAX_CHARS, sms_messages, whatsapp_messages

ROOT = Path(__file__).resolve().parents[2]
# Long enough to make the summary and other filled-in texts need several SMS messages.
LONG_DESCRIPTION = {
    "latin": "Two men followed me from the bus stop and shouted at me all the way home. " * 12,
    "other": "两个男人从公交车站一路跟着我，一直对我大喊大叫，我非常害怕。" * 25,
}


def _responses() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        merged.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return merged


def _language(variation: dict[str, Any]) -> str:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition["value"])
    return "en"


def _filled(text: str, language: str) -> str:
    values: dict[str, str] = {}
    for _literal, field, _spec, _conv in string.Formatter().parse(text):
        if field:
            long_one = field in ("s_description", "answer", "s_perpetrator", "operator_message")
            latin = language in ("en", "vi", "tl", "ms", "id")
            values[field] = LONG_DESCRIPTION["latin" if latin else "other"] if long_one else (
                "Example value for " + field
            )
    try:
        return text.format(**values) if values else text
    except (KeyError, IndexError, ValueError):
        return text


CASES = [
    pytest.param(_filled(str(v.get("text") or ""), _language(v)), options_from_buttons(v.get("buttons") or []),
                 id=f"{name}-{_language(v)}")
    for name, variations in _responses().items()
    for v in variations
    if v.get("text") or v.get("buttons")
]


def _squash(text: str) -> str:
    """The text without whitespace: parts are trimmed, never anything else."""
    return "".join(text.split())


def _option_lines(options: list[Option]) -> list[str]:
    return render_numbered("", options).split("\n") if options else []


def test_every_response_of_every_language_is_rendered() -> None:
    languages = Counter(case.id.rsplit("-", 1)[-1] if not case.id.endswith(("Hans", "Hant"))
                        else case.id.rsplit("-", 2)[-2] + "-" + case.id.rsplit("-", 1)[-1]
                        for case in CASES)
    assert len(languages) == 12 and min(languages.values()) > 100, languages


@pytest.mark.parametrize(("text", "options"), CASES)
def test_sms_arrives_whole(text: str, options: list[Option]) -> None:
    sent = sms_messages(text, options)
    expected = sms_text(render_numbered(text, options) if options else text)
    assert _squash("".join(sent)) == _squash(expected), "text lost or changed on SMS"
    for part in sent:
        encoding = sms_encoding(part)
        assert sms_units(part, encoding) <= sms_budget(encoding), "SMS message too long"
        assert len(part) <= TWILIO_MAX_BODY
    for line in _option_lines(options):
        line = sms_text(line)
        assert any(line in part for part in sent), f"option cut or lost on SMS: {line!r}"


@pytest.mark.parametrize(("text", "options"), CASES)
def test_whatsapp_arrives_whole(text: str, options: list[Option]) -> None:
    sent = whatsapp_messages(text, options)
    expected = render_numbered(text, options) if options else text
    assert _squash("".join(sent)) == _squash(expected), "text lost or changed on WhatsApp"
    assert all(len(part) <= WHATSAPP_MAX_CHARS for part in sent)
    for line in _option_lines(options):
        assert any(line in part for part in sent), f"option cut or lost on WhatsApp: {line!r}"


@pytest.mark.parametrize(("text", "options"), CASES)
def test_telegram_arrives_whole(text: str, options: list[Option]) -> None:
    sent = telegram_messages(text, options)
    assert _squash("".join(part for part, _ in sent)) in (_squash(text), "…")
    assert all(0 < len(part) <= TELEGRAM_MAX_CHARS for part, _ in sent)
    keyboards = [keys for _, keys in sent if keys]
    if options:
        assert keyboards == [options] and sent[-1][1] == options, "keyboard lost on Telegram"
        for option in options:
            assert option.title.strip(), "empty button title"
            assert len(callback_data_for(option.payload).encode()) <= 64
    else:
        assert keyboards == []


def test_english_sms_stays_gsm7_where_typography_has_a_look_alike() -> None:
    # A "•" or "’" would make a whole English SMS UCS-2 (70 instead of 160 characters a segment).
    ucs2 = []
    for name, variations in _responses().items():
        for v in variations:
            if _language(v) == "en" and v.get("text"):
                options = options_from_buttons(v.get("buttons") or [])
                text = _filled(str(v["text"]), "en")
                body = render_numbered(text, options) if options else text
                if any(sms_encoding(part) != GSM7 for part in sms_messages(body)):
                    ucs2.append(name)
    # The language menu names each language in its own script: no look-alike for those.
    assert ucs2 == ["utter_ask_language_choice"], f"English responses sent as UCS-2 on SMS: {ucs2}"


def test_the_police_question_arrives_with_all_its_choices_on_sms() -> None:
    variations = _responses()["utter_ask_police"]
    for v in variations:
        options = options_from_buttons(v.get("buttons") or [])
        sent = sms_messages(str(v["text"]), options)
        assert len(options) >= 3
        for i, option in enumerate(options, start=1):
            assert any(sms_text(f"{i}) {option.title}") in part for part in sent), (
                _language(v), option.title)
        if _language(v) == "en":
            assert len(sent) == 1 and sms_encoding(sent[0]) == GSM7


def test_the_language_offer_arrives_whole_for_every_pair_of_languages() -> None:
    from actions.session import offer_message
    from bot import languages

    domain = {"responses": _responses()}
    for current in languages.codes():
        for offered in languages.codes():
            if current == offered:
                continue
            message = offer_message(domain, current, offered)
            options = options_from_buttons(message["buttons"])
            sent = sms_messages(message["text"], options)
            for i, option in enumerate(options, start=1):
                assert any(sms_text(f"{i}) {option.title}") in part for part in sent)
            assert all(sms_units(p, sms_encoding(p)) <= sms_budget(sms_encoding(p)) for p in sent)
            assert telegram_messages(message["text"], options)[-1][1] == options
