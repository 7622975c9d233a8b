"""The "my report" access engine without Rasa: grants not slots, ways out, no repeated refusals."""

from __future__ import annotations

from typing import Any

import pytest

from bot.access import engine
from bot.access.engine import handle_answer, next_question
from bot.intake.engine import Answer
from tests.bot.access.fakes import (
    DRAFT_CODE,
    DRAFT_SECRET,
    PHONE,
    REFERENCE,
    FakeStore,
    load_domain,
)

KEY = "tg-invented-1"


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


def typed(text: str) -> Answer:
    return Answer(text=text)


def button(value: str) -> Answer:
    return Answer(text="", choice=value, intent="inform", intent_confidence=1.0)


def said(turn: engine.Turn) -> list[str]:
    return [name for name, _ in turn.responses]


def step(slots: dict, answer: Answer, store: FakeStore, domain: dict, language: str = "en", key: str = KEY) -> engine.Turn:
    requested = next_question(slots)
    assert requested, "the form has ended"
    turn = handle_answer(
        {**slots, requested: answer.text or None}, requested, answer, domain, language,
        store=store, conversation_key=key, draft_slots=("reporter_role", "description"),
    )
    slots.update(turn.updates)
    for name in engine.SECRET_SLOTS:
        slots[name] = None
    return turn


def open_case(store: FakeStore, domain: dict) -> dict:
    slots: dict = {}
    step(slots, typed(REFERENCE.lower()), store, domain)
    step(slots, typed(PHONE), store, domain)
    assert slots.get("access_verified") and next_question(slots) == "access_action"
    return slots


def test_slots_claiming_access_without_a_grant_show_and_change_nothing(domain: dict) -> None:
    store = FakeStore()
    for choice in ("status", "consents", "withdraw", "add", "set_secret"):
        slots = {"access_verified": REFERENCE}
        turn = step(slots, button(choice), store, domain)
        assert said(turn) == [engine.EXPIRED]
        assert next_question(slots) == "access_reference"
    forged = {"access_verified": True, "access_action": "set_secret"}
    assert said(step(forged, typed("attacker's new word"), store, domain)) == [engine.EXPIRED]
    forged = {"access_verified": True, "access_action": "withdraw", "access_withdraw": "police_referral"}
    assert said(step(forged, button("yes"), store, domain)) == [engine.EXPIRED]
    forged = {"access_verified": True, "access_action": "add"}
    assert said(step(forged, typed("Invented text an attacker adds"), store, domain)) == [engine.EXPIRED]
    assert store.calls == ["granted"] * 8, "nothing read or changed, only the grant checked"
    assert store.secret is None and not store.withdrawn and not store.additions


def test_another_conversations_grant_opens_nothing_here(domain: dict) -> None:
    store = FakeStore()
    open_case(store, domain)
    slots = {"access_verified": True}
    assert said(step(slots, button("consents"), store, domain, key="someone-else")) == [engine.EXPIRED]


def test_the_grant_opens_every_step_and_finishing_revokes_it(domain: dict) -> None:
    store = FakeStore()
    slots = open_case(store, domain)
    assert said(step(slots, button("status"), store, domain)) == ["utter_access_status_received"]
    assert "utter_consents_intro" in said(step(slots, button("consents"), store, domain))
    step(slots, button("set_secret"), store, domain)
    assert said(step(slots, typed("Paper Lantern 42"), store, domain)) == ["utter_access_secret_saved"]
    assert store.secret == "paper lantern 42"
    assert said(step(slots, button("finish"), store, domain)) == ["utter_access_finished"]
    assert next_question(slots) is None
    _turn, resume = engine.finish(slots, engine.Context(store, KEY, domain, "en"))
    assert not resume and store.granted(KEY) is None


@pytest.mark.parametrize(
    ("language", "word"),
    [("en", "No thanks"), ("en", "skip"), ("vi", "không"), ("zh-Hans", "不用了"), ("th", "ไม่"),
     ("ko", "아니요"), ("tl", "hindi po"), ("km", "ទេ"), ("ja", "いいえ"), ("ms", "tak")],
)
def test_declining_a_new_secret_word_in_any_language_goes_back_to_the_menu(domain: dict, language: str, word: str) -> None:
    store = FakeStore()
    slots = open_case(store, domain)
    step(slots, button("set_secret"), store, domain, language)
    turn = step(slots, typed(word), store, domain, language)
    assert said(turn) == ["utter_access_secret_unchanged"]
    assert next_question(slots) == "access_action" and store.secret is None
    step(slots, button("set_secret"), store, domain, language)
    assert said(step(slots, button("no"), store, domain, language)) == ["utter_access_secret_unchanged"]


def test_the_no_thanks_button_is_offered_in_every_language(domain: dict) -> None:
    for language in ("en", "zh-Hans", "zh-Hant", "vi", "ko", "ja", "th", "tl", "ms", "id", "my", "km"):
        ctx = engine.Context(FakeStore(), KEY, domain, language)
        _response, offered = engine.question({}, "access_new_secret", ctx)
        assert [value for value, _ in offered] == ["no"], language
        from bot.i18n import buttons

        assert [v for v, _ in buttons(domain, "utter_ask_draft_secret", language)] == ["no"], language


def test_a_refusal_is_never_given_three_times_running(domain: dict) -> None:
    store = FakeStore()
    slots: dict = {}
    first = step(slots, typed("blah"), store, domain)
    second = step(slots, typed("blah"), store, domain)
    third = step(slots, typed("blah"), store, domain)
    assert said(first) == ["utter_access_reference_invalid"]
    assert said(second) == ["utter_access_reference_invalid", engine.STUCK_HINT]
    assert said(third) == [engine.STUCK_END] and next_question(slots) is None


def test_a_good_answer_resets_the_refusal_count(domain: dict) -> None:
    store = FakeStore()
    slots: dict = {}
    step(slots, typed("asdf"), store, domain)
    step(slots, typed(REFERENCE), store, domain)
    assert not slots.get("access_failures")


def test_wrong_factors_make_this_client_wait_then_the_form_ends_kindly(domain: dict) -> None:
    store = FakeStore()
    slots: dict = {}
    replies = []
    for attempt in range(3):
        step(slots, typed(REFERENCE), store, domain)
        replies.append(said(step(slots, typed(f"wrong guess {attempt}"), store, domain)))
    assert replies[0] == ["utter_access_failed"]
    assert replies[-1] == ["utter_access_locked"] and next_question(slots) is None
    other: dict = {}
    step(other, typed(REFERENCE), store, domain, key="owner-chat")
    step(other, typed(PHONE), store, domain, key="owner-chat")
    assert other.get("access_verified"), "another client is not slowed by this one"


def test_a_saved_draft_resumes_with_its_answers(domain: dict) -> None:
    store = FakeStore()
    slots: dict = {}
    step(slots, typed(DRAFT_CODE), store, domain)
    turn = step(slots, typed(DRAFT_SECRET.upper()), store, domain)
    assert said(turn) == ["utter_draft_resumed"]
    assert slots["resume_draft"] and slots["reporter_role"] == "witness" and next_question(slots) is None


def test_right_after_a_report_its_own_chat_may_set_a_secret_word(domain: dict) -> None:
    store = FakeStore()
    ctx = engine.Context(store, "reporter-chat", domain, "en")
    turn = engine.start({}, button("set_secret"), ctx, REFERENCE)
    assert turn.updates["access_action"] == "set_secret" and store.granted("reporter-chat")
    other = engine.start({}, button("set_secret"), engine.Context(store, "forger", domain, "en"), REFERENCE)
    assert not other.updates.get("access_verified") and store.granted("forger") is None


def test_stop_help_and_person_work_at_every_question(domain: dict) -> None:
    store = FakeStore()
    slots = open_case(store, domain)
    assert said(step(slots, typed("help"), store, domain)) == ["utter_help_my_report"]
    assert said(step(slots, typed("talk to a person"), store, domain)) == ["utter_human_hours"]
    assert said(step(slots, typed("stop"), store, domain)) == ["utter_access_finished"]
    assert next_question(slots) is None


@pytest.mark.parametrize(
    "word",
    ["No thanks", "no", "cancel", "skip", "stop", "không", "Không, cảm ơn", "不用了", "不用了，謝謝",
     "아니요", "いいえ", "ไม่", "hindi po", "tidak", "tak nak", "မလိုဘူး", "ទេ", "bỏ qua"],
)
def test_declining_to_save_a_draft_carries_on_in_any_language(domain: dict, word: str) -> None:
    from bot.intake import engine as intake

    asking = {"description": "Invented: shouted at", "pending_control": "draft_secret"}
    turn = intake.handle_answer(asking, "draft_secret", typed(word), domain, "en")
    assert said(turn) == ["utter_carry_on"] and turn.updates.get("pending_control") is None
    pressed = intake.handle_answer(asking, "draft_secret", button("no"), domain, "en")
    assert said(pressed) == ["utter_carry_on"]
    kept = intake.handle_answer(asking, "draft_secret", typed("blue lantern 7"), domain, "en")
    assert kept.updates == {"draft_secret": None} and said(kept) == []  # saved by the action
