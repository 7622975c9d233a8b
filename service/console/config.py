"""Settings of the console, read once from the environment at start-up (see .env.example)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, validator

from bot.handoff.partners import DEFAULT_PARTNERS_FILE
from bot.settings import EnvSettings


class ConsoleConfigError(ValueError):
    """A console variable has a value we cannot use."""


class _ConsoleEnv(EnvSettings):
    """The variables of :class:`ConsoleConfig` (documented there and in ``.env.example``)."""

    error = ConsoleConfigError
    show_values = False

    CONSOLE_COOKIE_SECURE: bool = True
    CONSOLE_SESSION_HOURS: float = Field(8, gt=0)
    CONSOLE_LOGIN_LIMIT: float = Field(5, gt=0)
    CONSOLE_LOGIN_WINDOW_MINUTES: float = Field(15, gt=0)
    HANDOFF_WAIT_SECONDS: float = Field(300, gt=0)
    HANDOFF_POLL_SECONDS: float = Field(1, gt=0)
    CONSOLE_ORIGINS: tuple[str, ...] = ()
    CONSOLE_TRUSTED_PROXIES: tuple[str, ...] = ()
    PARTNERS_FILE: Path = DEFAULT_PARTNERS_FILE
    RASA_TOKEN: SecretStr | None = None

    @validator("CONSOLE_COOKIE_SECURE", pre=True)
    def _on_unless_turned_off(cls, value: Any) -> Any:
        """Anything but ``0``, ``false`` or ``no`` keeps secure cookies on."""
        return value not in ("0", "false", "no") if isinstance(value, str) else value

    @validator("CONSOLE_ORIGINS", "CONSOLE_TRUSTED_PROXIES", pre=True)
    def _words(cls, value: Any) -> Any:
        """A list written with commas, spaces or both ("a, b c")."""
        return tuple(value.replace(",", " ").split()) if isinstance(value, str) else value


@dataclass(frozen=True)
class ConsoleConfig:
    """Configuration of the operator/caseworker console.

    Attributes:
        cookie_secure: Session cookies only over HTTPS (``CONSOLE_COOKIE_SECURE``, default on;
            ``0`` for plain-http localhost development and tests).
        session_ttl: Login session lifetime (``CONSOLE_SESSION_HOURS``, default 8).
        login_limit: Failed logins from one client address within ``login_window`` before
            each further try must wait (``CONSOLE_LOGIN_LIMIT``, default 5; see
            `bot.handoff.accounts.login_delay`).
        login_window: ``CONSOLE_LOGIN_WINDOW_MINUTES`` (default 15).
        handoff_wait: How long a live chat waits for an operator before the bot takes over again
            and offers a callback (``HANDOFF_WAIT_SECONDS``, default 300).
        poll_interval: Seconds between transcript/queue polls (``HANDOFF_POLL_SECONDS``, 1).
        allowed_origins: Origins allowed to open the console WebSocket and post forms
            (``CONSOLE_ORIGINS``, separated by commas and/or spaces); empty means the request's
            own origin.
        trusted_proxies: Addresses of the reverse proxies in front of the service
            (``CONSOLE_TRUSTED_PROXIES``, commas and/or spaces). Only a request from one of them
            may name the real client in ``X-Forwarded-For``; the login delays are keyed on that.
        partners_file: The partner directory (``PARTNERS_FILE``).
        rasa_token: Rasa's ``--auth-token`` if it runs with one (``RASA_TOKEN``).
    """

    cookie_secure: bool = True
    session_ttl: dt.timedelta = dt.timedelta(hours=8)
    login_limit: int = 5
    login_window: dt.timedelta = dt.timedelta(minutes=15)
    handoff_wait: dt.timedelta = dt.timedelta(seconds=300)
    poll_interval: float = 1.0
    allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    partners_file: Path = DEFAULT_PARTNERS_FILE
    rasa_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleConfig:
        """Builds the configuration from environment variables (defaults for unset ones)."""
        env = _ConsoleEnv.read(environ)
        return cls(
            cookie_secure=env.CONSOLE_COOKIE_SECURE,
            session_ttl=dt.timedelta(hours=env.CONSOLE_SESSION_HOURS),
            login_limit=int(env.CONSOLE_LOGIN_LIMIT),
            login_window=dt.timedelta(minutes=env.CONSOLE_LOGIN_WINDOW_MINUTES),
            handoff_wait=dt.timedelta(seconds=env.HANDOFF_WAIT_SECONDS),
            poll_interval=env.HANDOFF_POLL_SECONDS,
            allowed_origins=env.CONSOLE_ORIGINS,
            trusted_proxies=env.CONSOLE_TRUSTED_PROXIES,
            partners_file=env.PARTNERS_FILE,
            rasa_token=env.RASA_TOKEN.get_secret_value() if env.RASA_TOKEN else None,
        )
