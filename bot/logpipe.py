"""Writes its standard input to a size-bounded, rotating log file.

The run scripts send each process's output through it (``cmd > >(python -m bot.logpipe FILE)
2>&1``), so Rasa, the action server and the web service all get the same bounded logs, whatever
each one prints (Sanic banners, warnings, tracebacks) and without changing how they log.

``LOG_MAX_BYTES`` (default 10 MB) per file and ``LOG_BACKUPS`` (default 5) older files
(``FILE.1`` … ``FILE.5``); files are created mode 0600. Ends when its input closes.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import sys
from collections.abc import Iterable, Mapping

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5


def limits(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(max bytes per file, number of backups) from ``LOG_MAX_BYTES`` / ``LOG_BACKUPS``."""
    env = os.environ if environ is None else environ
    try:
        max_bytes = int(env.get("LOG_MAX_BYTES", "").strip() or DEFAULT_MAX_BYTES)
        backups = int(env.get("LOG_BACKUPS", "").strip() or DEFAULT_BACKUPS)
    except ValueError:
        raise SystemExit("LOG_MAX_BYTES and LOG_BACKUPS must be whole numbers") from None
    if max_bytes < 1024 or backups < 1:
        raise SystemExit("LOG_MAX_BYTES must be at least 1024 and LOG_BACKUPS at least 1")
    return max_bytes, backups


def pump(lines: Iterable[bytes], path: str, max_bytes: int, backups: int) -> None:
    """Writes each line to ``path`` through a RotatingFileHandler (flushed line by line)."""
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for raw in lines:
            text = raw.decode("utf-8", errors="replace").rstrip("\n")
            handler.emit(logging.makeLogRecord({"msg": text, "args": None}))
    finally:
        handler.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.logpipe FILE``: copies standard input into FILE, rotating it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.logpipe FILE", file=sys.stderr)
        return 2
    max_bytes, backups = limits()
    os.umask(0o077)
    # Ctrl-C reaches the whole process group: keep copying until the writer has said its last
    # words and closed the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pump(sys.stdin.buffer, args[0], max_bytes, backups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
