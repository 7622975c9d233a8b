"""The report form explored breadth-first: no offered button is refused, nobody gets stuck.

The form is a pure state machine (`bot.intake.engine`): a state is the slots, the question asked
is the first of `engine.required_slots` still empty, and the person's move is one `Answer`. From
the form's start, in every language, every state is expanded with

* every option offered: the buttons of the response asking the question (from the domain, the
  dynamic "anything else?" buttons of multi-select questions, the summary and change menus)
  and the buttons of the responses said in the turn that led there (a refusal's ways forward);
* a fixed vocabulary typed in that language: the skip, done, help, change, stop/cancel, save,
  my-report and talk-to-a-person words of `bot/lexicon/<lang>.yml` and of
  `tests/data/commands/<lang>.yml` ("not sure" is among the skip words), a question (with the
  intent and confidence the model would give), an interpreter request, an out-of-range number,
  an invalid phone number and e-mail, gibberish, an emoji, an empty message, and plain answers
  (a town, a phone number, an e-mail, a name, a narrative).

It asserts that no offered option is refused (pressing it always changes the state); that from
every reachable state a submitted report is reachable within `MAX_STEPS_TO_SUBMIT` moves; that
the same reply never comes back three times in a row while the person keeps pressing offered
buttons; and that every reply exists in the conversation's language.

States are collapsed to what matters for the flow (`_canonical`): the values of the choices
that steer it (police, caseworker, contact...), and for every other slot only whether it is
empty, skipped or answered. The first concrete state seen stands for its class.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import i18n
from bot.intake import engine
from bot.intake import options as o
from bot.intake.engine import Answer
from bot.languages import codes
from tests.conftest import EXPLORED

ROOT = Path(__file__).resolve().parents[3]
TODAY = dt.date(2026, 11, 22)
LANGUAGES = codes()
MAX_STEPS_TO_SUBMIT = 40
#: The exploration must at least cover this much (it cannot silently explore nothing).
MIN_STATES = 8000
MIN_TRANSITIONS = 200_000

#: Slots whose value steers the flow (kept as they are in a state's class).
FLOW_SLOTS = (
    "police", "caseworker", "partner_sharing", "contact_wanted", "location_kind",
    "pending_control", "summary_confirmed", "stop_confirmed", "erase_requested", "draft_saved",
    "switch_to_access", "language_ask",
)
#: Slots kept as empty / skipped / answered only.
SHAPE_SLOTS = (
    *o.DATA_SLOTS, *o.CONTROL_SLOTS, "date_from", "date_to", "last_reference",
)

#: Typed questions in each language (the FAQ intents; the model does not know them yet, so the
#: intent and a plausible confidence are given as it would give them).
QUESTIONS = {
    "en": "Is this confidential?",
    "zh-Hans": "这是保密的吗？",
    "zh-Hant": "這是保密的嗎？",
    "vi": "Việc này có được bảo mật không?",
    "ko": "비밀이 보장되나요?",
    "ja": "秘密は守られますか？",
    "th": "เป็นความลับไหม?",
    "tl": "Kumpidensyal ba ito?",
    "ms": "Adakah ini sulit?",
    "id": "Apakah ini rahasia?",
    "my": "ဒါ လျှို့ဝှက်ထားပေးမှာလား?",
    "km": "តើនេះជាការសម្ងាត់ទេ?",
}
#: Replies that refuse an answer (pressing an offered button must never lead to one alone).
REFUSALS = {
    "utter_unknown_choice", "utter_unclear_choice", "utter_cannot_skip", "utter_empty_message",
    "utter_need_one_contact", "utter_phone_needed", "utter_choose_at_least_one",
    "utter_description_needed", "utter_secret_too_short",
}
#: Placeholders the actions replace with live responses (actions/people.py).
PLACEHOLDERS = {
    "utter_human_hours": ("utter_human_open_now", "utter_human_closed", "utter_handoff_queued"),
    "utter_handoff_leave": ("utter_handoff_left",),
}


COMMAND_NAMES = ("skip", "done", "help", "change_answer", "stop", "erase", "save", "my_report", "human")
BRIEF: dict[str, list] = {}
#: Typed inputs whose meaning depends on the language (the rest are tried in English only).
LOCAL = ("question", "question-unsure", "gibberish", "empty")


@dataclass(frozen=True)
class Move:
    label: str
    answer: Answer
    offered: bool  # a button the bot showed


def _domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        merged["responses"].update((data or {}).get("responses") or {})
    return merged


def _typed(text: str, intent: str | None = None, confidence: float = 0.0) -> Answer:
    return Answer(text=text, intent=intent, intent_confidence=confidence)


def _vocabulary(language: str) -> list[Move]:
    """The typed inputs tried at every state in `language`."""
    lexicon = yaml.safe_load((ROOT / "bot" / "lexicon" / f"{language}.yml").read_text("utf-8"))
    held_out = yaml.safe_load((ROOT / "tests" / "data" / "commands" / f"{language}.yml").read_text("utf-8"))
    words: list[tuple[str, str]] = []
    for name in COMMAND_NAMES:
        for phrase in dict.fromkeys([*(lexicon.get(name) or [])[:1], *(held_out.get(name) or [])[:1]]):
            words.append((name, str(phrase)))
    moves = [Move(f"{name}:{phrase}", _typed(phrase), False) for name, phrase in words]
    moves += [
        Move("question", _typed(QUESTIONS[language], "ask_confidential", 0.8), False),
        Move("question-unsure", _typed(QUESTIONS[language], "ask_who_sees", 0.55), False),
        Move("interpreter", _typed("I need an interpreter", "ask_own_language", 0.8), False),
        Move("person-in-a-sentence", _typed("hello, I want to talk to a person here", "human", 0.9), False),
        Move("name-like-a-command", _typed("Sam Person", "human", 0.95), False),
        Move("out-of-range", _typed("9"), False),
        Move("zero", _typed("0"), False),
        Move("bad-phone", _typed("12345"), False),
        Move("bad-email", _typed("someone@example"), False),
        Move("gibberish", _typed("qwzx plok"), False),
        Move("emoji", _typed("🙂"), False),
        Move("empty", _typed(""), False),
        Move("town", _typed("Leeds"), False),
        Move("phone", _typed("020 7946 0123"), False),
        Move("email", _typed("sam@example.com"), False),
        Move(
            "narrative",
            _typed(
                "The man said the police would never believe me and nobody would see it",
                "ask_police_name",
                0.7,
            ),
            False,
        ),
        Move("yes", _typed("yes", "affirm", 0.9), False),
        Move("no", _typed("no", "deny", 0.9), False),
    ]
    return moves


def _requested(slots: dict[str, Any]) -> str | None:
    return next((s for s in engine.required_slots(slots) if slots.get(s) is None), None)


def _asked(domain: dict, slots: dict[str, Any], requested: str, language: str) -> tuple[str, list[tuple[str, str]]]:
    """The response asking `requested` and the buttons it shows (as the form's actions send it)."""
    name = engine.question_response(slots, requested)
    if name == "utter_ask_more_choices":
        offered = engine.buttons(domain, f"utter_ask_{requested}", language)
        return name, [
            *engine.more_choice_buttons(offered, list(slots.get("pending_choices") or [])),
            *engine.buttons(domain, name, language),
        ]
    return name, engine.buttons(domain, name, language)


#: Slots where skipped and answered differ for the flow (which contact question comes next).
SKIP_MATTERS = ("contact_phone", "contact_email")


def _shape(name: str, value: Any) -> str:
    if value is None:
        return "-"
    return "skipped" if value == o.SKIPPED and name in SKIP_MATTERS else "set"


#: Questions whose answers steer nothing that follows (changing one returns to the same place).
FLOW_FREE = (
    "reporter_role", "description", "incident_types", "incident_date", "motivations", "perpetrator",
    "support_needs",
)

#: Questions that steer the conversation rather than the report: they behave the same whatever was
#: answered (only whether anything was, and whether a report was sent), so one stands for all.
COLLAPSED_CONTROLS = ("confirm_stop", "draft_secret", "language_choice", "confirm_erase")


def _canonical(language: str, slots: dict[str, Any]) -> tuple:
    """The class of a state: what is still to ask, and the values that steer the flow."""
    control = slots.get("pending_control")
    if control in COLLAPSED_CONTROLS:
        return (language, control, engine.has_answers(slots), bool(slots.get("last_reference")))
    required = engine.required_slots(slots)
    to_ask = tuple(name for name in required if slots.get(name) is None)
    requested = to_ask[0] if to_ask else None
    pending = len(slots.get("pending_choices") or []) if requested in o.MULTI_SELECT else 0
    if requested in o.MULTI_SELECT and pending < len(o.CHOICES[requested]) - 2:
        pending = min(pending, 2)  # "anything else?" with some picked: alike until the last two
    if requested in FLOW_FREE and _has_hole(slots):
        # An answer being changed that steers nothing: handled alike whatever else was chosen.
        return (language, "changing", requested, pending, bool(slots.get("description_parts")))
    return (
        language,
        tuple(slots.get(name) for name in FLOW_SLOTS),
        to_ask,
        tuple(_shape(name, slots.get(name)) for name in SKIP_MATTERS),
        slots.get("place_type") == "online_place",
        pending,
        bool(slots.get("description_parts")),
        engine.has_answers(slots),
        bool(slots.get("last_reference")),
    )


def _apply(
    domain: dict, slots: dict[str, Any], requested: str, answer: Answer, language: str
) -> tuple[dict[str, Any], list[tuple[str, dict]], str]:
    """One turn as Rasa runs it: the from_text mapping, the engine, the draft action."""
    raw = answer.text if not answer.is_payload else f'/inform{{"choice":"{answer.choice}"}}'
    before = {**slots, requested: raw}
    turn = engine.handle_answer(before, requested, answer, domain, language, TODAY)
    after = {**before, **turn.updates}
    responses = list(turn.responses)
    if requested == "draft_secret" and set(turn.updates) == {"draft_secret"} and not responses:
        # actions/intake.py saves the draft with the word typed (6+ characters), else says so.
        if answer.is_payload or len(answer.text.strip()) < 6:
            responses.append(("utter_secret_too_short", {}))
        else:
            after.update({"draft_saved": True, "pending_control": None})
    if (answer.choice or "").startswith("lang:"):
        language = answer.choice.split(":", 1)[1]  # the slot-mapping action switches the language
    return after, responses, language


def _replies_exist(domain: dict, names: Iterator[str], language: str) -> list[str]:
    missing = []
    for name in names:
        for real in PLACEHOLDERS.get(name, (name,)):
            variations = domain["responses"].get(real) or []
            present = any(
                (not v.get("condition") and language == "en")
                or any(c.get("name") == "language" and c.get("value") == language for c in v.get("condition") or [])
                for v in variations
            )
            if not present:
                missing.append(f"{real} ({language})")
    return missing


def _has_hole(slots: dict[str, Any]) -> bool:
    """True when an answer was cleared to be changed and is not yet given again."""
    data = [s for s in engine.required_slots(slots) if s in o.DATA_SLOTS]
    filled = [slots.get(s) is not None for s in data]
    return any(not f and any(filled[i + 1 :]) for i, f in enumerate(filled))


def _first_pass(slots: dict[str, Any]) -> bool:
    """No answer cleared to be changed; the change menu only as opened at the summary."""
    if _has_hole(slots):
        return False
    if slots.get("pending_control") == "field_to_change":
        return _requested({**slots, "pending_control": None}) == "summary_confirmed"
    return True


def _explore(domain: dict, languages: list[str] = LANGUAGES, max_pops: int = 10**9) -> dict[str, Any]:
    vocab = {lang: _vocabulary(lang) for lang in languages}
    for lang in languages:
        if lang != "en":  # the same everywhere (numbers, phone, e-mail, emoji...): tried in English
            vocab[lang] = [m for m in vocab[lang] if m.label.split(":")[0] in (*COMMAND_NAMES, *LOCAL)]
    global BRIEF
    BRIEF = {  # while an answer is being changed: buttons and the way-out words are enough
        lang: [m for m in vocab[lang] if m.label.split(":")[0] in ("skip", "done", "stop", "empty", "gibberish")]
        for lang in languages
    }
    start = {lang: _canonical(lang, {}) for lang in languages}
    representative: dict[tuple, tuple[str, dict, tuple]] = {}
    queue: deque = deque()
    for lang in languages:
        node = (start[lang], ())
        representative[node] = (lang, {}, ())
        queue.append(node)
    edges: dict[tuple, list[tuple[tuple | str, bool, tuple]]] = {}
    refused: list[str] = []
    missing: set[str] = set()
    transitions = 0
    while queue and max_pops > 0:
        max_pops -= 1
        node = queue.popleft()
        language, slots, extra = representative[node]
        requested = _requested(slots)
        hole = _has_hole(slots)
        asked, shown = _asked(domain, slots, requested, language)
        missing.update(_replies_exist(domain, [asked], language))
        offered = {v: t for v, t in shown}
        for value in extra:
            offered.setdefault(value, value)
        if requested == "field_to_change" and hole:
            # A change inside a change: the menu was explored where nothing was cleared yet; here
            # only its way back is pressed (bounds the exploration: any field can be cleared once).
            offered = {v: t for v, t in offered.items() if v not in o.EDITABLE_FIELDS}
        moves = [Move(f"button:{v}", Answer(text="", choice=v, intent="inform", intent_confidence=1.0), True) for v in offered]
        out = []
        typed = vocab[language] if not hole else BRIEF[language]
        for move in [*moves, *typed]:
            transitions += 1
            after, responses, new_language = _apply(domain, slots, requested, move.answer, language)
            missing.update(_replies_exist(domain, (n for n, _ in responses), new_language))
            reply = tuple((n, tuple(sorted((k, str(v)) for k, v in vs.items()))) for n, vs in responses)
            if not engine.required_slots(after):
                target: tuple | str = "exit"
            elif _requested(after) is None:
                target = "submitted" if after.get("summary_confirmed") is True else "exit"
            else:
                again = _requested(after)
                next_ask, next_buttons = _asked(domain, after, again, new_language)
                reply += ((next_ask, tuple(v for v, _ in next_buttons)),)
                said_buttons = tuple(sorted({
                    v for n, _ in responses for v, _ in engine.buttons(domain, n, new_language)
                }))
                target = (_canonical(new_language, after), said_buttons)
                if target not in representative and (new_language == "en" or _first_pass(after)):
                    # Answers being changed are explored in English (command words mean the same
                    # in every language: bot/commands.py merges the lexicons); in the other
                    # languages the form's first pass and the change menu of the summary.
                    representative[target] = (new_language, after, said_buttons)
                    queue.append(target)
            unchanged = {k: v for k, v in after.items() if k != requested} == {
                k: v for k, v in slots.items() if k != requested
            } and after.get(requested) is None
            if move.offered and (unchanged or any(n in REFUSALS for n, _ in responses)):
                refused.append(f"{language} asked {requested}: {move.label} → {[n for n, _ in responses]}")
            out.append((target, move.offered, reply))
        edges[node] = out
    return {
        "edges": edges, "refused": refused, "missing": missing, "transitions": transitions,
        "states": len(representative),
    }


@pytest.fixture(scope="module")
def explored() -> Iterator[dict[str, Any]]:
    domain = _domain()
    # The domain does not change while exploring: read each response's buttons once.
    cached = functools.lru_cache(maxsize=None)(lambda key, language: i18n.buttons(domain, key, language))
    original = engine.buttons
    engine.buttons = lambda _domain, key, language: cached(key, language)
    try:
        result = _explore(domain)
    finally:
        engine.buttons = original
    line = f"report form: {result['states']} states, {result['transitions']} transitions explored"
    print("\n" + line)
    EXPLORED.append(line)
    yield result


def test_exploration_covers_the_form(explored: dict[str, Any]) -> None:
    assert explored["states"] >= MIN_STATES and explored["transitions"] >= MIN_TRANSITIONS
    targets = {t for out in explored["edges"].values() for t, _, _ in out}
    assert {"submitted", "exit"} <= targets


def test_no_offered_option_is_refused(explored: dict[str, Any]) -> None:
    assert not explored["refused"], "\n".join(explored["refused"][:30])


def test_a_report_can_always_be_sent(explored: dict[str, Any]) -> None:
    edges = explored["edges"]
    reverse: dict[Any, list[Any]] = {}
    for node, out in edges.items():
        for target, _, _ in out:
            reverse.setdefault(target, []).append(node)
    distance = {"submitted": 0}
    queue = deque(["submitted"])
    while queue:
        node = queue.popleft()
        for before in reverse.get(node, []):
            if before not in distance:
                distance[before] = distance[node] + 1
                queue.append(before)
    stuck = [node for node in edges if distance.get(node, 10**9) > MAX_STEPS_TO_SUBMIT]
    assert not stuck, f"{len(stuck)} states cannot reach a sent report, e.g. {stuck[:3]}"


def test_the_same_reply_never_comes_three_times_while_pressing_buttons(explored: dict[str, Any]) -> None:
    edges = explored["edges"]
    button_edges = {
        node: [(target, reply) for target, offered, reply in out if offered and isinstance(target, tuple)]
        for node, out in edges.items()
    }
    loops = []
    for node, out in button_edges.items():
        for middle, reply in out:
            # (A button that changes nothing is caught as refused; a class left for itself is a
            # multi-select collapsed by `_canonical`, whose replies do differ in what was picked.)
            if middle == node:
                continue
            for last, reply2 in button_edges.get(middle, []):
                if reply2 != reply or last == middle:
                    continue
                if any(reply3 == reply and end != last for end, reply3 in button_edges.get(last, [])):
                    loops.append(f"{node[0][0]}: {reply[0][0] if reply else reply}")
    assert not loops, "\n".join(sorted(set(loops))[:20])


def test_every_reply_exists_in_the_conversation_language(explored: dict[str, Any]) -> None:
    assert not explored["missing"], sorted(explored["missing"])[:30]
