"""Evaluate language detection on the held-out messages in tests/data/language_eval/.

Run: ``python -m scripts.eval_language`` (prints Markdown). Other scripts call :func:`evaluate`.

Compares plain langdetect (seeded; its codes mapped to ours through ``bot/languages.yml``; it has
no Malay, Burmese or Khmer model, so those messages can only count as wrong) with our
``bot.language.detect`` (no hint), per language, on short (≤ 3 words) and longer messages, and
measures our per-message latency after warm-up.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import languages
from bot.language import detect, warm_up

logger = logging.getLogger(__name__)

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "language_eval"
KINDS = ("short", "long")


def load_eval(directory: Path = EVAL_DIR) -> dict[str, dict[str, list[str]]]:
    """Read ``<code>.txt`` eval files.

    Args:
        directory: Folder with one file per language code.

    Returns:
        ``{code: {"short": [...], "long": [...]}}`` for every language that has a file, in
        ``languages.yml`` order.
    """
    data: dict[str, dict[str, list[str]]] = {}
    for code in languages.codes():
        path = directory / f"{code}.txt"
        if not path.exists():
            continue
        sections: dict[str, list[str]] = {kind: [] for kind in KINDS}
        current: str | None = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1]
                continue
            if current in sections:
                sections[current].append(line)
        data[code] = sections
    return data


def _langdetect_predictor() -> Callable[[str], str | None]:
    from langdetect import DetectorFactory
    from langdetect import detect as ld_detect
    from langdetect.lang_detect_exception import LangDetectException

    mapping = {ld: lang.code for lang in languages.all_languages() for ld in lang.langdetect}

    def predict(text: str) -> str | None:
        DetectorFactory.seed = 0
        try:
            return mapping.get(ld_detect(text))
        except LangDetectException:
            return None

    return predict


def _ours(text: str) -> str | None:
    return detect(text).language


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def evaluate(directory: Path = EVAL_DIR, latency_rounds: int = 5) -> dict[str, Any]:
    """Score langdetect and our detector on the eval set.

    Args:
        directory: Folder with the eval files.
        latency_rounds: How many times each message is timed (after one warm-up pass).

    Returns:
        ``{"per_language": {code: {"n_short", "n_long", "langdetect_short", "langdetect_long",
        "ours_short", "ours_long", "errors": [(kind, text, predicted)]}}, "overall": {
        "langdetect_short", "ours_short", "langdetect_long", "ours_long"},
        "latency_ms": {"p50", "p99", "max", "n"}}``. Accuracies are fractions 0..1.
    """
    data = load_eval(directory)
    baseline = _langdetect_predictor()
    per_language: dict[str, dict[str, Any]] = {}
    totals = {f"{who}_{kind}": [0, 0] for who in ("langdetect", "ours") for kind in KINDS}
    for code, sections in data.items():
        row: dict[str, Any] = {"errors": []}
        for kind in KINDS:
            texts = sections[kind]
            row[f"n_{kind}"] = len(texts)
            for who, predict in (("langdetect", baseline), ("ours", _ours)):
                right = 0
                for text in texts:
                    predicted = predict(text)
                    if predicted == code:
                        right += 1
                    elif who == "ours":
                        row["errors"].append((kind, text, predicted))
                row[f"{who}_{kind}"] = right / len(texts) if texts else 0.0
                totals[f"{who}_{kind}"][0] += right
                totals[f"{who}_{kind}"][1] += len(texts)
        per_language[code] = row
    overall = {key: (right / n if n else 0.0) for key, (right, n) in totals.items()}

    warm_up()
    messages = [t for sections in data.values() for kind in KINDS for t in sections[kind]]
    for text in messages:
        detect(text)
    timings: list[float] = []
    for _ in range(latency_rounds):
        for text in messages:
            start = time.perf_counter()
            detect(text)
            timings.append((time.perf_counter() - start) * 1000)
    latency = {
        "p50": statistics.median(timings) if timings else 0.0,
        "p99": _percentile(timings, 99) if timings else 0.0,
        "max": max(timings) if timings else 0.0,
        "n": len(timings),
    }
    return {"per_language": per_language, "overall": overall, "latency_ms": latency}


def to_markdown(result: dict[str, Any], show_errors: bool = False) -> str:
    """Render :func:`evaluate`'s result as Markdown tables."""
    lines = [
        "## Language detection (held-out eval, no hint)",
        "",
        "| language | n short | langdetect short | ours short | n long | langdetect long | ours long |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for code, row in result["per_language"].items():
        lines.append(
            f"| {code} | {row['n_short']} | {row['langdetect_short']:.0%} | {row['ours_short']:.0%}"
            f" | {row['n_long']} | {row['langdetect_long']:.0%} | {row['ours_long']:.0%} |"
        )
    o = result["overall"]
    lines.append(
        f"| **all** | | **{o['langdetect_short']:.1%}** | **{o['ours_short']:.1%}** | | "
        f"**{o['langdetect_long']:.1%}** | **{o['ours_long']:.1%}** |"
    )
    lat = result["latency_ms"]
    lines += [
        "",
        f"Ours, per message after warm-up ({lat['n']} timings): p50 {lat['p50']:.3f} ms, "
        f"p99 {lat['p99']:.3f} ms, max {lat['max']:.3f} ms.",
    ]
    if show_errors:
        lines += [
            "",
            "### Our errors",
            "",
            "| language | kind | text | detected |",
            "|---|---|---|---|",
        ]
        for code, row in result["per_language"].items():
            for kind, text, predicted in row["errors"]:
                lines.append(f"| {code} | {kind} | {text} | {predicted} |")
    return "\n".join(lines)


def main() -> None:
    """Print the evaluation as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list our misdetections too")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(to_markdown(evaluate(), show_errors=args.errors))


if __name__ == "__main__":
    main()
