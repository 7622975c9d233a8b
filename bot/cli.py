"""Operator command line: ``python -m bot.cli <group> <command>``.

Commands:
    db upgrade              migrate the case store to the newest schema and make sure keys exist
    db revision -m MSG      write a new alembic revision (``--autogenerate`` diffs the models)
    cases list              table of cases (no personal data)
    cases show REF          one case as JSON, decrypted (personal data: handle with care)
    cases unlock REF        clear the slow-down of a reference after failed "my report" tries
    cases export|erase REF  subject access / erasure (see bot/privacy/cli.py)
    keys rotate             add a new primary data key and re-encrypt everything with it
    retention run           apply retention periods;  stats export --out DIR  (bot/privacy)
    users add|list|disable|password   console accounts (see bot/cli_users.py)

Errors are one line on stderr and exit status 1; there is never a traceback for expected problems.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.cli_base import CliError
from bot.cli_base import store as _store
from bot.crypto import Keyring, KeyringError
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns:
        The exit status.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings.from_env()
        return _run(args, settings)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (SettingsError, KeyringError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (OperationalError, ProgrammingError) as exc:
        logger.debug("Database error", exc_info=True)
        print(
            f"error: database problem ({type(exc.orig).__name__}); "
            "is it reachable and migrated? Run: python -m bot.cli db upgrade",
            file=sys.stderr,
        )
    return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    """Runs the command with this process's case store made from ``settings``, closed after it."""
    from bot.store.uow import Store, use_process_store

    handle = Store(settings)
    previous = use_process_store(handle)
    try:
        return int(args.handler(settings, args) or 0)
    finally:
        use_process_store(previous)
        handle.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.cli", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    groups = parser.add_subparsers(
        title="commands", metavar="{db,cases,keys,users,retention,stats}"
    )

    db = groups.add_parser("db", help="database schema").add_subparsers(
        metavar="{upgrade,revision}"
    )
    upgrade = db.add_parser("upgrade", help="migrate to the newest schema; create keys if missing")
    upgrade.set_defaults(handler=_db_upgrade)
    revision = db.add_parser(
        "revision", help="write a new migration in bot/store/migrations/versions"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true", help="diff models and database")
    revision.set_defaults(handler=_db_revision)

    cases = groups.add_parser("cases", help="inspect cases").add_subparsers(
        metavar="{list,show,referral-sent,unlock,export,erase}"
    )
    listing = cases.add_parser("list", help="table of cases, newest first")
    listing.add_argument("--limit", type=int, default=None)
    listing.set_defaults(handler=_cases_list)
    show = cases.add_parser("show", help="one case as JSON (decrypted)")
    show.add_argument("reference")
    show.set_defaults(handler=_cases_show)
    sent = cases.add_parser(
        "referral-sent", help="record that a case's police referral was passed to the police"
    )
    sent.add_argument("reference")
    sent.set_defaults(handler=_cases_referral_sent)
    unlock = cases.add_parser(
        "unlock", help="clear the slow-down of a person's reference after failed tries (audited)"
    )
    unlock.add_argument("reference")
    unlock.set_defaults(handler=_cases_unlock)
    from bot.privacy.cli import add_case_commands
    from bot.privacy.cli import add_parser as add_privacy_parser

    add_case_commands(cases)

    keys = groups.add_parser("keys", help="encryption keys").add_subparsers(metavar="{rotate}")
    rotate = keys.add_parser("rotate", help="new primary key; re-encrypt all stored data")
    rotate.set_defaults(handler=_keys_rotate)

    from bot.cli_users import add_parser as add_users_parser

    add_users_parser(groups)
    add_privacy_parser(groups)
    return parser


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.db import current_revision, upgrade

    upgrade(settings.database_url)
    keyring = Keyring.load(settings)
    where = "DATA_KEYS" if settings.data_keys else str(keyring.source)
    print(f"Database at revision {current_revision(settings.database_url)}; keys from {where}.")
    return 0


def _db_revision(settings: Settings, args: argparse.Namespace) -> int:
    from alembic import command

    from bot.store.db import alembic_config

    command.revision(
        alembic_config(settings.database_url), message=args.message, autogenerate=args.autogenerate
    )
    return 0


def _cases_list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.service import list_cases

    with _store(settings).reading() as session:
        cases = list_cases(session, limit=args.limit)
    if not cases:
        print("No cases.")
        return 0
    columns = [
        ("REFERENCE", "reference"),
        ("STATUS", "status"),
        ("CREATED (UTC)", "created_at"),
        ("CHANNEL", "channel"),
        ("LANGUAGE", "language"),
        ("POLICE", "police_referral"),
        ("CASEWORKER", "caseworker_requested"),
    ]
    rows = [[_cell(key, case[key]) for _, key in columns] for case in cases]
    widths = [
        max(len(title), *(len(row[i]) for row in rows)) for i, (title, _) in enumerate(columns)
    ]
    print("  ".join(title.ljust(w) for (title, _), w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _cell(key: str, value: Any) -> str:
    if key == "created_at":
        return str(value)[:16].replace("T", " ")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _cases_show(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.references import normalise_reference
    from bot.store.service import get_case

    if normalise_reference(args.reference) is None:
        raise CliError(f"{args.reference!r} is not a case reference (expected e.g. ABCD-2345)")
    store = _store(settings)
    with store.reading() as session:
        case = get_case(session, store.keyring, args.reference)
    if case is None:
        raise CliError(f"no case with reference {normalise_reference(args.reference)}")
    print(json.dumps(case, ensure_ascii=False, indent=2))
    return 0


def _cases_referral_sent(settings: Settings, args: argparse.Namespace) -> int:
    """Only a pending referral (consented, not withdrawn) can be marked as sent."""
    from datetime import datetime, timezone

    from bot.store import person

    try:
        with _store(settings).unit_of_work() as session:
            done = person.mark_police_referral_sent(
                session, args.reference, now=datetime.now(timezone.utc)
            )
    except person.AccessError:
        raise CliError(f"no case with reference {args.reference!r}") from None
    if not done:
        raise CliError(
            "this case has no pending police referral (none asked for, withdrawn or sent)"
        )
    print("Police referral recorded as sent.")
    return 0


def _cases_unlock(settings: Settings, args: argparse.Namespace) -> int:
    """Lets the person try their reference again at once (audited as staff.unlock_reference)."""
    from bot.store import person
    from bot.store.references import normalise_reference

    if normalise_reference(args.reference) is None:
        raise CliError(f"{args.reference!r} is not a case reference (expected e.g. ABCD-2345)")
    store = _store(settings)
    with store.unit_of_work() as session:
        done = person.unlock_reference(session, args.reference, keyring=store.keyring)
    if not done:
        raise CliError(
            f"no case or saved draft with reference {normalise_reference(args.reference)}"
        )
    print("Reference unlocked: the person can try again now.")
    return 0


def _keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.service import reencrypt_all

    if settings.data_keys:
        raise CliError(
            "keys come from DATA_KEYS; rotate them where that variable is managed, not here"
        )
    store = _store(settings)
    keyring = store.keyring
    old_primary = keyring.primary_key_id
    new_primary = keyring.rotate()
    keyring.save()  # first: a crash below leaves data readable with the old or the new key
    with store.unit_of_work() as session:
        stats = reencrypt_all(session, keyring, settings)
    from bot.privacy.maintenance import reencrypt_tracker

    events = reencrypt_tracker(settings, keyring)
    print(
        f"Primary key {old_primary} -> {new_primary}; re-encrypted {stats.incident_details} "
        f"incident, {stats.contact_details} contact, {stats.channel_addresses} address records, "
        f"{stats.other_records} notes/callbacks/additions/saved drafts, "
        f"{stats.evidence_files} evidence files and {events or 0} tracker events. "
        "Restart running services."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
