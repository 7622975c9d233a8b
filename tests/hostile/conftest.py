"""Fixtures for the hostile-input tests (the fake provider APIs of tests/faults)."""

from tests.faults.conftest import fakes  # noqa: F401
