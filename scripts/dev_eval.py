"""Development sets (tests/data/nlu_dev/<code>.yml): where a trained model is weak.

Written apart from the training data AND from the held-out sets (which are only ever scored,
never read, by scripts/eval.py). Unlike the held-out sets, these may be read and their misses
listed: they guide new training examples, lexicon words and rules; the held-out sets then
measure whether the fix is general.

    python -m scripts.dev_eval --model /tmp/nlu-helper/dev1.tar.gz [--errors] [code ...]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import sys
from pathlib import Path

from scripts.eval import _predict, load_test_set

ROOT = Path(__file__).resolve().parents[1]
DEV_DIR = ROOT / "tests" / "data" / "nlu_dev"


async def _run(model: Path, codes: list[str], errors: bool, dev_dir: Path = DEV_DIR) -> None:
    from rasa.core.agent import Agent
    from sklearn.metrics import f1_score

    agent = Agent.load(str(model))
    for path in sorted(dev_dir.glob("*.yml")):
        if codes and path.stem not in codes:
            continue
        pairs = load_test_set(path)
        predicted = await _predict(agent, pairs)
        truth = [intent for _, intent in pairs]
        right = sum(t == p for t, p in zip(truth, predicted, strict=True))
        f1 = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
        print(
            f"{path.stem}: {len(pairs)} messages, accuracy {right / len(pairs):.1%}, macro-F1 {f1:.1%}"
        )
        confusion = collections.Counter(
            (t, p) for t, p in zip(truth, predicted, strict=True) if t != p
        )
        for (t, p), n in confusion.most_common():
            print(f"  {t} → {p}: {n}")
        if errors:
            for (text, t), p in zip(pairs, predicted, strict=True):
                if t != p:
                    print(f"    {text!r}: {t} → {p}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="NLU development-set confusion summary")
    parser.add_argument("--model", required=True)
    parser.add_argument("--errors", action="store_true", help="list the development set's misses")
    parser.add_argument(
        "--dir", type=Path, default=DEV_DIR, help="development-set directory (default: nlu_dev)"
    )
    parser.add_argument("codes", nargs="*", help="languages (default: every dev set)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    asyncio.run(_run(Path(args.model), args.codes, args.errors, args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
