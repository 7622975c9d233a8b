"""axe-core (from npm, vendored by scripts/build-web.sh) run in the real page, plus a screenshot.

``assert_accessible(driver, "console_case")`` runs axe on the page as it is now, keeps a
screenshot and the full axe result under ``artifacts/`` (kept by CI as test artifacts), and fails
on any critical or serious violation, naming each rule and the elements it found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from tests.browser.conftest import ARTIFACTS

AXE_JS: Final = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING: Final = ("critical", "serious")


def run_axe(driver: Any) -> dict[str, Any]:
    """The axe-core result for the page (WCAG 2.x A/AA rules and best practices)."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result: dict[str, Any] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then((r) => done({violations: r.violations}))"
        ".catch((e) => done({error: String(e)}));"
    )
    if "error" in result:
        raise AssertionError(f"axe-core failed to run: {result['error']}")
    return result


def blocking(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The critical and serious violations of an axe result."""
    return [v for v in result.get("violations", []) if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])][:5]
        lines.append(f"{v['impact']}: {v['id']} ({v.get('help', '')}) at {targets}")
    return "\n".join(lines)


def assert_accessible(driver: Any, name: str) -> dict[str, Any]:
    """Screenshot + axe result saved as ``artifacts/<name>.png`` / ``<name>.axe.json``; fails on
    any critical or serious violation. Returns the axe result."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    result = run_axe(driver)
    (ARTIFACTS / f"{name}.axe.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    found = blocking(result)
    assert not found, f"axe-core on {name}:\n{describe(found)}"
    return result
