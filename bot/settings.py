"""Process settings, read once from the environment at start-up.

Every process (Rasa, action server, web service, CLI) builds one :class:`Settings` with
:meth:`Settings.from_env` when it starts and passes it down. Nothing here does work at import
time. Every variable is documented in ``.env.example`` at the repository root. The variables are
declared once, typed, in a pydantic model (:class:`EnvSettings` subclasses, here and beside the
other settings classes), which reads, checks and explains them.

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
from typing import Any, ClassVar, TypeVar

from pydantic import BaseSettings, Extra, Field, SecretStr, ValidationError

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_SQLITE_BUSY_TIMEOUT_S = 30.0

_Model = TypeVar("_Model", bound="EnvSettings")


class SettingsError(ValueError):
    """An environment variable has a value we cannot use."""


class EnvSettings(BaseSettings):
    """Base of the typed environment models: one field per variable, named exactly like it.

    Each settings class (:class:`Settings`, ``ServiceSettings``, ``ConsoleConfig``,
    ``PrivacySettings``, ``OpeningHours``) declares its variables, their types, defaults and checks
    in a subclass and builds itself from :meth:`read`. Values are stripped and an empty variable
    counts as unset, so its default applies. A value that does not fit raises :attr:`error` naming
    the variable, in plain words, without pydantic's traceback; the value itself is quoted only
    when :attr:`show_values` is set, and never for a secret (``SecretStr``) field.
    """

    error: ClassVar[type[ValueError]] = SettingsError
    show_values: ClassVar[bool] = True
    #: pydantic error types in words ("<VARIABLE> must be a number"); a validator's own message
    #: (``raise ValueError("must start with '/'")``) is used as it is.
    wording: ClassVar[Mapping[str, str]] = {
        "type_error.float": "must be a number",
        "type_error.integer": "must be a whole number",
        "value_error.number.not_gt": "must be positive",
        "value_error.number.not_ge": "must not be negative",
    }

    class Config:
        case_sensitive = True
        allow_mutation = False
        extra = Extra.ignore

        @classmethod
        def customise_sources(
            cls, init_settings: Any, env_settings: Any, file_secret_settings: Any
        ) -> Any:
            """Only what :meth:`EnvSettings.read` passes: the mapping it was given, cleaned."""
            return (init_settings,)

    @classmethod
    def read(cls: type[_Model], environ: Mapping[str, str] | None = None) -> _Model:
        """The model from ``environ`` (``os.environ`` when omitted; tests pass a dict).

        Raises:
            ValueError: :attr:`error`, naming the first variable whose value does not fit.
        """
        env = os.environ if environ is None else environ
        values = {name: env[name].strip() for name in cls.__fields__ if env.get(name, "").strip()}
        try:
            return cls(**values)
        except ValidationError as exc:
            raise cls.error(cls._explain(exc, values)) from None

    @classmethod
    def _explain(cls, exc: ValidationError, values: Mapping[str, str]) -> str:
        problem = exc.errors()[0]
        name = str(problem["loc"][0])
        message = f"{name} {cls.wording.get(problem['type'], problem['msg'])}"
        secret = name in cls.__fields__ and cls.__fields__[name].type_ is SecretStr
        if cls.show_values and name in values and not secret:
            message += f", got {values[name]!r}"
        return message


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


class _SettingsEnv(EnvSettings):
    """The variables of :class:`Settings` (documented there and in ``.env.example``)."""

    VAR_DIR: str = "var"
    DATA_KEY_FILE: str | None = None
    EVIDENCE_DIR: str | None = None
    DATABASE_URL: SecretStr | None = None
    DATA_KEYS: SecretStr | None = None
    EVIDENCE_MAX_BYTES: float = Field(DEFAULT_EVIDENCE_MAX_BYTES, gt=0)
    SQLITE_BUSY_TIMEOUT: float = Field(DEFAULT_SQLITE_BUSY_TIMEOUT_S, gt=0)


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
        env = _SettingsEnv.read(environ)
        var_dir = _resolve(env.VAR_DIR)
        database_url = _secret(env.DATABASE_URL) or f"sqlite:///{var_dir / 'cases.db'}"
        return cls(
            database_url=_absolute_sqlite_url(database_url),
            var_dir=var_dir,
            key_file=_resolve(env.DATA_KEY_FILE or str(var_dir / "keys" / "keyring.json")),
            evidence_dir=_resolve(env.EVIDENCE_DIR or str(var_dir / "evidence")),
            data_keys=_secret(env.DATA_KEYS),
            evidence_max_bytes=int(env.EVIDENCE_MAX_BYTES),
            sqlite_busy_timeout_s=env.SQLITE_BUSY_TIMEOUT,
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
