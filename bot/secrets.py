"""Shared secrets between our processes, and the production profile's refusal of unsafe defaults.

Two random secrets are created on first set-up (``make setup``, ``scripts/run*.sh``) and kept
under ``$VAR_DIR/secrets/`` (folder 0700, files 0600, like the keyring):

- ``rasa_token``: Rasa's HTTP API token (``rasa run --auth-token``). Without it every
  ``/conversations/*``, ``/model`` and ``/domain`` call of Rasa's API is refused; the web service
  (console live chat, ``bot.handoff.rasa.RasaClient``) sends it.
- ``action_secret``: what Rasa sends to the action server in the :data:`ACTION_SECRET_HEADER`
  header (``endpoints.yml``: ``action_endpoint.headers``); ``actions/server.py`` refuses every
  call without it.

``RASA_TOKEN`` / ``ACTION_SERVER_SECRET`` in the environment win over the files (deployments with
a secret store). Rasa-free: no import of Rasa or rasa_sdk here.

Command line (used by the run scripts; prints nothing secret unless asked for ``env``)::

    python -m bot.secrets ensure      # create the files if missing
    python -m bot.secrets env         # `export RASA_TOKEN=... ACTION_SERVER_SECRET=...` for eval
    python -m bot.secrets check-prod  # exit 2 with reasons if the production settings are unsafe
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import secrets
import shlex
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.crypto import _write_new_private, ensure_private_dir
from bot.settings import Settings

logger = logging.getLogger(__name__)

RASA_TOKEN_ENV = "RASA_TOKEN"
ACTION_SECRET_ENV = "ACTION_SERVER_SECRET"
#: Header Rasa's action endpoint sends (endpoints.yml) and the action server checks.
ACTION_SECRET_HEADER = "X-Action-Secret"
#: The production profile accepts RabbitMQ guest/guest and a password-less Redis only with this
#: set to 1 (the local test servers of tests/prod). Never in a real deployment.
LOCAL_TEST_FLAG = "PROD_LOCAL_TEST"
RASA_TOKEN_FILE = "rasa_token"
ACTION_SECRET_FILE = "action_secret"
MIN_SECRET_CHARS = 16


class SecretError(RuntimeError):
    """A secret is missing, too short or unreadable (the message never contains it)."""


def secrets_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$VAR_DIR/secrets`` (``var/secrets`` by default)."""
    return Settings.from_env(environ).var_dir / "secrets"


def rasa_token(environ: Mapping[str, str] | None = None, *, create: bool = True) -> str | None:
    """Rasa's API token: ``RASA_TOKEN`` or the ``rasa_token`` file (created if ``create``).

    Returns None only when ``create`` is false and neither exists.
    """
    return _secret(RASA_TOKEN_ENV, RASA_TOKEN_FILE, environ, create)


def action_secret(environ: Mapping[str, str] | None = None, *, create: bool = True) -> str | None:
    """The action server's shared secret: ``ACTION_SERVER_SECRET`` or the ``action_secret`` file."""
    return _secret(ACTION_SECRET_ENV, ACTION_SECRET_FILE, environ, create)


def secret_matches(expected: str, provided: str | None) -> bool:
    """Constant-time comparison; an empty expected secret never matches."""
    if not expected or provided is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), provided.encode("utf-8"))


def _secret(
    env_name: str, file_name: str, environ: Mapping[str, str] | None, create: bool
) -> str | None:
    env = os.environ if environ is None else environ
    value = env.get(env_name, "").strip()
    if value:
        if len(value) < MIN_SECRET_CHARS:
            raise SecretError(f"{env_name} must be at least {MIN_SECRET_CHARS} characters")
        return value
    path = secrets_dir(env) / file_name
    if not path.exists():
        if not create:
            return None
        _create(path)
    return _read(path, env_name)


def _create(path: Path) -> None:
    """Writes a new random secret unless another process just did (same race rule as the keyring)."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # Hex: never starts with "-" (a token_urlsafe one can, and `rasa run --auth-token -x…` then
    # reads it as an option and refuses to start), and safe in URLs, headers and shells.
    _write_new_private(tmp, (secrets.token_hex(32) + "\n").encode("ascii"))
    try:
        os.link(tmp, path)
        logger.info("Created a new %s under %s", path.name, path.parent)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path, env_name: str) -> str:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
            logger.warning("%s was readable by others (mode %o); set to 0600", path, mode)
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read {path} ({type(exc).__name__})") from None
    if len(value) < MIN_SECRET_CHARS:
        raise SecretError(f"{path} holds no usable secret: delete it or set {env_name}")
    return value


def production_problems(environ: Mapping[str, str] | None = None) -> list[str]:
    """Why the production profile's settings are unsafe (empty list: fine).

    RabbitMQ's guest/guest (or no password) and an empty Redis password are refused unless
    :data:`LOCAL_TEST_FLAG` is ``1``. Unset variables count as the defaults run-prod.sh would use.
    """
    env = os.environ if environ is None else environ
    if env.get(LOCAL_TEST_FLAG, "").strip() == "1":
        return []
    problems = []
    user = env.get("RABBITMQ_USER", "").strip() or "guest"
    password = env.get("RABBITMQ_PASSWORD", "").strip() or "guest"
    if user == "guest" or password == "guest":
        problems.append("RabbitMQ uses the default guest account: set RABBITMQ_USER and "
                        "RABBITMQ_PASSWORD to a dedicated account")
    if not env.get("REDIS_PASSWORD", "").strip():
        problems.append("Redis has no password: set REDIS_PASSWORD (requirepass / ACL)")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: ``ensure``, ``env`` or ``check-prod`` (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m bot.secrets")
    parser.add_argument("command", choices=("ensure", "env", "check-prod"))
    args = parser.parse_args(argv)
    try:
        if args.command == "check-prod":
            problems = production_problems()
            for problem in problems:
                print(f"error: {problem}.", file=sys.stderr)
            if problems:
                print(f"Refusing to start the production profile. Only for a local test against "
                      f"throw-away servers: {LOCAL_TEST_FLAG}=1.", file=sys.stderr)
                return 2
            return 0
        token, secret = rasa_token(), action_secret()
    except SecretError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "env":
        print(f"export {RASA_TOKEN_ENV}={shlex.quote(str(token))} "
              f"{ACTION_SECRET_ENV}={shlex.quote(str(secret))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
