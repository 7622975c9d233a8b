"""Tests of bot.settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import REPO_ROOT, Settings, SettingsError


def test_from_env_empty_uses_repo_var_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.var_dir == REPO_ROOT / "var"
    assert settings.database_url == f"sqlite:///{REPO_ROOT / 'var' / 'cases.db'}"
    assert settings.key_file == REPO_ROOT / "var" / "keys" / "keyring.json"
    assert settings.evidence_dir == REPO_ROOT / "var" / "evidence"
    assert settings.evidence_max_bytes == 10 * 1024 * 1024
    assert settings.data_keys is None


def test_from_env_var_dir_moves_every_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'cases.db'}"
    assert settings.key_file == tmp_path / "keys" / "keyring.json"
    assert settings.evidence_dir == tmp_path / "evidence"


def test_from_env_relative_sqlite_url_is_anchored_at_repo_root() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///var/other.db"})
    assert settings.database_url == f"sqlite:///{REPO_ROOT / 'var' / 'other.db'}"


def test_from_env_postgres_url_and_limits_are_kept() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u@db:5432/cases",
            "EVIDENCE_MAX_BYTES": "2048",
            "DATA_KEYS": '{"format": 1}',
        }
    )
    assert settings.database_url == "postgresql://u@db:5432/cases"
    assert settings.evidence_max_bytes == 2048
    assert settings.data_keys == '{"format": 1}'


def test_repr_hides_keys_and_database_url() -> None:
    settings = Settings.from_env(
        {"DATA_KEYS": "secret-keyring-json", "DATABASE_URL": "postgresql://u:hunter2@db/x"}
    )
    assert "secret-keyring-json" not in repr(settings)
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize("value", ["ten", "0", "-5"])
def test_from_env_bad_evidence_limit_raises_naming_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="EVIDENCE_MAX_BYTES"):
        Settings.from_env({"EVIDENCE_MAX_BYTES": value})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.var_dir = Path("/elsewhere")  # type: ignore[misc]
