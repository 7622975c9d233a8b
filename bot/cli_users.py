"""``python -m bot.cli users ...``: console accounts (there is never a default account).

    users add --role admin --email a@example.org            prompts twice for the password
    users add --role caseworker --email c@example.org --organisation lotus-bridge-london \
              --languages vi,en --password-stdin < file     reads one line from stdin (scripts)
    users list                                              accounts, roles, organisations
    users disable --email x@example.org                     ends the account's sessions too
    users password --email x@example.org [--password-stdin] sets a new password
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.cli_base import store
from bot.settings import Settings


class _UsersError(Exception):
    """Reported as one line by bot.cli."""


def add_parser(groups: Any) -> None:
    """Adds the ``users`` command group to the ``bot.cli`` parser."""
    users = groups.add_parser("users", help="console accounts").add_subparsers(
        metavar="{add,list,disable,password}"
    )
    add = users.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=("operator", "caseworker", "admin"))
    add.add_argument("--organisation", help="partner id from config/partners.yml (caseworkers)")
    add.add_argument("--languages", default="", help="comma-separated codes, e.g. vi,en")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=_add)
    listing = users.add_parser("list", help="list accounts")
    listing.set_defaults(handler=_list)
    disable = users.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("--email", required=True)
    disable.set_defaults(handler=_disable)
    password = users.add_parser("password", help="set a new password")
    password.add_argument("--email", required=True)
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=_password)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise _UsersError("the passwords differ")
    return first


def _fail(error: Exception) -> int:
    """Reports an expected problem as one line on stderr (like bot.cli) and returns status 1.

    Handled here rather than by raising ``bot.cli.CliError``: under ``python -m bot.cli`` that
    module runs as ``__main__``, so an imported ``CliError`` would be a different class.
    """
    print(f"error: {error}", file=sys.stderr)
    return 1


def _add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.handoff.accounts import AccountError, create_user

    try:
        password = _read_password(args.password_stdin)
        languages = [x.strip() for x in args.languages.split(",") if x.strip()]
        with store(settings).unit_of_work() as session:
            user = create_user(
                session,
                email=args.email,
                password=password,
                role=args.role,
                organisation=args.organisation,
                languages=languages,
            )
    except (AccountError, _UsersError) as exc:
        return _fail(exc)
    print(f"Created {user.role} account {user.email}.")
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.handoff.accounts import list_users

    with store(settings).reading() as session:
        users = list_users(session)
    if not users:
        print("No accounts. Create an admin: python -m bot.cli users add --role admin --email ...")
        return 0
    for user in users:
        state = "active" if user["active"] else "disabled"
        org = user["organisation"] or "-"
        print(
            f"{user['email']}  {user['role']}  {org}  {','.join(user['languages']) or '-'}  {state}"
        )
    return 0


def _disable(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.handoff.accounts import AccountError, normalise_email, set_active
    from bot.store.handoff_models import ConsoleUser

    try:
        email = normalise_email(args.email)
    except AccountError as exc:
        return _fail(exc)
    with store(settings).unit_of_work() as session:
        user_id = session.scalar(select(ConsoleUser.id).where(ConsoleUser.email == email))
        if user_id is None or not set_active(session, user_id, False):
            return _fail(_UsersError("no such account"))
    print(f"Disabled {email}.")
    return 0


def _password(settings: Settings, args: argparse.Namespace) -> int:
    from bot.handoff.accounts import AccountError, set_password

    try:
        password = _read_password(args.password_stdin)
        with store(settings).unit_of_work() as session:
            set_password(session, args.email, password)
    except (AccountError, _UsersError) as exc:
        return _fail(exc)
    print("Password changed; the account's sessions were ended.")
    return 0
