"""The live transcript as the person saw it: a pressed button is its title in their language with
the English beside it, never the payload; operator and bot lines told apart."""

from __future__ import annotations

from typing import Any

from bot.handoff.rasa import UNKNOWN_BUTTON, is_payload, lines_from_events

VICTIM = '/inform{"choice":"victim"}'
WITNESS = '/inform{"choice":"witness"}'


def _ask(at: float, language_titles: tuple[str, str], response: str | None) -> dict[str, Any]:
    """A bot question offering two buttons, as Rasa 3.6 logs it (titles as sent)."""
    victim, witness = language_titles
    return {
        "event": "bot",
        "timestamp": at,
        "text": "(the question, invented)",
        "data": {
            "buttons": [
                {"title": victim, "payload": VICTIM},
                {"title": witness, "payload": WITNESS},
            ]
        },
        "metadata": {"utter_action": response} if response else {},
    }


def _user(at: float, text: str) -> dict[str, Any]:
    return {"event": "user", "timestamp": at, "text": text}


def _no_payload(lines: Any) -> None:
    for line in lines:
        for words in (line.text, line.english or "", *line.choices):
            assert "/inform" not in words and "{" not in words and '"choice"' not in words


def test_a_pressed_button_is_its_vietnamese_title_with_the_english_beside() -> None:
    events = [
        _ask(1.0, ("Chuyện xảy ra với tôi", "Tôi đã chứng kiến"), "utter_ask_reporter_role"),
        _user(2.0, VICTIM),
    ]
    lines = lines_from_events(events, language="vi")
    assert [(line.sender, line.text, line.english) for line in lines] == [
        ("bot", "(the question, invented)", None),
        ("person", "Chuyện xảy ra với tôi", "It happened to me"),
    ]
    assert lines[0].choices == ("Chuyện xảy ra với tôi", "Tôi đã chứng kiến")
    _no_payload(lines)


def test_an_english_chat_shows_the_title_and_the_same_english() -> None:
    events = [
        _ask(1.0, ("It happened to me", "I saw it happen"), "utter_ask_reporter_role"),
        _user(2.0, WITNESS),
    ]
    person = lines_from_events(events, language="en")[-1]
    assert person.text == "I saw it happen" and person.english == "I saw it happen"
    _no_payload([person])


def test_the_title_the_button_carried_wins_and_without_one_the_domain_gives_it() -> None:
    shown = [_ask(1.0, ("Invented title as sent", "Other"), "utter_ask_reporter_role")]
    # The question came before the lines asked for: its buttons still name the press.
    pressed = lines_from_events([*shown, _user(2.0, VICTIM)], after=1.5, language="vi")
    assert [(p.text, p.english) for p in pressed] == [
        ("Invented title as sent", "It happened to me")
    ]
    # No bot event offered the button (e.g. events older than the tracker window): the domain,
    # in the chat's language.
    lines = lines_from_events([_user(2.0, VICTIM)], language="vi")
    assert lines[0].text == "Chuyện xảy ra với tôi" and lines[0].english == "It happened to me"
    # Without the response name the English still comes from the domain.
    events = [_ask(1.0, ("Chuyện xảy ra với tôi", "Tôi đã chứng kiến"), None), _user(2.0, VICTIM)]
    assert lines_from_events(events, language="vi")[-1].english == "It happened to me"
    _no_payload(lines)


def test_an_unknown_payload_is_never_shown() -> None:
    lines = lines_from_events([_user(2.0, '/inform{"choice":"no_such_invented"}')], language="vi")
    assert lines[0].text == UNKNOWN_BUTTON and lines[0].english is None
    _no_payload(lines)


def test_what_a_channel_sent_in_the_persons_name_is_said_in_words() -> None:
    events = [
        _user(1.0, '/inform{"choice":"evidence_received"}'),
        _user(2.0, '/inform{"choice":"unsupported_media"}'),
        _user(3.0, "/stop_contact"),
    ]
    lines = lines_from_events(events, language="vi")
    assert [line.text for line in lines] == [
        "(sent a picture, kept as evidence)",
        "(sent something the service cannot take: audio, video or a document)",
        "(asked for no more text messages)",
    ]
    _no_payload(lines)


def test_typed_words_stay_as_typed_and_operator_lines_are_marked() -> None:
    events = [
        _user(1.0, "Invented: tôi cần giúp đỡ / help"),
        {"event": "action", "name": "utter_operator_message", "timestamp": 2.0},
        {"event": "bot", "text": "Invented: I am here.", "timestamp": 2.0},
        {"event": "action", "name": "utter_handoff_returned", "timestamp": 3.0},
        {"event": "bot", "text": "Invented: back to the assistant.", "timestamp": 3.0},
    ]
    lines = lines_from_events(events, language="vi")
    assert [(line.sender, line.text) for line in lines] == [
        ("person", "Invented: tôi cần giúp đỡ / help"),
        ("operator", "Invented: I am here."),
        ("bot", "Invented: back to the assistant."),
    ]
    assert lines_from_events(events, after=2.5, language="vi")[0].sender == "bot"


def test_what_counts_as_a_payload() -> None:
    assert is_payload(VICTIM) and is_payload("/greet") and is_payload(" /restart ")
    assert not is_payload("I pressed /inform") and not is_payload("/ not a payload")
