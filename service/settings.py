"""Settings of the web service, read once from the environment at start-up.

The service only needs a few values of its own, so they live here rather than in
``bot.settings.Settings`` (which holds what all three processes share). Every variable is listed in
``.env.example``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from bot.settings import EnvSettings

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_EXIT_URL: Final = "https://www.bbc.co.uk/weather"


class ServiceSettingsError(ValueError):
    """An environment variable has a value the web service cannot use."""


class _ServiceEnv(EnvSettings):
    """The variables of :class:`ServiceSettings` (documented there and in ``.env.example``); the
    values' own checks are in :meth:`ServiceSettings.__post_init__`, which direct construction
    runs too."""

    error = ServiceSettingsError
    show_values = False
    wording = {**EnvSettings.wording, "type_error.integer": "must be a number"}

    SERVICE_HOST: str = "127.0.0.1"
    SERVICE_PORT: int = 8080
    RASA_URL: str = "http://127.0.0.1:5005"
    RASA_PUBLIC_URL: str | None = None
    RASA_SOCKET_PATH: str = "/socket.io"
    EXIT_URL: str = DEFAULT_EXIT_URL
    SERVICE_FRAME_ANCESTORS: str = "'none'"
    WIDGET_INIT_PAYLOAD: str = ""


@dataclass(frozen=True)
class ServiceSettings:
    """Configuration of the web service.

    Attributes:
        host: Interface to listen on (``SERVICE_HOST``); loopback unless deliberately exposed.
        port: TCP port (``SERVICE_PORT``).
        rasa_url: Rasa server as this service reaches it (``RASA_URL``).
        rasa_public_url: Rasa server as browsers reach it (``RASA_PUBLIC_URL``, default
            ``rasa_url``); the widget's socket.io origin and the CSP ``connect-src``.
        socket_path: socket.io path on the Rasa server (``RASA_SOCKET_PATH``).
        exit_url: Neutral page that "Exit quickly" replaces the chat with (``EXIT_URL``): an
            absolute http(s) URL, or a path on this service such as ``/neutral``.
        frame_ancestors: CSP ``frame-ancestors`` sources allowed to embed our pages in a frame
            (``SERVICE_FRAME_ANCESTORS``, space separated; ``'none'`` forbids framing).
        init_payload: Message the widget sends unseen when a new conversation starts, so the bot
            greets first (``WIDGET_INIT_PAYLOAD``; empty: the widget's own default, ``/greet``,
            the welcome with the 999 line and the first question's buttons).
        web_dir: Folder of the static chat page and widget.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_public_url: str = "http://127.0.0.1:5005"
    socket_path: str = "/socket.io"
    exit_url: str = DEFAULT_EXIT_URL
    frame_ancestors: str = "'none'"
    init_payload: str = ""
    web_dir: Path = REPO_ROOT / "web"

    def __post_init__(self) -> None:
        """Checks the values once, so a bad deployment fails at start-up, not in a browser."""
        for name in ("rasa_url", "rasa_public_url"):
            _http_url(name, getattr(self, name))
        if not self.exit_url.startswith("/") or self.exit_url.startswith("//"):
            _http_url("exit_url", self.exit_url)
        if not self.socket_path.startswith("/"):
            raise ServiceSettingsError("RASA_SOCKET_PATH must start with '/'")
        if any(c in self.frame_ancestors for c in ";,\r\n") or not self.frame_ancestors.strip():
            raise ServiceSettingsError("SERVICE_FRAME_ANCESTORS must be space-separated sources")
        if not 0 < self.port < 65536:
            raise ServiceSettingsError("SERVICE_PORT must be a TCP port number")

    @property
    def rasa_origin(self) -> str:
        """The public Rasa URL's origin (scheme://host[:port]), as used in the CSP."""
        parts = urlsplit(self.rasa_public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def rasa_socket_origin(self) -> str:
        """The WebSocket origin of the public Rasa URL (ws:// or wss://)."""
        parts = urlsplit(self.rasa_public_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Builds the settings from environment variables.

        Args:
            environ: The variables to read; ``os.environ`` when omitted (tests pass a dict).

        Returns:
            The settings, with defaults for everything unset or empty.

        Raises:
            ServiceSettingsError: A variable is set to a value we cannot use.
        """
        env = _ServiceEnv.read(environ)
        rasa_url = env.RASA_URL.rstrip("/")
        return cls(
            host=env.SERVICE_HOST,
            port=env.SERVICE_PORT,
            rasa_url=rasa_url,
            rasa_public_url=(env.RASA_PUBLIC_URL or rasa_url).rstrip("/"),
            socket_path=env.RASA_SOCKET_PATH,
            exit_url=env.EXIT_URL,
            frame_ancestors=env.SERVICE_FRAME_ANCESTORS,
            init_payload=env.WIDGET_INIT_PAYLOAD,
        )


def _http_url(name: str, value: str) -> None:
    """Raises unless ``value`` is an absolute http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceSettingsError(f"{name.upper()} must be an absolute http(s) URL")


#: The settings the application was built with.
SETTINGS_KEY: Final = web.AppKey("settings", ServiceSettings)
