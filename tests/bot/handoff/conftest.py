"""Fixtures of the handoff tests: the temporary store, one unit of work per block."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy.orm import Session

from bot.store.uow import Store


@pytest.fixture
def session_factory(temp_store: Store) -> Callable[[], AbstractContextManager[Session]]:
    """Here ``with session_factory() as session:`` is one unit of work: committed when the block
    ends, rolled back if it raises. The handoff functions never commit; the caller's unit of work
    does (:meth:`bot.store.uow.Store.unit_of_work`)."""
    return temp_store.unit_of_work
