"""Stored values and payloads are shown to staff as the words the person saw."""

from bot import labels


def test_choice_title_in_english_and_in_the_persons_language() -> None:
    assert labels.choice_title("reporter_role", "victim", "en") == "It happened to me"
    vi = labels.choice_title("reporter_role", "victim", "vi")
    assert vi and vi != "It happened to me" and "victim" not in vi


def test_unknown_choice_is_none_not_a_code() -> None:
    assert labels.choice_title("reporter_role", "no_such_value", "en") is None


def test_button_title_of_a_payload_with_and_without_the_response() -> None:
    payload = '/inform{"choice":"witness"}'
    assert labels.button_title(payload, "en", "utter_ask_reporter_role") == "I saw it happen"
    assert labels.button_title(payload, "en") == "I saw it happen"
    assert labels.button_title("/no_such_intent", "en") is None
