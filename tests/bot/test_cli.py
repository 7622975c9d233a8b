"""Tests of the operator CLI (``python -m bot.cli``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.crypto import Keyring
from bot.settings import REPO_ROOT, Settings
from bot.store import service
from bot.store.uow import Store
from tests.bot.store.drafts import DESCRIPTION, PHONE, make_draft


@pytest.fixture
def cli_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Points the CLI (which reads the real environment) at a temporary folder."""
    for name in ("DATABASE_URL", "DATA_KEYS", "DATA_KEY_FILE", "EVIDENCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return Settings.from_env()


def _submit(settings: Settings, key: str = "cli-1", **overrides: object) -> str:
    store = Store(settings)
    with store.unit_of_work() as session:
        reference = service.submit_report(
            session, store.keyring, make_draft(**overrides), submission_key=key
        ).reference
    store.dispose()
    return reference


def test_db_upgrade_creates_store_and_keys(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    from bot.store.db import head_revision

    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert cli_settings.key_file.exists()
    assert cli.main(["cases", "list"]) == 0
    assert capsys.readouterr().out.strip() == "No cases."


def test_cases_list_prints_table_without_personal_data(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["db", "upgrade"])
    first = _submit(cli_settings, "a")
    second = _submit(cli_settings, "b", language="zh-Hant", caseworker=False)
    capsys.readouterr()
    assert cli.main(["cases", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["REFERENCE", "STATUS", "CREATED"]
    assert lines[1].startswith(second) and "zh-Hant" in lines[1] and lines[1].endswith("no")
    assert lines[2].startswith(first) and "received" in lines[2]
    assert DESCRIPTION not in "\n".join(lines) and PHONE not in "\n".join(lines)


def test_cases_show_prints_decrypted_json(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["db", "upgrade"])
    reference = _submit(cli_settings)
    capsys.readouterr()
    assert cli.main(["cases", "show", reference.lower().replace("-", "")]) == 0
    case = json.loads(capsys.readouterr().out)
    assert case["reference"] == reference
    assert case["incident"]["description"] == DESCRIPTION
    assert case["contact"]["phone"] == PHONE


@pytest.mark.parametrize(
    "reference,message",
    [("ZZZZ-ZZZZ", "no case with reference ZZZZ-ZZZZ"), ("hello", "not a case reference")],
)
def test_cases_show_unknown_reference_is_one_line_error(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str], reference: str, message: str
) -> None:
    cli.main(["db", "upgrade"])
    capsys.readouterr()
    assert cli.main(["cases", "show", reference]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cases_list_before_upgrade_explains_what_to_do(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["cases", "list"]) == 1
    err = capsys.readouterr().err
    assert "db upgrade" in err and "Traceback" not in err


def test_keys_rotate_reencrypts_and_cases_still_read(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["db", "upgrade"])
    reference = _submit(cli_settings)
    old_primary = Keyring.load(cli_settings).primary_key_id
    capsys.readouterr()
    assert cli.main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert "re-encrypted 1 incident, 1 contact" in out
    ring = Keyring.load(cli_settings)
    assert ring.primary_key_id != old_primary and old_primary in ring.key_ids
    assert cli.main(["cases", "show", reference]) == 0
    assert json.loads(capsys.readouterr().out)["incident"]["description"] == DESCRIPTION


def test_keys_rotate_refuses_env_keys(
    cli_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_KEYS", Keyring.generate().to_json())
    assert cli.main(["keys", "rotate"]) == 1
    assert "DATA_KEYS" in capsys.readouterr().err


def test_module_entry_point_exits_1_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("DATA_KEYS", None)
    upgrade = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    show = subprocess.run(
        [sys.executable, "-m", "bot.cli", "cases", "show", "ABCD-2345"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert show.returncode == 1
    assert show.stderr.strip() == "error: no case with reference ABCD-2345"


def test_module_entry_point_reports_a_privacy_command_error_in_one_line(tmp_path: Path) -> None:
    # The privacy group raises the CliError that `python -m bot.cli` (run as __main__) catches.
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("DATA_KEYS", None)
    export = subprocess.run(
        [sys.executable, "-m", "bot.cli", "cases", "export", "NOTAREF"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert export.returncode == 1
    assert export.stderr.strip() == (
        "error: 'NOTAREF' is not a case reference (expected e.g. ABCD-2345)"
    )


def test_referral_sent_marks_a_pending_police_referral_once(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["db", "upgrade"])
    reference = _submit(cli_settings)  # police: named → pending
    none = _submit(cli_settings, key="cli-2", police="none")
    capsys.readouterr()
    assert cli.main(["cases", "referral-sent", reference]) == 0
    assert "recorded as sent" in capsys.readouterr().out
    assert cli.main(["cases", "referral-sent", reference]) == 1  # already sent
    assert cli.main(["cases", "referral-sent", none]) == 1
    assert "no pending police referral" in capsys.readouterr().err
    assert cli.main(["cases", "show", reference]) == 0
    assert json.loads(capsys.readouterr().out)["police_referral_status"] == "sent"
