"""Colour contrast of the widget's palette (WCAG 2.x), recomputed from web/widget.css."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "web" / "widget.css").read_text(encoding="utf-8")

# (foreground, background, minimum): text pairs need 4.5:1 (AA), focus rings and borders 3:1.
PAIRS = [
    ("--esea-text", "--esea-bg", 4.5),
    ("--esea-text", "--esea-log-bg", 4.5),
    ("--esea-text", "--esea-bot-bg", 4.5),
    ("--esea-on-accent", "--esea-accent", 4.5),
    ("--esea-accent", "--esea-bg", 4.5),
    ("--esea-on-accent", "--esea-exit", 4.5),
    ("--esea-on-accent", "--esea-header", 4.5),
    ("--esea-muted", "--esea-bg", 4.5),
    ("--esea-muted", "--esea-log-bg", 4.5),
    ("--esea-warn-text", "--esea-warn-bg", 4.5),
    ("--esea-focus", "--esea-bg", 3.0),
    ("--esea-focus", "--esea-log-bg", 3.0),
]


def palette() -> dict[str, str]:
    """The custom properties declared in widget.css, name -> #rrggbb."""
    return dict(re.findall(r"(--esea-[a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;", CSS))


def luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2.x definition)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_known_value() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("fg", "bg", "minimum"), PAIRS)
def test_colour_pair_meets_wcag_aa(fg: str, bg: str, minimum: float) -> None:
    colours = palette()
    assert contrast(colours[fg], colours[bg]) >= minimum


def test_documented_ratios_match_the_palette() -> None:
    colours = palette()
    documented = re.findall(r"(--esea-[a-z-]+) +#\w+ on (--esea-[a-z-]+) +#\w+ +([\d.]+):1", CSS)
    assert len(documented) >= 9
    for fg, bg, ratio in documented:
        assert contrast(colours[fg], colours[bg]) == pytest.approx(float(ratio), abs=0.01), (fg, bg)


def test_targets_are_at_least_24px() -> None:
    sizes = [int(px) for px in re.findall(r"min-height:\s*(\d+)px", CSS)]
    assert sizes and min(sizes) >= 24
