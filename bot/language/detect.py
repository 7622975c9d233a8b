"""Language detection for short chat messages: script rules first, statistics only where needed."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

from bot import languages
from bot.language import latin
from bot.language.hanzi import han_evidence
from bot.language.script import script_weights
from bot.language.text import fold, tokens

logger = logging.getLogger(__name__)

__all__ = ["Detection", "detect", "hint_code"]

# A hint (channel prior) adds this to its language's Latin score before normalising: enough to
# break near-ties, not enough to beat a clear cue or lingua result.
HINT_BONUS = 0.3
# Confidence of a script-decided language when the whole text is in that script.
SCRIPT_CONFIDENCE = 0.99
VIETNAMESE_LETTER_CONFIDENCE = 0.97
# Han text with no distinguishing character: Simplified by default (most writers), low confidence.
HAN_DEFAULT = "zh-Hans"
HAN_AMBIGUOUS_CONFIDENCE = 0.5
HAN_HINTED_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Detection:
    """Result of :func:`detect`.

    Attributes:
        language: Our language code, or None when the text carries no usable signal.
        confidence: How sure, from 0 to 1 (not a calibrated probability, but monotone in
            evidence: script rules ≈ 0.99, ambiguous Han ≈ 0.5, Latin = normalised score).
        reason: Which rule decided, e.g. ``"script:hangul"``, ``"hanzi:traditional"``,
            ``"hanzi:cantonese"``, ``"diacritics:vi"``, ``"lingua+cues"``, ``"too_short"``.
    """

    language: str | None
    confidence: float
    reason: str


def hint_code(hint: str | None) -> str | None:
    """Read a hint given as our code (any case) or as a locale tag (``zh-TW``, ``fil``)."""
    if not hint:
        return None
    return languages.normalise_code(hint) or languages.from_locale_tag(hint)


def _single_script_language(script: str) -> str | None:
    found = [lang.code for lang in languages.all_languages() if lang.script == script]
    return found[0] if len(found) == 1 else None


def _detect_han(folded: str, share: float, hint: str | None) -> Detection:
    ev = han_evidence(folded)
    traditional = ev.traditional + ev.cantonese
    simplified = ev.simplified
    if ev.japanese > 0 and ev.japanese >= max(traditional, simplified):
        return Detection("ja", round(0.8 * share, 3), "hanzi:japanese")
    if traditional == simplified:
        reason = "hanzi:ambiguous" if traditional == 0 else "hanzi:mixed"
        if hint in ("zh-Hans", "zh-Hant"):
            return Detection(hint, round(HAN_HINTED_CONFIDENCE * share, 3), reason)
        return Detection(HAN_DEFAULT, round(HAN_AMBIGUOUS_CONFIDENCE * share, 3), reason)
    if traditional > simplified:
        code, win, lose = "zh-Hant", traditional, simplified
        reason = "hanzi:cantonese" if ev.cantonese else "hanzi:traditional"
    else:
        code, win, lose = "zh-Hans", simplified, traditional
        reason = "hanzi:simplified"
    purity = win / (win + lose)
    strength = min(1.0, win / 3.0)
    confidence = (0.6 + 0.39 * purity * strength) * share
    if hint == code:
        confidence = min(SCRIPT_CONFIDENCE, confidence + 0.1)
    return Detection(code, round(confidence, 3), reason)


def _detect_latin(folded: str, share: float, hint: str | None) -> Detection:
    letters = sum(1 for ch in folded if ch.isalpha())
    if letters < 2:
        return Detection(None, 0.0, "too_short")
    scored = latin.score_latin(folded)
    if scored.vietnamese_letters and "vi" in scored.scores:
        return Detection("vi", round(VIETNAMESE_LETTER_CONFIDENCE * share, 3), "diacritics:vi")
    scores = dict(scored.scores)
    if hint in scores:
        scores[hint] += HINT_BONUS
    total = sum(scores.values())
    if total <= 0:
        return Detection(None, 0.0, "no_signal")
    # Ties go to the earlier language in menu order (dicts keep that order): deterministic.
    best = max(scores, key=lambda code: scores[code])
    confidence = scores[best] / total
    if scored.cue_hits == 0 and len(tokens(folded)) <= 2:
        # lingua alone on one or two words is a guess.
        confidence *= 0.8
    reason = "lingua+cues" if scored.cue_hits else "lingua"
    return Detection(best, round(confidence * share, 3), reason)


def detect(text: str, hint: str | None = None) -> Detection:
    """Detect the language of one chat message.

    Script rules decide where the script decides (Hangul → ko; any Kana → ja; Thai → th;
    Myanmar → my; Khmer → km). Han-only text is split into zh-Hans / zh-Hant by character-set
    tests (written Cantonese counts as zh-Hant). Latin text is scored by Vietnamese-only letters,
    cue words and lingua (plus seeded langdetect on longer text).

    Args:
        text: The message. Only its letters matter; it is never logged.
        hint: A channel prior (our code, or a browser/Telegram locale tag). It breaks ties and
            lifts low-confidence Latin and Han results; it never overrides a script rule.

    Returns:
        The detection. ``language`` is None when the text has no letters of a supported script
        (then the hint, if any, is not returned either: there is no text signal).
    """
    hint = hint_code(hint)
    folded = fold(unicodedata.normalize("NFC", text or ""))
    weights = script_weights(folded)
    total = sum(weights.values())
    if total == 0:
        return Detection(None, 0.0, "no_letters")
    if weights.get("kana", 0) > 0:
        weights["kana"] += weights.pop("han", 0)
    # Largest weight wins; ties broken by script name so the result never depends on set order.
    script = max(sorted(weights), key=lambda name: weights[name])
    share = weights[script] / total
    if script == "han":
        return _detect_han(folded, share, hint)
    if script == "latin":
        return _detect_latin(folded, share, hint)
    code = _single_script_language(script)
    if code is None:
        return Detection(None, 0.0, f"unsupported_script:{script}")
    return Detection(code, round(SCRIPT_CONFIDENCE * share, 3), f"script:{script}")
