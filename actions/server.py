"""The action server: rasa_sdk's Sanic app behind a shared secret, on loopback by default.

``rasa run actions`` listens on 0.0.0.0 (rasa_sdk's ``SANIC_HOST`` default) and runs any
``/webhook`` call: a forged call could read a consent ledger, withdraw a consent or create a case.
This entry point builds the same app (:func:`rasa_sdk.endpoint.create_app`, the same plugins) and
adds, before any route runs:

- a request middleware refusing (401) every call except ``GET /health`` that lacks the shared
  secret in the ``X-Action-Secret`` header (:mod:`bot.secrets`; Rasa sends it from
  ``endpoints.yml``'s ``action_endpoint.headers``), compared in constant time;
- an error handler that answers a bare 500: rasa_sdk's own echoes the whole request body (the
  tracker, with everything the person wrote) back and into the log;
- the domain from ``domain/`` (the files the model was trained from) for a call that comes
  without one: Rasa sends the whole domain (every response in 12 languages, ~0.9 MB) with every
  call unless ``enable_selective_domain: true`` is set under ``action_endpoint`` in the endpoints
  file; with it, Rasa sends none to actions not marked ``send_domain``, and ours read this copy.

Usage: ``python -m actions.server [--port 5055] [--host 127.0.0.1]`` (``ACTION_HOST`` /
``ACTION_PORT``; in a container set ``ACTION_HOST=0.0.0.0``, the secret still applies).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
from pathlib import Path
from typing import Any

import yaml
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request

from bot.secrets import ACTION_SECRET_HEADER, SecretError, action_secret, secret_matches

logger = logging.getLogger(__name__)

#: Paths answered without the secret (health checks of the run scripts and orchestrators).
OPEN_PATHS = frozenset({"/health"})
DEFAULT_PORT = 5055


#: The domain files Rasa trains from (``rasa train --domain domain``).
DOMAIN_DIR = Path(__file__).resolve().parents[1] / "domain"


@functools.lru_cache(maxsize=1)
def local_domain() -> dict[str, Any]:
    """The domain as Rasa merges ``domain/*.yml`` (mappings merged key by key, lists joined),
    read once per process."""
    merged: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged.setdefault(key, value)
    return merged


def _executor_class() -> type:
    from rasa_sdk.executor import ActionExecutor

    class LocalDomainExecutor(ActionExecutor):
        """rasa_sdk's executor, giving a call without a domain the one in ``domain/``."""

        async def run(self, action_call: dict[str, Any]) -> Any:
            if not action_call.get("domain"):
                action_call = {**action_call, "domain": local_domain()}
            return await super().run(action_call)

    return LocalDomainExecutor


def build_app(secret: str, package: str = "actions") -> Sanic:
    """rasa_sdk's app for ``package``, refusing calls without ``secret``."""
    from rasa_sdk import endpoint

    if not secret:
        raise SecretError("the action server needs a shared secret")
    # create_app makes its executor from the module's name: ours for the time of the call.
    standard = endpoint.ActionExecutor
    endpoint.ActionExecutor = _executor_class()  # type: ignore[misc]
    try:
        # No CORS: only Rasa calls this server, never a browser.
        app = endpoint.create_app(package, cors_origins="")
    finally:
        endpoint.ActionExecutor = standard  # type: ignore[misc]

    async def require_secret(request: Request) -> Any:
        if request.method == "GET" and request.path in OPEN_PATHS:
            return None
        if secret_matches(secret, request.headers.get(ACTION_SECRET_HEADER)):
            return None
        logger.warning("Refused an action-server call without the shared secret (%s %s)",
                       request.method, request.path[:64])
        return response.json({"error": "unauthorised"}, status=401)

    async def bare_error(request: Request, exception: Exception) -> Any:
        if isinstance(exception, SanicException):  # 404, 405, 413 ...: their own status
            return response.json({"error": "refused"}, status=exception.status_code)
        logger.error("Action server error on %s: %s", request.path[:64], type(exception).__name__)
        return response.json({"error": "internal error"}, status=500)

    app.register_middleware(require_secret, "request")
    app.error_handler.add(Exception, bare_error)
    return app


def main(argv: list[str] | None = None) -> None:
    """Starts the action server (see the module docstring)."""
    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--host", default=os.environ.get("ACTION_HOST", "").strip() or "127.0.0.1")
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("ACTION_PORT", "").strip() or DEFAULT_PORT))
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--loglevel", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)

    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    try:
        secret = action_secret() or ""
    except SecretError as exc:
        raise SystemExit(f"error: {exc}") from None
    app = build_app(secret, args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info("Action server on http://%s:%s (shared secret required)", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
