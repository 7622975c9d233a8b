"""What every ``python -m bot.cli`` command group shares: the one-line error and the case store.

A module of its own so the command groups (:mod:`bot.privacy.cli`) import it rather than
:mod:`bot.cli`, which registers them: no import circle, and under ``python -m bot.cli`` (where
``bot.cli`` runs as ``__main__``) every group raises the same :class:`CliError` class that
:func:`bot.cli.main` catches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store.uow import Store


class CliError(Exception):
    """An expected failure, reported to the operator as one line."""


def store(settings: Settings) -> Store:
    """The command's case store: the process's one :class:`~bot.store.uow.Store` (which
    :func:`bot.cli.main` makes from ``settings`` for the command and closes after it)."""
    from bot.store.uow import process_store

    return process_store(settings)
