"""Settings of the console, read once from the environment at start-up (see .env.example)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.handoff.partners import DEFAULT_PARTNERS_FILE


class ConsoleConfigError(ValueError):
    """A console variable has a value we cannot use."""


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
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        def number(name: str, default: str) -> float:
            try:
                value = float(get(name, default))
            except ValueError:
                raise ConsoleConfigError(f"{name} must be a number") from None
            if value <= 0:
                raise ConsoleConfigError(f"{name} must be positive")
            return value

        return cls(
            cookie_secure=get("CONSOLE_COOKIE_SECURE", "1") not in ("0", "false", "no"),
            session_ttl=dt.timedelta(hours=number("CONSOLE_SESSION_HOURS", "8")),
            login_limit=int(number("CONSOLE_LOGIN_LIMIT", "5")),
            login_window=dt.timedelta(minutes=number("CONSOLE_LOGIN_WINDOW_MINUTES", "15")),
            handoff_wait=dt.timedelta(seconds=number("HANDOFF_WAIT_SECONDS", "300")),
            poll_interval=number("HANDOFF_POLL_SECONDS", "1"),
            allowed_origins=_words(get("CONSOLE_ORIGINS", "")),
            trusted_proxies=_words(get("CONSOLE_TRUSTED_PROXIES", "")),
            partners_file=Path(get("PARTNERS_FILE", str(DEFAULT_PARTNERS_FILE))),
            rasa_token=env.get("RASA_TOKEN", "").strip() or None,
        )


def _words(value: str) -> tuple[str, ...]:
    """A list written with commas, spaces or both ("a, b c")."""
    return tuple(value.replace(",", " ").split())
