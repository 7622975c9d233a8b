"""Tests of bot.settings and of the other settings read through its typed environment model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.hours import OpeningHours
from bot.privacy.config import PrivacySettings
from bot.settings import REPO_ROOT, Settings, SettingsError
from service.console.config import ConsoleConfig, ConsoleConfigError
from service.settings import ServiceSettings, ServiceSettingsError


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


def test_blank_values_count_as_unset_and_values_are_stripped() -> None:
    settings = Settings.from_env(
        {"VAR_DIR": "   ", "EVIDENCE_MAX_BYTES": " 2048 ", "DATA_KEYS": ""}
    )
    assert settings.var_dir == REPO_ROOT / "var"
    assert settings.evidence_max_bytes == 2048
    assert settings.data_keys is None


def test_bad_busy_timeout_names_the_variable_and_the_value() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"SQLITE_BUSY_TIMEOUT": "soon"})
    assert str(error.value) == "SQLITE_BUSY_TIMEOUT must be a number, got 'soon'"
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_opening_hours_from_a_mapping() -> None:
    hours = OpeningHours.from_env(
        {"OPEN_HOURS": "08:30 - 18:00", "OPEN_DAYS": "0,2,4", "CLOSURES": "2026-12-24, 2026-12-29"}
    )
    assert (hours.opens, hours.closes) == (dt.time(8, 30), dt.time(18, 0))
    assert hours.weekdays == (0, 2, 4)
    assert hours.closures == frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 29)})
    assert OpeningHours.from_env({"OPEN_DAYS": "1-3", "OPEN_HOURS": ""}) == OpeningHours(
        weekdays=(1, 2, 3)
    )


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"OPEN_HOURS": "9 till 5"}, "OPEN_HOURS must be two times like 09:00-17:00"),
        ({"OPEN_DAYS": "mon-fri"}, "OPEN_DAYS must be weekday numbers"),
        ({"CLOSURES": "boxing day"}, "CLOSURES must be dates like 2026-12-24"),
    ],
)
def test_unusable_opening_hours_name_the_variable(environ: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        OpeningHours.from_env(environ)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DRAFT_RETENTION_DAYS": "1.5"}, "DRAFT_RETENTION_DAYS must be a whole number, got '1.5'"),
        ({"CASE_ANONYMISE_MONTHS": "-1"}, "CASE_ANONYMISE_MONTHS must be positive, got '-1'"),
        (
            {"RETENTION_INTERVAL_HOURS": "-2"},
            "RETENTION_INTERVAL_HOURS must not be negative, got '-2'",
        ),
    ],
)
def test_privacy_numbers_are_checked(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        PrivacySettings.from_env(environ, Settings.from_env({}))
    assert str(error.value) == message


def test_privacy_zero_interval_turns_the_job_off_and_tracker_url_stays_hidden() -> None:
    privacy = PrivacySettings.from_env(
        {"RETENTION_INTERVAL_HOURS": "0", "TRACKER_DB_URL": "postgresql://u:hunter2@db/t"},
        Settings.from_env({}),
    )
    assert privacy.retention_interval_hours == 0
    assert privacy.tracker_url == "postgresql://u:hunter2@db/t"
    assert "hunter2" not in repr(privacy)


def test_console_numbers_are_refused_without_echoing_the_value() -> None:
    with pytest.raises(ConsoleConfigError) as error:
        ConsoleConfig.from_env({"HANDOFF_WAIT_SECONDS": "secret-ish", "RASA_TOKEN": "tok-9"})
    assert str(error.value) == "HANDOFF_WAIT_SECONDS must be a number"
    with pytest.raises(ConsoleConfigError, match="CONSOLE_SESSION_HOURS must be positive"):
        ConsoleConfig.from_env({"CONSOLE_SESSION_HOURS": "0"})


def test_console_defaults_and_switches() -> None:
    assert ConsoleConfig.from_env({}) == ConsoleConfig()
    config = ConsoleConfig.from_env(
        {"CONSOLE_COOKIE_SECURE": "no", "CONSOLE_LOGIN_LIMIT": "3", "RASA_TOKEN": " tok-9 "}
    )
    assert not config.cookie_secure and config.login_limit == 3
    assert config.rasa_token == "tok-9" and "tok-9" not in repr(config)
    assert ConsoleConfig.from_env({"CONSOLE_COOKIE_SECURE": "off"}).cookie_secure


def test_service_port_error_names_the_variable_only() -> None:
    with pytest.raises(ServiceSettingsError) as error:
        ServiceSettings.from_env({"SERVICE_PORT": "eighty"})
    assert str(error.value) == "SERVICE_PORT must be a number"
