"""Application factory of the web service."""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web

from bot.settings import Settings
from service.console import setup_console
from service.console.config import ConsoleConfig
from service.jobs import setup_jobs
from service.routes import setup_routes
from service.settings import SETTINGS_KEY, ServiceSettings

logger = logging.getLogger(__name__)

#: Added to every response unless the handler set its own value (the console may need to).
STATIC_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Security headers computed once from the settings.
HEADERS_KEY: Final = web.AppKey("security_headers", dict[str, str])


def content_security_policy(settings: ServiceSettings) -> str:
    """Builds the CSP: our own files, plus a socket to the public Rasa origin, nothing else.

    Args:
        settings: The service settings (Rasa public URL, allowed frame ancestors).

    Returns:
        The ``Content-Security-Policy`` header value.
    """
    connect = f"'self' {settings.rasa_origin} {settings.rasa_socket_origin}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {settings.frame_ancestors}",
        ]
    )


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: runs for every response, errors and static files included."""
    headers = request.app[HEADERS_KEY]
    for name, value in headers.items():
        response.headers.setdefault(name, value)


def create_app(
    settings: ServiceSettings,
    console: ConsoleConfig | None = None,
    store_settings: Settings | None = None,
) -> web.Application:
    """Builds the web service.

    Args:
        settings: Read once at start-up with :meth:`ServiceSettings.from_env`.
        console: Console settings; :meth:`ConsoleConfig.from_env` when omitted.
        store_settings: Case store settings; :meth:`Settings.from_env` when omitted.

    Returns:
        The aiohttp application, ready for ``web.run_app`` or the pytest-aiohttp client.
    """
    app = web.Application()
    app[SETTINGS_KEY] = settings
    headers = dict(STATIC_HEADERS)
    headers["Content-Security-Policy"] = content_security_policy(settings)
    if settings.frame_ancestors.strip() == "'none'":
        headers["X-Frame-Options"] = "DENY"  # For browsers without CSP frame-ancestors.
    app[HEADERS_KEY] = headers
    # aiohttp 3.9's annotation of this signal rejects a plain (request, response) hook.
    app.on_response_prepare.append(_add_security_headers)  # type: ignore[arg-type]

    setup_routes(app)
    # The operator console: /console (pages), /api (JSON, WebSocket), /login; its guard
    # middleware refuses every route not on its public allow-list. Lifetimes in app.cleanup_ctx.
    state = setup_console(app, console, store_settings)
    # Scheduled retention (bot/privacy/retention.py); RETENTION_INTERVAL_HOURS=0 turns it off.
    # It works on the console's store: one store handle (one engine) in this process.
    setup_jobs(app, state.store_settings, store=state.store)
    return app
