"""Starts the real stack on loopback for end-to-end tests: Rasa server (trained model), action
server and web service, each on a free port, with a fresh SQLite case store, tracker store and
keyring in a temporary folder (scripts/stack.py, shared with the benchmark). Reuse `Stack`
(fixture `stack`) and `RestChat` in other e2e tests.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.stack import (
    CHANNEL_VARS,
    MODEL,
    ROOT,
    VENV_BIN,
    Stack,
    action_args,
    free_port,
    rasa_args,
    start_stack,
    wait_http,
)

#: The stack helpers live in scripts/stack.py (the benchmark uses them too); other test suites
#: import them from here as before.
__all__ = [
    "CHANNEL_VARS",
    "MODEL",
    "ROOT",
    "VENV_BIN",
    "RestChat",
    "Stack",
    "action_args",
    "free_port",
    "rasa_args",
    "stack",
    "start_stack",
    "wait_http",
]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One running stack shared by the e2e tests of a session (conversations use new senders)."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        for name in list(running.procs):
            running.stop(name)


class RestChat:
    """One person talking to the bot through Rasa's REST channel."""

    def __init__(self, stack: Stack, sender: str, metadata: dict[str, Any] | None = None) -> None:
        self.stack = stack
        self.sender = sender
        self.metadata = metadata or {"channel": "rest"}
        self.transcript: list[tuple[str, list[dict[str, Any]]]] = []

    def say(self, message: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Sends a message (text or a button payload) and returns the bot's replies."""
        body = json.dumps({"sender": self.sender, "message": message, "metadata": self.metadata})
        request = urllib.request.Request(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            replies = json.load(response)
        self.transcript.append((message, replies))
        return replies

    def choose(self, value: str) -> list[dict[str, Any]]:
        """Presses the button whose payload carries `value`."""
        return self.say(f'/inform{{"choice":"{value}"}}')

    @staticmethod
    def text(replies: list[dict[str, Any]]) -> str:
        """All reply texts joined, for `in` assertions."""
        return "\n".join(r.get("text") or "" for r in replies)

    @staticmethod
    def payloads(replies: list[dict[str, Any]]) -> list[str]:
        """Every button payload offered in the replies."""
        return [b["payload"] for r in replies for b in r.get("buttons") or []]
