"""Danger development set (issue #15, point 3): a question ABOUT danger gets the FAQ danger answer,
danger said now keeps the emergency message — checked on the lexicon route, without the model.

The messages are in tests/data/danger_dev/<code>.yml (written apart from the training data and the
held-out sets). For each `question:` line the override is run with each plausible model output;
misses are printed as a summary (counts and line numbers only, never the text).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import commands
from bot.nlu.commands import CommandIntentOverride

DATA = Path(__file__).resolve().parents[1] / "data" / "danger_dev"
SETS = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(DATA.glob("*.yml"))
}

#: What the model may plausibly say on a question about danger: the question itself, the
#: emergency with confidence, or the emergency on top with the question close behind.
MODEL_OUTPUTS = {
    "ask_danger 0.6": [("ask_danger", 0.6), ("emergency", 0.3)],
    "emergency 0.9": [("emergency", 0.9), ("ask_danger", 0.05)],
    "emergency 0.55, ask_danger 0.4": [("emergency", 0.55), ("ask_danger", 0.4)],
}


def route(text: str, ranking: list[tuple[str, float]]) -> str:
    """The intent after the command override, for a model that ranked `ranking`."""
    message = Message(data={TEXT: text})
    name, confidence = ranking[0]
    message.set(INTENT, {"name": name, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    CommandIntentOverride().process([message])
    return message.get(INTENT)["name"]


def _lines(kind: str) -> list[tuple[str, int, str]]:
    return [
        (language, number, text)
        for language, data in SETS.items()
        for number, text in enumerate(data.get(kind) or [], start=1)
    ]


def test_the_dev_set_is_there() -> None:
    assert {"th", "km"} <= set(SETS)
    for data in SETS.values():
        assert len(data["question"]) >= 25 and len(data["emergency"]) >= 15


@pytest.mark.parametrize(
    ("language", "number", "text"),
    _lines("emergency"),
    ids=[f"{language}-{number}" for language, number, _ in _lines("emergency")],
)
def test_danger_said_now_is_an_emergency_whatever_the_model_says(
    language: str, number: int, text: str
) -> None:
    assert commands.command(text) == "emergency", f"{language} emergency #{number}: missed"
    assert not commands.asks_about_danger(text, "emergency", 0.9), f"{language} #{number}"
    for ranking in MODEL_OUTPUTS.values():
        assert route(text, ranking) == "emergency", f"{language} emergency #{number}: {ranking}"


def _question_misses() -> dict[str, list[str]]:
    misses: dict[str, list[str]] = {label: [] for label in MODEL_OUTPUTS}
    for language, number, text in _lines("question"):
        for label, ranking in MODEL_OUTPUTS.items():
            if route(text, ranking) != "ask_danger":
                misses[label].append(f"{language}#{number}")
    return misses


def test_a_question_about_danger_gets_the_danger_answer() -> None:
    misses = _question_misses()
    total = len(_lines("question"))
    for label, missed in misses.items():
        print(f"model {label}: {total - len(missed)}/{total} -> ask_danger; misses: {missed}")
    # When the model reads it as the question, the lexicon never turns it into an emergency;
    # when the model says emergency, a conditional question is still recognised as one.
    assert not misses["ask_danger 0.6"]
    assert not misses["emergency 0.55, ask_danger 0.4"]
    conditional = [
        f"{language}#{number}"
        for language, number, text in _lines("question")
        if commands.is_hypothetical(text)
    ]
    assert not set(misses["emergency 0.9"]) & set(conditional)


@pytest.mark.parametrize(
    "text",
    [
        "เขากำลังทำร้ายฉัน ถ้าตำรวจไม่มา ฉันควรทำยังไง",  # "he is hurting me; if the police don't come…?"
        "มีคนกำลังตามฉัน ถ้าเขาเข้ามาในบ้าน ต้องทำอะไร",
        "គេកំពុងវាយខ្ញុំ បើប៉ូលីសមិនមក តើខ្ញុំគួរធ្វើអ្វី?",
        "he has a knife, what do I do if he comes in?",
    ],
)
def test_danger_said_before_a_conditional_question_stays_an_emergency(text: str) -> None:
    assert commands.command(text) == "emergency"
    assert commands.is_hypothetical(text)
    assert not commands.asks_about_danger(text, "emergency", 0.9)
    assert not commands.asks_about_danger(text, "ask_danger", 0.9)
    assert route(text, [("ask_danger", 0.9), ("emergency", 0.1)]) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "មានគេនៅមាត់ទ្វារ គេកំពុងបើកទ្វារ ធ្វើម៉េច?",  # បើក "open" holds បើ "if"
        "មានគេកំពុងដើរតាមខ្ញុំ គេបើកឡានតាមខ្ញុំ ធ្វើម៉េច?",  # បើកឡាន "drive"
        "มันกำลังมาหากู ทำไงดี",  # มาหากู "coming for me" holds หาก "if"
    ],
)
def test_a_word_that_only_looks_conditional_does_not_make_danger_a_question(text: str) -> None:
    assert commands.command(text) == "emergency"
    assert not commands.is_hypothetical(text)
    assert not commands.asks_about_danger(text, "ask_danger", 0.9)


def test_if_followed_by_a_word_starting_with_k_is_still_conditional() -> None:
    # Khmer: "ប្រសិនបើកូនខ្ញុំ…" ("if my child…") also holds the letters of បើក ("open").
    assert commands.is_hypothetical("ប្រសិនបើកូនខ្ញុំមានគ្រោះថ្នាក់ តើត្រូវធ្វើអ្វី?")


@pytest.mark.parametrize(
    "text",
    [
        "คนที่อยู่ในอันตรายควรทำอย่างไร",  # "what should someone in danger do?" (nobody now)
        "บริการนี้ช่วยคนที่ตกอยู่ในอันตรายได้ไหม",
    ],
)
def test_a_general_question_the_model_gave_another_topic_or_ranked_close_is_the_question(
    text: str,
) -> None:
    assert commands.command(text) == "emergency"
    assert not commands.is_hypothetical(text)
    assert route(text, [("ask_who_for", 0.75), ("emergency", 0.2)]) == "ask_danger"
    assert route(text, [("emergency", 0.6), ("ask_danger", 0.3)]) == "ask_danger"
    # Not when the model is sure it is an emergency, nor on a guess.
    assert route(text, [("emergency", 0.9), ("ask_danger", 0.05)]) == "emergency"
    assert route(text, [("ask_who_for", 0.3), ("emergency", 0.2)]) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "ฉันไม่ปลอดภัย ต้องทำยังไง",  # "I'm not safe, what do I do?"
        "ខ្ញុំមិនមានសុវត្ថិភាពទេ តើធ្វើអ្វី?",
    ],
)
def test_danger_to_the_person_written_as_a_question_stays_an_emergency_whatever_the_ranking(
    text: str,
) -> None:
    for ranking in (
        [("ask_danger", 0.9), ("emergency", 0.1)],
        [("emergency", 0.5), ("ask_danger", 0.45)],
        [("ask_who_for", 0.9), ("emergency", 0.1)],
    ):
        assert route(text, ranking) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "သူ အခု ဒီမှာ ရှိနေတယ် အရင်ဆုံး ဘာလုပ်ရမလဲ",  # Burmese: အရင် "first" holds ရင် "if"
        "သူ ကျွန်တော့် ရင်ဘတ်ကို ထိုးနေတယ် ဘာလုပ်ရမလဲ",  # ရင်ဘတ် "chest"
    ],
)
def test_burmese_words_that_only_look_conditional(text: str) -> None:
    assert commands.command(text) == "emergency"
    assert not commands.is_hypothetical(text)
    assert route(text, [("emergency", 0.9), ("ask_danger", 0.05)]) == "emergency"
