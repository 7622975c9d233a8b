"""Model-level check of the danger dev set (#15): the full NLU pipeline (classifier + command
override) on tests/data/danger_dev/<code>.yml, counting how `question:` lines end (ask_danger /
emergency / other) and how many `emergency:` lines stay emergency. Prints counts and, for misses,
the line number and intent ranking only (never the text).

    PYTHONPATH=. .venv/bin/python scripts/danger_dev_eval.py [--model models/current.tar.gz]
        [--data tests/data/danger_dev]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
from pathlib import Path

import yaml


async def _main(model: str, data: Path) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    for path in sorted(data.glob("*.yml")):
        sets = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind, want in (("question", "ask_danger"), ("emergency", "emergency")):
            counts: collections.Counter[str] = collections.Counter()
            misses = []
            for number, text in enumerate(sets.get(kind) or [], start=1):
                parsed = await agent.parse_message(text)
                name = parsed["intent"]["name"]
                counts[name if name in ("ask_danger", "emergency") else "other"] += 1
                if name != want:
                    ranking = [
                        (r["name"], round(r["confidence"], 3))
                        for r in parsed.get("intent_ranking", [])[:4]
                    ]
                    misses.append(f"#{number} {name} {ranking}")
            total = sum(counts.values())
            print(
                f"{path.stem} {kind}: n={total} ask_danger={counts['ask_danger']} "
                f"emergency={counts['emergency']} other={counts['other']}"
            )
            for miss in misses:
                print(f"  miss {path.stem} {kind} {miss}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/current.tar.gz")
    parser.add_argument("--data", default="tests/data/danger_dev", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's debug log would print the messages
    asyncio.run(_main(args.model, args.data))


if __name__ == "__main__":
    main()
