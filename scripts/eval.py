"""`make eval`: per-language NLU quality on the held-out test set, and language detection.

The held-out set (`tests/data/nlu_test/<code>.yml`) is never used for training. Prints Markdown
tables: intent accuracy and macro-F1 per language (trained model `models/current.tar.gz`), then
language-detection accuracy on short (≤ 3 words) and longer messages for plain langdetect vs this
project's detector, with per-message latency (`scripts.eval_language`).

    python -m scripts.eval [--model models/current.tar.gz] [--errors]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parents[1]
TEST_DIR = ROOT / "tests" / "data" / "nlu_test"
#: Held-out questions (bot/faq.py topics), written apart from data/nlu/<code>/faq.yml.
FAQ_DIR = ROOT / "tests" / "data" / "faq_test"
TARGET_F1 = 0.90
TARGET_TOPIC_ACCURACY = 0.90
#: Intents that end or redirect a conversation: a question must never be taken for one of them.
REDIRECTING = ("stop", "emergency", "my_report", "human")


class IntentScores(TypedDict):
    """One language's intent figures; `errors` holds (text, true intent, predicted intent)."""

    n: float
    accuracy: float
    macro_f1: float
    errors: list[tuple[str, str, str]]


def load_test_set(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs from a Rasa NLU YAML file."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), intent))
    return pairs


async def evaluate_nlu(model: Path) -> dict[str, IntentScores]:
    """Intent accuracy and macro-F1 per language on the held-out set."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return await _evaluate_intents(agent, TEST_DIR)


async def _predict(agent: Any, pairs: list[tuple[str, str]]) -> list[str]:
    predicted = []
    for text, _ in pairs:
        parsed = await agent.parse_message(text)
        predicted.append((parsed.get("intent") or {}).get("name") or "")
    return predicted


async def evaluate_questions(model: Path) -> dict[str, dict[str, Any]]:
    """Question-topic accuracy per language on the held-out question set, and where the misses
    went: another topic, an intent that ends or redirects the conversation (stop, emergency, my
    report, human), or anything else (the report's own intents, no intent)."""
    from rasa.core.agent import Agent

    from bot.faq import INTENTS as QUESTION_INTENTS

    agent = Agent.load(str(model))
    results: dict[str, dict[str, Any]] = {}
    for path in sorted(FAQ_DIR.glob("*.yml")):
        pairs = load_test_set(path)
        if not pairs:
            continue
        predicted = await _predict(agent, pairs)
        right = sum(p == i for (_, i), p in zip(pairs, predicted, strict=True))
        confusion = {name: 0 for name in (*REDIRECTING, "other topic", "other")}
        errors = []
        for (text, truth), pred in zip(pairs, predicted, strict=True):
            if pred == truth:
                continue
            errors.append((text, truth, pred))
            if pred in REDIRECTING:
                confusion[pred] += 1
            elif pred in QUESTION_INTENTS:
                confusion["other topic"] += 1
            else:
                confusion["other"] += 1
        results[path.stem] = {
            "n": len(pairs),
            "accuracy": right / len(pairs),
            "confusion": confusion,
            "errors": errors,
        }
    return results


async def _evaluate_intents(agent: Any, folder: Path) -> dict[str, IntentScores]:
    from sklearn.metrics import accuracy_score, f1_score

    results: dict[str, IntentScores] = {}
    for path in sorted(folder.glob("*.yml")):
        pairs = load_test_set(path)
        if not pairs:
            continue
        predicted = await _predict(agent, pairs)
        truth = [intent for _, intent in pairs]
        results[path.stem] = {
            "n": float(len(pairs)),
            "accuracy": float(accuracy_score(truth, predicted)),
            # Macro-F1 over the intents of the test set: a message the model leaves unclassified
            # (`nlu_fallback`, which is not an intent) counts as a miss of its true intent, but
            # not as a 17th class with F1 = 0 (sklearn's default would average that in).
            "macro_f1": float(
                f1_score(
                    truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0
                )
            ),
            "errors": [(t, i, p) for (t, i), p in zip(pairs, predicted, strict=True) if i != p],
        }
    return results


def main(argv: list[str] | None = None) -> int:
    """Prints the tables; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description="NLU and language-detection evaluation")
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"))
    parser.add_argument("--errors", action="store_true", help="list misclassified messages")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    # Rasa's structlog events print at debug level unless configured, one line per test message.
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    nlu = asyncio.run(evaluate_nlu(Path(args.model)))
    print("## Intent classification (held-out tests/data/nlu_test, never trained on)\n")
    print("| language | messages | accuracy | macro-F1 |")
    print("|---|---:|---:|---:|")
    missed = []
    for code, r in nlu.items():
        print(f"| {code} | {int(r['n'])} | {r['accuracy']:.1%} | {r['macro_f1']:.1%} |")
        if r["macro_f1"] < TARGET_F1:
            missed.append(f"{code} macro-F1 {r['macro_f1']:.1%} < {TARGET_F1:.0%}")
    if args.errors:
        for code, r in nlu.items():
            for text, truth, pred in r["errors"]:
                print(f"  {code}: {text!r}: {truth} → {pred}")

    questions = asyncio.run(evaluate_questions(Path(args.model)))
    print("\n## Questions (held-out tests/data/faq_test, never trained on)\n")
    print("Topic accuracy, and where the misses went: a question taken for stop, the emergency")
    print("message, my report or talk to a person; another topic; anything else.\n")
    print(
        "| language | questions | topic accuracy | → stop | → emergency | → my report | → human "
        "| → other topic | → other |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for code, q in questions.items():
        c = q["confusion"]
        print(
            f"| {code} | {q['n']} | {q['accuracy']:.1%} | {c['stop']} | {c['emergency']} | "
            f"{c['my_report']} | {c['human']} | {c['other topic']} | {c['other']} |"
        )
        if q["accuracy"] < TARGET_TOPIC_ACCURACY:
            missed.append(
                f"{code} topic accuracy {q['accuracy']:.1%} < {TARGET_TOPIC_ACCURACY:.0%}"
            )
        if c["stop"] or c["emergency"]:
            missed.append(
                f"{code}: {c['stop']} question(s) taken for stop, {c['emergency']} for danger"
            )
    if args.errors:
        for code, q in questions.items():
            for text, truth, pred in q["errors"]:
                print(f"  {code}: {text!r}: {truth} → {pred}")

    from scripts.eval_language import evaluate, to_markdown

    print()  # to_markdown() has its own heading (held-out tests/data/language_eval)
    print(to_markdown(evaluate()))
    if missed:
        print("\nTargets missed: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
