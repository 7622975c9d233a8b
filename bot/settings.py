"""Process settings, read once from the environment at start-up.

Every process (Rasa, action server, web service, CLI) builds one :class:`Settings` with
:meth:`Settings.from_env` when it starts and passes it down. Nothing here does work at import
time. Every variable is documented in ``.env.example`` at the repository root.

Relative paths (``VAR_DIR``, ``DATA_KEY_FILE`` and a relative SQLite path in ``DATABASE_URL``) are
resolved against the repository root, not the working directory, so the three processes always
agree on which files they share whatever directory they were started from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_SQLITE_BUSY_TIMEOUT_S = 30.0


class SettingsError(ValueError):
    """An environment variable has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    """Configuration shared by every process.

    Attributes:
        database_url: SQLAlchemy URL of the case store (``DATABASE_URL``).
        var_dir: Folder for runtime data: SQLite files, keys, evidence (``VAR_DIR``).
        key_file: JSON keyring file, created on first use (``DATA_KEY_FILE``).
        evidence_dir: Folder of encrypted evidence files (``EVIDENCE_DIR``).
        data_keys: Keyring JSON given in the environment (``DATA_KEYS``); when set it is used
            instead of ``key_file``. Never shown by ``repr``.
        evidence_max_bytes: Largest accepted evidence upload (``EVIDENCE_MAX_BYTES``).
        sqlite_busy_timeout_s: How long a SQLite writer waits for another process's lock
            (``SQLITE_BUSY_TIMEOUT``).
    """

    database_url: str = field(repr=False)
    var_dir: Path
    key_file: Path
    evidence_dir: Path
    data_keys: str | None = field(default=None, repr=False)
    evidence_max_bytes: int = DEFAULT_EVIDENCE_MAX_BYTES
    sqlite_busy_timeout_s: float = DEFAULT_SQLITE_BUSY_TIMEOUT_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Builds settings from environment variables.

        Args:
            environ: The variables to read; ``os.environ`` when omitted (tests pass a dict).

        Returns:
            The settings, with defaults for everything unset or empty.

        Raises:
            SettingsError: A numeric variable is not a positive number.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        var_dir = _resolve(get("VAR_DIR") or "var")
        key_file = _resolve(get("DATA_KEY_FILE") or str(var_dir / "keys" / "keyring.json"))
        evidence_dir = _resolve(get("EVIDENCE_DIR") or str(var_dir / "evidence"))
        database_url = get("DATABASE_URL") or f"sqlite:///{var_dir / 'cases.db'}"
        return cls(
            database_url=_absolute_sqlite_url(database_url),
            var_dir=var_dir,
            key_file=key_file,
            evidence_dir=evidence_dir,
            data_keys=get("DATA_KEYS"),
            evidence_max_bytes=int(
                _positive(
                    "EVIDENCE_MAX_BYTES", get("EVIDENCE_MAX_BYTES"), DEFAULT_EVIDENCE_MAX_BYTES
                )
            ),
            sqlite_busy_timeout_s=_positive(
                "SQLITE_BUSY_TIMEOUT", get("SQLITE_BUSY_TIMEOUT"), DEFAULT_SQLITE_BUSY_TIMEOUT_S
            ),
        )


def _resolve(path: str) -> Path:
    """Makes a path absolute, relative paths being taken from the repository root."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (REPO_ROOT / candidate).resolve()


def _absolute_sqlite_url(url: str) -> str:
    """Rewrites ``sqlite:///relative.db`` to an absolute path under the repository root."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or ":memory:" in url:
        return url
    path, sep, query = url[len(prefix) :].partition("?")
    return f"{prefix}{_resolve(path)}{sep}{query}"


def _positive(name: str, raw: str | None, default: float) -> float:
    """Parses a positive number, naming the variable (never its neighbours) in the error."""
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    return value
