"""The widget's UI string table and browser-language mapping, evaluated by Node.

widget.js exports its tables when loaded as a CommonJS module (and does nothing else there), so
these tests read the real object rather than re-parsing JavaScript.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

WIDGET = Path(__file__).resolve().parents[2] / "web" / "widget.js"
CODES = ["en", "zh-Hans", "zh-Hant", "vi", "ko", "ja", "th", "tl", "ms", "id", "my", "km"]
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run_node(expression: str) -> Any:
    """Evaluates ``expression`` with ``w`` bound to widget.js's exports; returns it as JSON."""
    script = (
        f"const w = require({json.dumps(str(WIDGET))}); console.log(JSON.stringify({expression}));"
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout)


def test_every_language_has_every_ui_string() -> None:
    strings: dict[str, dict[str, str]] = run_node("w.STRINGS")
    assert sorted(strings) == sorted(CODES)
    keys = set(strings["en"])
    assert {"placeholder", "send", "exit", "connectionLost"} <= keys
    for code in CODES:
        assert set(strings[code]) == keys, code
        assert all(value.strip() for value in strings[code].values()), code


def test_non_english_exit_button_is_translated() -> None:
    strings: dict[str, dict[str, str]] = run_node("w.STRINGS")
    for code in CODES[1:]:
        assert strings[code]["exit"] != strings["en"]["exit"], code


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["zh-CN"], "zh-Hans"),
        (["zh-SG"], "zh-Hans"),
        (["zh"], "zh-Hans"),
        (["zh-Hans-HK"], "zh-Hans"),
        (["zh-TW"], "zh-Hant"),
        (["zh-HK", "en"], "zh-Hant"),
        (["zh-MO"], "zh-Hant"),
        (["zh-Hant"], "zh-Hant"),
        (["fil-PH"], "tl"),
        (["tl"], "tl"),
        (["vi-VN"], "vi"),
        (["ko-KR"], "ko"),
        (["ja"], "ja"),
        (["th-TH"], "th"),
        (["ms-MY"], "ms"),
        (["id-ID"], "id"),
        (["my-MM"], "my"),
        (["km-KH"], "km"),
        (["en-GB"], "en"),
        (["fr-FR", "vi"], "vi"),
        (["fr-FR", "de"], None),
        ([], None),
    ],
)
def test_browser_languages_map_to_our_codes(tags: list[str], expected: str | None) -> None:
    assert run_node(f"w.pickLanguage({json.dumps(tags)})") == expected
