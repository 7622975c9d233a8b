"""Runs the web service: ``python -m service`` (host and port from SERVICE_HOST/SERVICE_PORT)."""

from __future__ import annotations

import logging

from aiohttp import web

from service.app import create_app
from service.settings import ServiceSettings

logger = logging.getLogger(__name__)


def main() -> None:
    """Reads the settings once and serves until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = ServiceSettings.from_env()
    logger.info("Web service listening on %s:%s", settings.host, settings.port)
    # No access log: it would record visitors' IP addresses and paths.
    web.run_app(
        create_app(settings), host=settings.host, port=settings.port, access_log=None, print=None
    )


if __name__ == "__main__":
    main()
