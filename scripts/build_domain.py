"""Writes every translation from `locales/<code>.yml` into the domain's response entries.

Translators work on one file per language (`locales/vi.yml`: response name → text and button
titles, in the English order). The domain keeps ONE entry per response holding every language
(Rasa merges split domain files as plain dicts, so a per-language domain file would silently
override another): the English variation without a condition, then one variation per language
with `condition: [{type: slot, name: language, value: <code>}]`. This script regenerates those
conditional variations; English, payloads and comments are left as they are. The English
variation's ``custom`` payload (a marker for the web widget, e.g. the handoff state) is copied to
every language: it carries no words.

    python -m scripts.build_domain          # rewrite domain/*.yml
    python -m scripts.build_domain --check  # exit 1 if the domain is out of date (used by tests)
"""

from __future__ import annotations

import argparse
import copy
import io
import sys
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ROOT / "domain"
LOCALES = ROOT / "locales"


def _yaml() -> YAML:
    yaml = YAML()
    # ruamel.yaml 0.17 leaves these attributes unannotated with a None default, so mypy infers
    # `None` for them; both take a value (documented YAML() settings).
    yaml.preserve_quotes = True  # type: ignore[assignment]
    yaml.width = 4096  # type: ignore[assignment]
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def load_locales() -> dict[str, dict]:
    """`{code: {response name: {"text": ..., "buttons": [titles]}}}` for every locale file."""
    yaml = YAML(typ="safe")
    result: dict[str, dict] = {}
    # `locales/<code>.yml`, plus any `locales/<feature>/<code>.yml` a feature adds: each file names
    # its language, so features add their responses without editing the translators' files.
    for path in sorted(LOCALES.rglob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8")) or {}
        code = str(data.get("language") or path.stem)
        result.setdefault(code, {}).update(data.get("responses") or {})
    return result


def _is_language_variation(variation: dict) -> bool:
    return any(c.get("name") == "language" for c in variation.get("condition") or [])


def build(check: bool = False) -> list[str]:
    """Regenerates the language variations; returns the files that changed (or would)."""
    locales = load_locales()
    yaml = _yaml()
    changed = []
    for path in sorted(DOMAIN.glob("*.yml")):
        original = path.read_text(encoding="utf-8")
        data = yaml.load(original)
        responses = (data or {}).get("responses") or {}
        for name, variations in responses.items():
            english = next((v for v in variations if not v.get("condition")), None)
            if english is None:
                continue
            kept = [v for v in variations if not _is_language_variation(v)]
            for code, entries in locales.items():
                entry = entries.get(name)
                if not entry or not entry.get("text"):
                    continue
                variation: dict = {"text": entry["text"]}
                titles = entry.get("buttons") or []
                if english.get("buttons"):
                    variation["buttons"] = [
                        {
                            "title": titles[i] if i < len(titles) else b["title"],
                            "payload": b["payload"],
                        }
                        for i, b in enumerate(english["buttons"])
                    ]
                if english.get("custom"):
                    variation["custom"] = copy.deepcopy(english["custom"])
                variation["condition"] = [{"type": "slot", "name": "language", "value": code}]
                kept.append(variation)
            variations.clear()
            variations.extend(kept)
        out = io.StringIO()
        yaml.dump(data, out)
        if out.getvalue() != original:
            changed.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(out.getvalue(), encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    changed = build(check=args.check)
    if args.check and changed:
        print("domain is out of date with locales/ (run: make domain):", *changed, sep="\n  ")
        return 1
    for name in changed:
        print("updated", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
