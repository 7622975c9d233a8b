"""Fixtures of the store tests: ``with session_factory() as session:`` is one unit of work."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def session_factory(uow_store: Any) -> Any:
    """One unit of work per ``with session_factory() as session:`` block on the migrated
    temporary store (committed when the block ends, rolled back if it raises): the store's
    functions never commit, as in every process."""
    return uow_store.unit_of_work
