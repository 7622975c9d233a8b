"""The "my report" access form explored breadth-first: no offered button refused, nobody stuck.

The form is a pure state machine (`bot.access.engine`) over slots and an in-memory store
(tests/bot/access/fakes.py: one case with two consents held, one saved draft, a per-client wait
after three failures). A state is the language, the form's slots and what the store holds (grant,
consents withdrawn, failures, secret set, draft taken); the question asked is
`engine.next_question`. From the form's three starts ("my report", "my report ABCD-2345", "Choose
a secret word" right after a report), in each of the 12 languages, every state is expanded with

* every option offered: the buttons of the question asked (read from the domain through
  `engine.question`, i.e. `bot.i18n.buttons`; the withdrawal menu offers only consents held);
* a fixed vocabulary typed in that language: the skip, done, help, change, stop (cancel),
  exit, my-report and talk-to-a-person words of `bot/lexicon/<lang>.yml` ("not sure" is a skip
  word), the "No thanks" title, questions, an out-of-range number, an invalid reference, the
  case's and the draft's valid references, a wrong and a right second factor, a new secret word,
  something to add, gibberish, an emoji and an empty message.

It asserts that no offered option is refused; that from every reachable state the end of the form
(finished, resumed draft, or the exit the person asked for) is reachable within
`MAX_STEPS_TO_END` moves; that the same refusal (a reply that does not take the answer) never
comes back three times in a row; and that every reply exists in the conversation's language.
Asking the same thing again (the status three times) is an answer each time, not a refusal.
"""

from __future__ import annotations

import copy
import functools
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import commands
from bot.access import engine
from bot.intake.engine import Answer
from bot.languages import codes
from tests.bot.access.fakes import (
    DRAFT_CODE,
    DRAFT_SECRET,
    PHONE,
    REFERENCE,
    FakeStore,
    load_domain,
)
from tests.conftest import EXPLORED

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = codes()
KEY = "explore-chat"
DRAFT_SLOTS = ("reporter_role", "description")
MAX_STEPS_TO_END = 2
#: Responses the actions expand into others (actions/people.py `expand_responses`).
PLACEHOLDERS = {"utter_human_hours"}
#: The exploration must at least cover this much (it cannot silently explore nothing).
MIN_STATES = 1500
MIN_TRANSITIONS = 50_000
TIME_LIMIT_SECONDS = 45


@dataclass
class Node:
    language: str
    slots: dict[str, Any]
    store: FakeStore

    def key(self) -> tuple:
        """Its class: every ended form is one state; the store's secret (set or not) is not part
        of it (the first concrete state seen stands for its class)."""
        if self.slots.get("__ended__"):
            return (self.language, "ended")
        slots = tuple((name, repr(self.slots.get(name))) for name in engine.ACCESS_SLOTS)
        grants, withdrawn, failures, _secret, draft_taken = self.store.snapshot()
        return (self.language, slots, grants, withdrawn, failures, draft_taken)


def _lexicon(language: str) -> dict[str, list[str]]:
    return yaml.safe_load((ROOT / "bot" / "lexicon" / f"{language}.yml").read_text(encoding="utf-8")) or {}


def vocabulary(language: str, domain: dict[str, Any]) -> list[str]:
    lexicon = _lexicon(language)
    words: list[str] = []
    for command in ("skip", "done", "help", "change_answer", "stop", "erase", "human", "my_report"):
        words += [str(w) for w in (lexicon.get(command) or [])[:2]]
    words += [str(w) for w in (lexicon.get("skip") or []) if "sure" in str(w)][:1]
    words += [title for _value, title in engine.i18n.buttons(domain, "utter_ask_access_new_secret", language)]
    words += [
        "Is this confidential?", "谁会看到这个？", "cảnh sát có biết tên tôi không?",
        "9", "0", "ABC-12", REFERENCE.lower(), DRAFT_CODE, "wrong guess 7", PHONE, DRAFT_SECRET,
        "Invented Lantern 42", "I remembered: he had a green umbrella (invented).",
        "qwzx plmk vvv", "🙂", "",
    ]
    return list(dict.fromkeys(words))


def typed(text: str) -> Answer:
    return Answer(text=text)


def pressed(value: str) -> Answer:
    return Answer(text="", choice=value, intent="inform", intent_confidence=1.0)


def ctx_of(node: Node, domain: dict[str, Any]) -> engine.Context:
    return engine.Context(node.store, KEY, domain, node.language, draft_slots=DRAFT_SLOTS)


def move(node: Node, answer: Answer, domain: dict[str, Any]) -> tuple[tuple[str, ...], Node]:
    """One message as Rasa's form loop handles it: from-text mapping, validation, next question."""
    slots, store = dict(node.slots), copy.deepcopy(node.store)
    nxt = Node(node.language, slots, store)
    requested = engine.next_question(slots)
    assert requested is not None
    raw = answer.text if not answer.is_payload else f'/inform{{"choice":"{answer.choice}"}}'
    turn = engine.handle_answer(
        {**slots, requested: raw or None}, requested, answer, domain, node.language,
        store=store, conversation_key=KEY, draft_slots=DRAFT_SLOTS,
    )
    slots.update(turn.updates)
    for name in engine.SECRET_SLOTS:
        slots[name] = None
    reply = [name for name, _ in turn.responses]
    following = engine.next_question(slots)
    if following is None:
        done, _resume = engine.finish(slots, ctx_of(nxt, domain))
        slots.update(done.updates)
        slots["__ended__"] = True
    else:
        reply.append(engine.question(slots, following, ctx_of(nxt, domain))[0])
    return tuple(reply), nxt


def starts(language: str, domain: dict[str, Any]) -> list[tuple[tuple[str, ...], Node]]:
    result = []
    for answer, last in ((typed("my report"), None), (typed(f"my report {REFERENCE}"), None),
                         (pressed("set_secret"), REFERENCE)):
        store = FakeStore(made_by=KEY)
        node = Node(language, {}, store)
        turn = engine.start({}, answer, ctx_of(node, domain), last)
        node.slots.update(turn.updates)
        asked = engine.next_question(node.slots)
        assert asked, "the form asks something first"
        result.append(((engine.question(node.slots, asked, ctx_of(node, domain))[0],), node))
    return result


def ended(node: Node) -> bool:
    return bool(node.slots.get("__ended__"))


def has_language(domain: dict[str, Any], name: str, language: str) -> bool:
    variations = domain["responses"].get(name) or []
    if language == "en":
        return any(not v.get("condition") for v in variations)
    return any(
        c.get("name") == "language" and c.get("value") == language
        for v in variations for c in v.get("condition") or []
    )


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def fast_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vocabulary is fixed: each message's command is worked out once."""
    monkeypatch.setattr(commands, "command", functools.lru_cache(maxsize=None)(commands.command))


def test_explore_the_access_form_in_every_language(domain: dict[str, Any], fast_commands: None) -> None:
    began = time.monotonic()
    nodes: dict[tuple, Node] = {}
    edges: dict[tuple, list[tuple[str, tuple[str, ...], tuple]]] = {}
    incoming: dict[tuple, set[tuple[str, ...]]] = {}
    problems: list[str] = []
    queue: deque[tuple] = deque()
    for language in LANGUAGES:
        for reply, node in starts(language, domain):
            key = node.key()
            incoming.setdefault(key, set()).add(reply)
            if key not in nodes:
                nodes[key] = node
                queue.append(key)
    words = {language: vocabulary(language, domain) for language in LANGUAGES}
    transitions = 0
    while queue:
        key = queue.popleft()
        node = nodes[key]
        edges[key] = []
        if ended(node):
            continue
        asked = engine.next_question(node.slots)
        _response, offered = engine.question(node.slots, asked, ctx_of(node, domain))
        moves = [(f"button:{value}", pressed(value), True) for value, _title in offered]
        moves += [(f"typed:{text!r}", typed(text), False) for text in words[node.language]]
        for label, answer, is_offered in moves:
            reply, after = move(node, answer, domain)
            transitions += 1
            refused = [name for name in reply if name in engine.REFUSALS]
            if is_offered and refused:
                problems.append(f"{node.language} at {asked}: offered {label} refused with {refused}")
            for name in reply:
                if name not in PLACEHOLDERS and not has_language(domain, name, node.language):
                    problems.append(f"{name} has no {node.language} variation")
            after_key = after.key()
            edges[key].append((label, reply, after_key))
            incoming.setdefault(after_key, set()).add(reply)
            if after_key not in nodes:
                nodes[after_key] = after
                queue.append(after_key)
        assert time.monotonic() - began < TIME_LIMIT_SECONDS, "exploration too slow"

    # The same refusal three times in a row: a reply R into a state, R again out of it, and R
    # once more out of the state that led to.
    for key, outs in edges.items():
        for label, reply, after_key in outs:
            if not any(name in engine.REFUSALS for name in reply) or reply not in incoming.get(key, ()):
                continue
            if any(again == reply for _l, again, _k in edges.get(after_key, [])):
                problems.append(f"{nodes[key].language} at {engine.next_question(nodes[key].slots)}: "
                                f"{reply} three times in a row (via {label})")

    # From every state, the end of the form within MAX_STEPS_TO_END moves.
    distance = {key: 0 for key, node in nodes.items() if ended(node)}
    frontier = list(distance)
    reverse: dict[tuple, list[tuple]] = {}
    for key, outs in edges.items():
        for _label, _reply, after_key in outs:
            reverse.setdefault(after_key, []).append(key)
    while frontier:
        nxt = []
        for key in frontier:
            for before in reverse.get(key, []):
                if before not in distance:
                    distance[before] = distance[key] + 1
                    nxt.append(before)
        frontier = nxt
    for key, node in nodes.items():
        steps = distance.get(key)
        if steps is None or steps > MAX_STEPS_TO_END:
            problems.append(f"{node.language} at {engine.next_question(node.slots)}: end not reachable "
                            f"within {MAX_STEPS_TO_END} moves ({steps})")

    elapsed = time.monotonic() - began
    line = (f"'my report' access form: {len(nodes)} states, {transitions} transitions explored, "
            f"{len(LANGUAGES)} languages, {elapsed:.1f}s")
    print("\n" + line)
    EXPLORED.append(line)
    assert not problems, "\n".join(sorted(set(problems))[:40])
    assert len(LANGUAGES) == 12
    assert len(nodes) >= MIN_STATES and transitions >= MIN_TRANSITIONS, (len(nodes), transitions)
    asked = {engine.next_question(n.slots) for n in nodes.values() if not ended(n)}
    assert asked == set(engine.required_slots({"access_verified": True, "access_action": "withdraw"}))   \
        | {"access_reference", "access_secret", "access_addition", "access_new_secret"}
