"""The intake engine without Rasa: each answer, command and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.intake import engine
from bot.intake import options as o
from bot.intake.engine import Answer, handle_answer, required_slots

ROOT = Path(__file__).resolve().parents[3]
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}}
    for path in (ROOT / "domain").glob("*.yml"):
        merged["responses"].update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return merged


def said(turn: engine.Turn) -> list[str]:
    return [name for name, _ in turn.responses]


def text(t: str, intent: str | None = None, confidence: float = 0.0) -> Answer:
    return Answer(text=t, intent=intent, intent_confidence=confidence)


def choice(value: str) -> Answer:
    return Answer(text="", choice=value, intent="inform", intent_confidence=1.0)


def test_required_slots_ask_contact_only_when_a_choice_needs_it() -> None:
    base = {"police": "none", "caseworker": "no"}
    assert "contact_phone" not in required_slots(base)
    assert "contact_wanted" in required_slots(base)
    named = {"police": "named", "caseworker": "no"}
    slots = required_slots(named)
    assert "contact_wanted" not in slots and "contact_phone" in slots and "contact_email" in slots
    caseworker = {"police": "none", "caseworker": "yes"}
    assert "partner_sharing" in required_slots(caseworker)


def test_required_slots_skip_place_type_for_online_and_end_when_stopped() -> None:
    assert "place_type" not in required_slots({"location_kind": "online"})
    assert required_slots({"stop_confirmed": True}) == []
    assert required_slots({"pending_control": "confirm_stop"})[0] == "confirm_stop"


def test_button_and_typed_number_and_words_choose_the_role(domain: dict) -> None:
    assert handle_answer({}, "reporter_role", choice("witness"), domain, "en").updates["reporter_role"] == "witness"
    assert handle_answer({}, "reporter_role", text("2"), domain, "en").updates["reporter_role"] == "witness"
    turn = handle_answer({}, "reporter_role", text("It happened to me"), domain, "en")
    assert turn.updates["reporter_role"] == "victim"


def test_unknown_payload_and_emoji_are_refused_kindly_and_reasked(domain: dict) -> None:
    turn = handle_answer({}, "reporter_role", choice("zzz"), domain, "en")
    assert turn.updates["reporter_role"] is None and said(turn) == ["utter_unknown_choice"]
    turn = handle_answer({}, "reporter_role", text("🙂🙂"), domain, "en")
    assert turn.updates["reporter_role"] is None and said(turn) == ["utter_empty_message"]


def test_description_accumulates_until_done_and_has_a_limit(domain: dict) -> None:
    turn = handle_answer({}, "description", text("First part."), domain, "en")
    assert turn.updates["description_parts"] == ["First part."] and turn.updates["description"] is None
    slots = {"description_parts": ["First part."]}
    turn = handle_answer(slots, "description", text("x" * (o.DESCRIPTION_LIMIT + 1)), domain, "en")
    assert said(turn) == ["utter_description_too_long"] and "description_parts" not in turn.updates
    turn = handle_answer(slots, "description", choice("done"), domain, "en")
    assert turn.updates["description"] == "First part."
    turn = handle_answer({}, "description", text("done"), domain, "en")
    assert said(turn) == ["utter_description_needed"]


def test_multi_select_by_buttons_then_done_or_typed_numbers(domain: dict) -> None:
    turn = handle_answer({}, "incident_types", choice("threats"), domain, "en")
    assert turn.updates["pending_choices"] == ["threats"] and turn.updates["incident_types"] is None
    turn = handle_answer({"pending_choices": ["threats"]}, "incident_types", choice("done"), domain, "en")
    assert turn.updates["incident_types"] == ["threats"]
    turn = handle_answer({}, "incident_types", text("1, 3"), domain, "en")
    assert turn.updates["incident_types"] == ["verbal_abuse", "physical_assault"]
    turn = handle_answer({}, "incident_types", choice("done"), domain, "en")
    assert said(turn) == ["utter_choose_at_least_one"]


def test_dates_are_ranges_and_unknown_dates_are_reasked(domain: dict) -> None:
    turn = handle_answer({}, "incident_date", text("last Friday"), domain, "en", TODAY)
    # "last Friday" = the previous week's Friday (bot/intake/dates.py): on Sunday 22 Nov, the 13th.
    assert turn.updates["date_from"] == turn.updates["date_to"] == "2026-11-13"
    turn = handle_answer({}, "incident_date", text("in March"), domain, "en", TODAY)
    assert (turn.updates["date_from"], turn.updates["date_to"]) == ("2026-03-01", "2026-03-31")
    turn = handle_answer({}, "incident_date", text("purple elephant"), domain, "en", TODAY)
    assert said(turn) == ["utter_date_not_understood"] and turn.updates["incident_date"] is None
    turn = handle_answer({}, "incident_date", choice("not_sure"), domain, "en", TODAY)
    assert turn.updates["incident_date"] == o.SKIPPED


def test_location_kinds(domain: dict) -> None:
    assert handle_answer({}, "location", text("M1 1AE"), domain, "en").updates["location"] == "M1"
    online = handle_answer({}, "location", text("on Facebook"), domain, "en").updates
    assert online["location_kind"] == "online" and online["place_type"] == "online_place"
    assert handle_answer({}, "location", text("Leeds"), domain, "en").updates["location_kind"] == "place"


def test_phone_and_email_validation(domain: dict) -> None:
    turn = handle_answer({}, "contact_phone", text("020 7946 0123"), domain, "en")
    assert turn.updates["contact_phone"] == "+442079460123"
    turn = handle_answer({}, "contact_phone", text("12345"), domain, "en")
    assert said(turn) == ["utter_invalid_phone"] and turn.updates["contact_phone"] is None
    turn = handle_answer({"caseworker": "yes"}, "contact_phone", text("skip"), domain, "en")
    assert said(turn) == ["utter_phone_needed"]
    turn = handle_answer({}, "contact_email", text("someone@example"), domain, "en")
    assert said(turn) == ["utter_invalid_email"]
    named = {"police": "named", "contact_phone": o.SKIPPED}
    turn = handle_answer(named, "contact_email", text("skip"), domain, "en")
    assert said(turn) == ["utter_need_one_contact"]


def test_stop_asks_for_confirmation_then_ends(domain: dict) -> None:
    turn = handle_answer({}, "location", text("stop"), domain, "en")
    assert turn.updates["pending_control"] == "confirm_stop" and turn.updates["location"] is None
    turn = handle_answer({"pending_control": "confirm_stop"}, "confirm_stop", choice("no"), domain, "en")
    assert turn.updates["pending_control"] is None and said(turn) == ["utter_carry_on"]
    turn = handle_answer({"pending_control": "confirm_stop"}, "confirm_stop", choice("yes"), domain, "en")
    assert turn.updates["stop_confirmed"] is True


def test_a_long_answer_mentioning_stop_is_an_answer_not_a_command(domain: dict) -> None:
    turn = handle_answer({}, "description", text("They told me to stop speaking Chinese"), domain, "en")
    assert turn.updates["description_parts"] == ["They told me to stop speaking Chinese"]


def test_danger_words_give_999_and_keep_the_text(domain: dict) -> None:
    turn = handle_answer({}, "description", text("he is here now and shouting"), domain, "en")
    assert said(turn) == ["utter_emergency", "utter_continue_when_safe"]
    assert turn.updates["description_parts"] == ["he is here now and shouting"]
    turn = handle_answer({}, "police", text("I'm being attacked"), domain, "en")
    assert said(turn)[0] == "utter_emergency" and turn.updates["police"] is None


def test_help_human_and_skip_rules(domain: dict) -> None:
    assert said(handle_answer({}, "location", text("help"), domain, "en")) == [
        "utter_help",
        "utter_help_my_report",
    ]
    assert said(handle_answer({}, "location", text("talk to a person"), domain, "en")) == ["utter_human_hours"]
    assert handle_answer({}, "perpetrator", text("skip"), domain, "en").updates["perpetrator"] == o.SKIPPED
    assert said(handle_answer({}, "reporter_role", text("skip"), domain, "en")) == ["utter_cannot_skip"]
    # A consent question skipped is the private answer, said and changeable at the summary.
    turn = handle_answer({}, "police", text("not sure"), domain, "en")
    assert turn.updates["police"] == "none" and said(turn) == ["utter_police_now_none"]


def test_change_an_answer_from_the_summary_clears_it_and_its_dependants(domain: dict) -> None:
    turn = handle_answer({}, "summary_confirmed", choice("change"), domain, "en")
    assert turn.updates["pending_control"] == "field_to_change"
    slots = {"pending_control": "field_to_change", "caseworker": "yes", "partner_sharing": "yes"}
    turn = handle_answer(slots, "field_to_change", choice("caseworker"), domain, "en")
    assert turn.updates["caseworker"] is None and turn.updates["partner_sharing"] is None
    assert turn.updates["pending_control"] is None


def test_language_menu_is_an_offer_not_a_gate(domain: dict) -> None:
    slots = {"pending_control": "language_choice"}
    turn = handle_answer(slots, "language_choice", choice("victim"), domain, "en")
    assert turn.updates["pending_control"] is None and turn.updates["reporter_role"] == "victim"
    turn = handle_answer(slots, "language_choice", choice("lang:vi"), domain, "en")
    assert turn.updates["pending_control"] is None and "reporter_role" not in turn.updates


def test_declining_partner_sharing_means_no_caseworker(domain: dict) -> None:
    turn = handle_answer({"caseworker": "yes"}, "partner_sharing", choice("no"), domain, "en")
    assert turn.updates["caseworker"] == "no" and said(turn) == ["utter_caseworker_needs_sharing"]


def test_skip_at_anything_else_keeps_the_choices_already_made(domain: dict) -> None:
    slots = {"pending_choices": ["emotional"]}
    turn = handle_answer(slots, "support_needs", text("none"), domain, "en")
    assert turn.updates["support_needs"] == ["emotional"] and turn.updates["pending_choices"] is None


def test_a_name_is_never_taken_for_a_command_by_the_model(domain: dict) -> None:
    turn = handle_answer({}, "contact_name", text("Canary Person", "human", 0.99), domain, "en")
    assert turn.updates["contact_name"] == "Canary Person" and said(turn) == []
    turn = handle_answer({}, "caseworker", text("a person please", "human", 0.99), domain, "en")
    assert said(turn) == ["utter_human_hours"]


def test_delete_erases_at_once_before_any_report_was_sent(domain: dict) -> None:
    slots = {"reporter_role": "victim", "description_parts": ["Invented words"]}
    turn = handle_answer(slots, "incident_types", text("delete"), domain, "en")
    assert turn.updates.get("erase_requested") is True
    assert required_slots({**slots, **turn.updates}) == []


def test_delete_after_a_sent_report_asks_first(domain: dict) -> None:
    slots = {"last_reference": "ABCD-2345", "reporter_role": "victim"}
    turn = handle_answer(slots, "description", text("exit"), domain, "en")
    assert turn.updates["pending_control"] == "confirm_erase" and "erase_requested" not in turn.updates
    asking = {**slots, **turn.updates}
    assert required_slots(asking)[0] == "confirm_erase"
    no = handle_answer(asking, "confirm_erase", choice("no"), domain, "en")
    assert no.updates["pending_control"] is None and said(no) == ["utter_erase_cancelled"]
    assert no.updates["confirm_erase"] is None and "reporter_role" not in no.updates
    yes = handle_answer(asking, "confirm_erase", choice("confirm_erase"), domain, "en")
    assert yes.updates["erase_requested"] is True


def test_save_asks_for_a_secret_word_only_once_something_was_answered(domain: dict) -> None:
    assert said(handle_answer({"reporter_role": "save"}, "reporter_role", text("save for later"), domain, "en")) == [
        "utter_draft_nothing_to_save"
    ]
    slots = {"reporter_role": "witness"}
    turn = handle_answer(slots, "description", text("save for later"), domain, "en")
    assert turn.updates["pending_control"] == "draft_secret"
    asking = {**slots, **turn.updates}
    assert required_slots(asking)[0] == "draft_secret"
    # The secret word itself is left to the action (it needs the store): no decision here.
    word = handle_answer(asking, "draft_secret", text("blue lantern 7"), domain, "en")
    assert word.updates == {"draft_secret": None} and said(word) == []
    cancel = handle_answer(asking, "draft_secret", text("cancel"), domain, "en")
    assert cancel.updates["pending_control"] is None and said(cancel) == ["utter_carry_on"]


def test_my_report_switches_only_before_any_answer(domain: dict) -> None:
    # Rasa has already mapped the message into the slot asked: that is not an answer.
    turn = handle_answer({"reporter_role": "my report"}, "reporter_role", text("my report"), domain, "en")
    assert turn.updates["switch_to_access"] is True
    assert required_slots({**turn.updates}) == []
    busy = handle_answer({"reporter_role": "victim"}, "description", text("my report"), domain, "en")
    assert said(busy) == ["utter_access_finish_first"] and "switch_to_access" not in busy.updates


NAMED_NO_PHONE = {"police": "named", "caseworker": "no", "contact_name": "Sam Example", "contact_phone": o.SKIPPED}


def buttons_of(domain: dict, response: str, language: str = "en") -> list[str]:
    from bot.i18n import buttons

    return [value for value, _ in buttons(domain, response, language)]


def test_named_police_without_contact_offers_ways_forward_not_skip(domain: dict) -> None:
    asked = engine.question_response(NAMED_NO_PHONE, "contact_email")
    assert asked == "utter_ask_contact_email_needed"
    assert buttons_of(domain, asked) == ["police_anonymous", "police_none"]  # no Skip to refuse
    assert buttons_of(domain, "utter_need_one_contact") == ["police_anonymous", "police_none"]
    turn = handle_answer(NAMED_NO_PHONE, "contact_email", choice("police_anonymous"), domain, "en")
    assert turn.updates["police"] == "anonymous" and said(turn) == ["utter_police_now_anonymous"]
    after = {**NAMED_NO_PHONE, **turn.updates}
    assert after["contact_wanted"] == "no" and after["contact_name"] is None
    assert required_slots(after)[-1] == "summary_confirmed"
    assert not set(engine.CONTACT_SLOTS) & set(required_slots(after))
    turn = handle_answer(NAMED_NO_PHONE, "contact_email", choice("police_none"), domain, "en")
    assert turn.updates["police"] == "none" and said(turn) == ["utter_police_now_none"]
    # A phone number typed there is taken too ("an e-mail address or a phone number").
    turn = handle_answer(NAMED_NO_PHONE, "contact_email", text("020 7946 0123"), domain, "en")
    assert turn.updates["contact_phone"] == "+442079460123"


def test_contact_wanted_but_both_skipped_is_simply_no_contact(domain: dict) -> None:
    slots = {"police": "anonymous", "caseworker": "no", "contact_wanted": "yes", "contact_phone": o.SKIPPED}
    assert engine.question_response(slots, "contact_email") == "utter_ask_contact_email"
    turn = handle_answer(slots, "contact_email", choice("skip"), domain, "en")
    assert said(turn) == ["utter_no_contact_noted"] and turn.updates["contact_wanted"] == "no"
    after = {**slots, **turn.updates}
    assert not set(engine.CONTACT_SLOTS) & set(required_slots(after))


def test_caseworker_phone_offers_no_caseworker_instead_of_skip(domain: dict) -> None:
    slots = {"police": "none", "caseworker": "yes", "partner_sharing": "yes"}
    asked = engine.question_response(slots, "contact_phone")
    assert asked == "utter_ask_contact_phone_needed" and buttons_of(domain, asked) == ["no_caseworker"]
    assert buttons_of(domain, "utter_phone_needed") == ["no_caseworker"]
    turn = handle_answer(slots, "contact_phone", choice("no_caseworker"), domain, "en")
    assert turn.updates["caseworker"] == "no" and turn.updates["partner_sharing"] is None
    assert said(turn) == ["utter_caseworker_now_no"]


def test_questions_are_answered_and_nothing_is_stored(domain: dict) -> None:
    slots = {"reporter_role": "victim", "description_parts": ["Invented first part."]}
    turn = handle_answer(slots, "description", text("谁会看到这个？", "ask_who_sees", 0.6), domain, "zh-Hans")
    assert said(turn) == ["utter_faq_who_sees"]
    assert "description_parts" not in turn.updates and turn.updates["description"] is None
    turn = handle_answer({}, "perpetrator", text("cảnh sát có biết tên tôi không?", "ask_police_name", 0.55), domain, "vi")
    assert said(turn) == ["utter_faq_police_name"] and turn.updates["perpetrator"] is None
    turn = handle_answer({}, "police", text("Is this confidential", "ask_confidential", 0.7), domain, "en")
    assert said(turn) == ["utter_faq_confidential"] and turn.updates["police"] is None
    # A long account that mentions the police stays the answer (no question mark, not certain).
    story = "The man said the police would never believe me and that nobody would see it"
    turn = handle_answer(slots, "description", text(story, "ask_police_name", 0.7), domain, "en")
    assert said(turn) == [] and turn.updates["description_parts"] == ["Invented first part.", story]
    # Too unsure: an answer.
    turn = handle_answer({}, "perpetrator", text("a tall man?", "ask_who_sees", 0.3), domain, "en")
    assert turn.updates["perpetrator"] == "a tall man?"
    # A button is never a question.
    turn = handle_answer({}, "police", Answer(text="", choice="none", intent="ask_confidential", intent_confidence=0.99), domain, "en")
    assert turn.updates["police"] == "none"


def test_an_interpreter_is_offered_a_person_never_stop(domain: dict) -> None:
    turn = handle_answer({"reporter_role": "victim"}, "incident_types", text("I need an interpreter", "ask_own_language", 0.8), domain, "en")
    assert turn.responses == [("utter_faq_own_language", {}), ("utter_human_hours", {"interpreter": True})]
    assert "stop_confirmed" not in turn.updates and "pending_control" not in turn.updates
    slots = {"reporter_role": "victim", "description_parts": ["Invented first part."]}
    turn = handle_answer(slots, "description", text("I need an interpreter", "ask_own_language", 0.7), domain, "en")
    assert said(turn)[0] == "utter_faq_own_language" and "description_parts" not in turn.updates


def test_asking_for_a_person_in_words_at_free_text_questions(domain: dict) -> None:
    for phrase, language in (("I want to talk to a person", "en"), ("can I speak to someone", "en"),
                             ("人工", "zh-Hans"), ("có ai không", "vi")):
        turn = handle_answer({}, "description", text(phrase), domain, language)
        assert said(turn) == ["utter_human_hours"], phrase
        assert "description_parts" not in turn.updates
    turn = handle_answer({}, "description", text("hello, I want to talk to a person here", "human", 0.9), domain, "en")
    assert said(turn) == ["utter_human_hours"]
    turn = handle_answer({}, "contact_name", text("Sam Person", "human", 0.99), domain, "en")
    assert turn.updates["contact_name"] == "Sam Person" and said(turn) == []


def test_an_understood_date_is_read_back_with_a_way_to_change_it(domain: dict) -> None:
    turn = handle_answer({}, "incident_date", text("last Friday"), domain, "en", TODAY)
    assert turn.responses[0][0] == "utter_date_noted" and "20" in turn.responses[0][1]["date"]
    assert buttons_of(domain, "utter_date_noted") == ["change_date"]
    slots = {**turn.updates, "reporter_role": "victim"}
    again = handle_answer(slots, "location", choice("change_date"), domain, "en")
    assert again.updates["incident_date"] is None and again.updates["date_from"] is None
    after = {**slots, **again.updates}
    assert [s for s in required_slots(after) if after.get(s) is None][0] == "description"


def test_asking_what_to_do_if_in_danger_gets_that_answer_not_the_emergency(domain: dict) -> None:
    slots = {"reporter_role": "victim", "description_parts": ["Invented first part."]}
    for language, question in (
        ("en", "what should I do if I'm in danger?"),
        ("zh-Hans", "如果我有危险怎么办？"),
        ("vi", "nếu tôi gặp nguy hiểm thì sao?"),
    ):
        # Even when the model is unsure which question it is: conditional and a question mark.
        turn = handle_answer(slots, "description", text(question, "inform", 0.4), domain, language)
        assert said(turn) == ["utter_faq_danger"], (language, said(turn))
        assert "description_parts" not in turn.updates  # not stored as part of the account
    # Said plainly (not conditional) it is the emergency, and what they wrote is kept.
    turn = handle_answer(slots, "description", text("I'm in danger", "ask_danger", 0.9), domain, "en")
    assert said(turn)[0] == "utter_emergency"


def test_an_account_the_model_takes_for_the_danger_question_is_kept_as_the_answer() -> None:
    # "something they shouted" scored as ask_danger at 0.91: no danger word, no question mark —
    # the description, never answered as a question and dropped.
    words = "Detail number 1: something they shouted, part 1."
    turn = engine.question_topic(text(words, "ask_danger", 0.91), words, "description")
    assert turn is None
    asked = "what should I do if I am in danger"
    assert engine.question_topic(text(asked, "ask_danger", 0.91), asked, "description") == "danger"
    marked = "what if they come back?"
    assert engine.question_topic(text(marked, "ask_danger", 0.6), marked, "description") == "danger"
