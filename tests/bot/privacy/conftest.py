"""Fixtures of the privacy tests: a CLI environment in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Points every process-wide variable the CLI reads at a temporary folder."""
    for name in (
        "DATABASE_URL",
        "DATA_KEYS",
        "DATA_KEY_FILE",
        "EVIDENCE_DIR",
        "TRACKER_DB_URL",
        "DRAFT_RETENTION_DAYS",
        "CASE_ANONYMISE_MONTHS",
        "RETENTION_INTERVAL_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "var" / "tracker.db"))
    return Settings.from_env()
