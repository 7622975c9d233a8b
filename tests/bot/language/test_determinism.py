"""Detection is deterministic: same input, same output, across runs and processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.language import detect

from .dev_cases import DEV_CASES

ROOT = Path(__file__).resolve().parents[3]
# Include longer messages too (lingua scores whole n-gram sets; cues are set-based).
SAMPLES = [text for _, text in DEV_CASES] + [
    "kemarin saya dipukul orang di halte bus dekat stasiun dan mereka bilang pulang ke negaramu",
    "semalam saya kena maki dalam bas dan diorang cakap balik negara kau",
]


def _results() -> list[list[object]]:
    return [[d.language, d.confidence, d.reason] for d in (detect(t) for t in SAMPLES)]


def test_same_result_over_20_runs() -> None:
    first = _results()
    for _ in range(19):
        assert _results() == first


def test_same_result_in_fresh_processes_with_different_hash_seeds() -> None:
    code = (
        "import json, sys\n"
        "from bot.language import detect\n"
        "texts = json.loads(sys.stdin.read())\n"
        "print(json.dumps([[d.language, d.confidence, d.reason] for d in map(detect, texts)]))\n"
    )
    expected = json.loads(json.dumps(_results()))
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(SAMPLES),
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
            timeout=120,
        )
        assert json.loads(out.stdout) == expected
