"""Scoring for languages that share a script with others (Latin: en, vi, tl, ms, id).

Combines three signals, all deterministic:

1. Vietnamese-only letters (ơ ư ă đ ạ ế ...): decisive for ``vi``.
2. lingua, restricted to the candidate languages; built once, lazily, on first use.
3. Cue words and phrases from ``cues.yml`` (matched without diacritics, so romanised
   Vietnamese, Taglish, Singlish and colloquial Malay/Indonesian are recognised even when a
   message is too short for n-gram statistics).

langdetect is deliberately not used here: measured on the eval set it added nothing over lingua
plus cues on short text (it has no Malay model and guesses on a few words) and cost 5-13 ms per
longer message, over the latency budget. It remains the baseline in ``scripts/eval_language.py``.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import languages
from bot.language.text import strip_diacritics, tokens

logger = logging.getLogger(__name__)

__all__ = ["LatinScores", "score_latin", "warm_up"]

CUES_FILE = Path(__file__).with_name("cues.yml")
STRONG_WEIGHT = 1.0
WEAK_WEIGHT = 0.4
PHRASE_WEIGHT = 1.0
# lingua sees at most this many characters: enough to decide, and it bounds latency.
MAX_CHARS = 300
VIETNAMESE_ONLY = frozenset("ơưăđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịĩọỏốồổỗộớờởỡợụủũứừửữựỳỵỷỹ")

_lock = threading.Lock()


@dataclass(frozen=True)
class _Cues:
    strong: dict[str, frozenset[str]]
    weak: dict[str, frozenset[str]]
    phrases: dict[str, tuple[tuple[str, ...], ...]]


@dataclass(frozen=True)
class LatinScores:
    """Per-language scores for one Latin-script message.

    Attributes:
        scores: Language code → non-negative score (higher is likelier), in menu order.
        cue_hits: Number of distinct cue words/phrases matched, over all languages.
        vietnamese_letters: Number of Vietnamese-only letters in the text.
    """

    scores: dict[str, float]
    cue_hits: int
    vietnamese_letters: int


def _candidates() -> list[str]:
    return [lang.code for lang in languages.all_languages() if lang.script == "latin"]


@functools.lru_cache(maxsize=1)
def _cues() -> _Cues:
    with CUES_FILE.open(encoding="utf-8") as fh:
        raw: dict[str, dict[str, list[Any]]] = yaml.safe_load(fh) or {}
    strong: dict[str, frozenset[str]] = {}
    weak: dict[str, frozenset[str]] = {}
    phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
    for code, entry in raw.items():
        languages.get(code)  # fail loudly on a typo'd code
        for kind, words in entry.items():
            bad = [w for w in words if not isinstance(w, str)]
            if bad:  # an unquoted YAML boolean such as `on` or `no`
                raise ValueError(f"{CUES_FILE.name}: {code}.{kind} has non-string cues {bad!r}")
        strong[code] = frozenset(strip_diacritics(str(w)).lower() for w in entry.get("strong", []))
        weak[code] = frozenset(strip_diacritics(str(w)).lower() for w in entry.get("weak", []))
        phrases[code] = tuple(
            tuple(strip_diacritics(str(p)).lower().split()) for p in entry.get("phrases", [])
        )
    return _Cues(strong=strong, weak=weak, phrases=phrases)


@functools.lru_cache(maxsize=1)
def _lingua() -> Any:
    """Build the lingua detector for the Latin candidates (once; ~0.2 s)."""
    from lingua import Language as LinguaLanguage
    from lingua import LanguageDetectorBuilder

    with _lock:
        wanted = [
            getattr(LinguaLanguage, lang.lingua)
            for lang in languages.all_languages()
            if lang.script == "latin" and lang.lingua
        ]
        logger.info("building lingua detector for %s languages", len(wanted))
        return (
            LanguageDetectorBuilder.from_languages(*wanted).with_preloaded_language_models().build()
        )


@functools.lru_cache(maxsize=1)
def _lingua_to_code() -> dict[str, str]:
    return {
        lang.lingua: lang.code
        for lang in languages.all_languages()
        if lang.script == "latin" and lang.lingua
    }


def warm_up() -> None:
    """Load cue lists and lingua models now (call at process start to keep first reply fast)."""
    _cues()
    _lingua().compute_language_confidence_values("warm up")


def _cue_scores(folded: str) -> tuple[dict[str, float], int]:
    cues = _cues()
    toks: list[str] = []
    for tok in tokens(strip_diacritics(folded)):
        toks.append(tok)
        if "-" in tok:  # "laki-laki", "nag-report": the parts count too
            toks.extend(part for part in tok.split("-") if part)
    token_set = set(toks)
    grams = {tuple(toks[i : i + n]) for n in (2, 3) for i in range(len(toks) - n + 1)}
    scores: dict[str, float] = {}
    hits = 0
    for code in _candidates():
        strong = token_set & cues.strong.get(code, frozenset())
        weak = token_set & cues.weak.get(code, frozenset())
        phrase_hits = sum(1 for p in cues.phrases.get(code, ()) if p in grams)
        hits += len(strong) + len(weak) + phrase_hits
        scores[code] = (
            STRONG_WEIGHT * len(strong) + WEAK_WEIGHT * len(weak) + PHRASE_WEIGHT * phrase_hits
        )
    return scores, hits


def score_latin(folded: str) -> LatinScores:
    """Score each Latin-script candidate language for one message.

    Args:
        folded: The message, already passed through :func:`bot.language.text.fold`.

    Returns:
        Scores per language (lingua probability plus cue weights).
    """
    text = folded[:MAX_CHARS]
    vietnamese_letters = sum(1 for ch in text if ch in VIETNAMESE_ONLY)
    scores, hits = _cue_scores(text)
    mapping = _lingua_to_code()
    for value in _lingua().compute_language_confidence_values(text):
        code = mapping.get(value.language.name)
        if code:
            scores[code] = scores.get(code, 0.0) + float(value.value)
    ordered = {code: scores.get(code, 0.0) for code in _candidates()}
    return LatinScores(scores=ordered, cue_hits=hits, vietnamese_letters=vietnamese_letters)
