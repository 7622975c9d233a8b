"""What every ``python -m bot.cli`` command group shares: the one-line error and the store sessions.

A module of its own so the command groups (:mod:`bot.privacy.cli`) import it rather than
:mod:`bot.cli`, which registers them: no import circle, and under ``python -m bot.cli`` (where
``bot.cli`` runs as ``__main__``) every group raises the same :class:`CliError` class that
:func:`bot.cli.main` catches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from bot.settings import Settings


class CliError(Exception):
    """An expected failure, reported to the operator as one line."""


def sessions(settings: Settings) -> sessionmaker:
    """A session factory on the configured case store (with its SQLite busy timeout)."""
    from bot.store.db import make_engine, make_session_factory

    return make_session_factory(
        make_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)
    )
