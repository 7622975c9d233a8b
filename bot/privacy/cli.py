"""Privacy commands of ``python -m bot.cli`` (registered by :mod:`bot.cli`).

    cases export REF [--out FILE]   everything held about a case, as JSON (audited)
    cases erase REF --yes           delete a case and everything linked to it (audited)
    retention run [--now ISO]       apply the retention periods once
    stats export --out DIR          anonymised statistics: CSV and PNG charts
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.cli_base import CliError
from bot.cli_base import store as _store
from bot.settings import Settings


def add_case_commands(cases: Any) -> None:
    """Adds ``export`` and ``erase`` to the ``cases`` command group."""
    export = cases.add_parser("export", help="everything held about a case, as JSON (audited)")
    export.add_argument("reference")
    export.add_argument("--out", type=Path, help="write to this file (mode 0600) instead of stdout")
    export.set_defaults(handler=_cases_export)
    erase = cases.add_parser("erase", help="delete a case and everything linked to it (audited)")
    erase.add_argument("reference")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.set_defaults(handler=_cases_erase)


def add_parser(groups: Any) -> None:
    """Adds the ``retention`` and ``stats`` command groups."""
    retention = groups.add_parser("retention", help="retention periods").add_subparsers(
        metavar="{run}"
    )
    run = retention.add_parser("run", help="delete old transcripts/drafts, anonymise old cases")
    run.add_argument("--now", help="ISO 8601 time to use as now (default: the current time)")
    run.set_defaults(handler=_retention_run)
    stats = groups.add_parser("stats", help="anonymised statistics").add_subparsers(
        metavar="{export}"
    )
    export = stats.add_parser("export", help="CSV tables and PNG charts, small counts suppressed")
    export.add_argument("--out", type=Path, required=True, help="folder to write into")
    export.set_defaults(handler=_stats_export)


def _error(message: str) -> Exception:
    return CliError(message)


def _tracker(settings: Settings) -> Any:
    from bot.privacy.config import PrivacySettings
    from bot.privacy.tracker_events import tracker_engine

    privacy = PrivacySettings.from_env(settings=settings)
    return tracker_engine(privacy.tracker_url, settings.sqlite_busy_timeout_s)


def _reference(raw: str) -> str:
    from bot.store.references import normalise_reference

    normalised = normalise_reference(raw)
    if normalised is None:
        raise _error(f"{raw!r} is not a case reference (expected e.g. ABCD-2345)")
    return normalised


def _cases_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.crypto import write_private_file
    from bot.privacy.erasure import export_case, was_erased

    reference = _reference(args.reference)
    store = _store(settings)
    tracker = _tracker(settings)
    try:
        data = export_case(store, reference, tracker=tracker)
    finally:
        if tracker is not None:
            tracker.dispose()
    if data is None:
        if was_erased(store, reference):
            raise _error(f"case {reference} was erased at the person's request; nothing is held")
        raise _error(f"no case with reference {reference}")
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    if args.out:
        write_private_file(args.out, text.encode("utf-8"))
        print(f"Wrote {args.out} (personal data: handle with care).")
    else:
        sys.stdout.write(text)
    return 0


def _cases_erase(settings: Settings, args: argparse.Namespace) -> int:
    from bot.privacy.erasure import erase_case

    reference = _reference(args.reference)
    if not args.yes:
        raise _error("erasure cannot be undone; add --yes to confirm")
    store = _store(settings)
    tracker = _tracker(settings)
    try:
        result = erase_case(store, reference, tracker=tracker)
    finally:
        if tracker is not None:
            tracker.dispose()
    if result is None:
        raise _error(f"no case with reference {reference}")
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in result.counts.items())
    print(f"Case {reference} erased ({counts}); erasure record {result.record_id}.")
    return 0


def _parse_now(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(timezone.utc)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _error(f"--now must be an ISO 8601 time, got {raw!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _retention_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.privacy.config import PrivacySettings
    from bot.privacy.retention import run_retention

    now = _parse_now(args.now)
    privacy = PrivacySettings.from_env(settings=settings)
    store = _store(settings)
    tracker = _tracker(settings)
    try:
        report = run_retention(store, privacy, now=now, tracker=tracker)
    finally:
        if tracker is not None:
            tracker.dispose()
    print(
        f"Retention at {now.isoformat()} (drafts {privacy.draft_retention_days} days, cases "
        f"{privacy.case_anonymise_months} months): "
        + ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in report.as_dict().items())
    )
    return 0


def _stats_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.privacy.stats import collect_records, export_statistics

    store = _store(settings)
    with store.reading() as session:
        records = collect_records(session, store.keyring)
    written = export_statistics(records, args.out)
    print(f"Wrote {len(written)} files to {args.out} from {len(records)} reports.")
    return 0
