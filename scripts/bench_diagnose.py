"""`python -m scripts.bench --diagnose`: where each turn's time goes, inside Rasa and the action server.

The benchmark starts Rasa and the action server through this module instead of directly::

    python -m scripts.bench_diagnose rasa run --model ... (Rasa's own arguments)
    python -m scripts.bench_diagnose actions --port N  (python -m actions.server's arguments)

Before handing over to Rasa's (or our action server's) own ``main``, it wraps a few of Rasa 3.6's
methods with timers; nothing else in the repository imports it, so the production path never runs
it. Every patch is in this file. Each finished turn (Rasa's ``Agent.handle_message``) appends one
JSON line to the file named by ``BENCH_DIAGNOSE_FILE``; each action-server request appends one line
to the same file from the other process. The lines carry the sender id (the benchmark's invented
``bench-…`` ids), step names, counts and milliseconds: never message text or slot values.

What is timed (Rasa 3.6.21 method → step):

* ``Agent.handle_message``: the whole turn inside Rasa (lock held or waited for included);
* ``LockStore.lock``: acquiring and releasing the conversation's lock (``lock``);
* ``FailSafeTrackerStore.retrieve`` / ``.save``: loading and saving the tracker, decryption and
  encryption included (``load``/``save``); ``TrackerStore.stream_events``: the event-broker part of
  a save (it loads the stored tracker again to diff it) (``stream``);
* ``MessageProcessor.parse_message``: NLU (``nlu``);
* ``MessageProcessor.run_action_extract_slots``: slot mappings, their action-server call included
  (``extract_slots``);
* ``MessageProcessor._predict_next_with_tracker``: the policies, once per predicted action
  (``policies``);
* ``MessageProcessor._run_action``: running one predicted action, action-server call included
  (``actions``); ``DialogueStateTracker.copy``: Rasa's copy of the tracker (a replay of every
  event), made before each action (``copy``);
* ``RemoteAction.run`` with ``RemoteAction._action_call_format`` (the tracker serialised for the
  action server) and ``EndpointConfig.request`` (the HTTP round trip): one record per call;
* the action server: a Sanic request/response middleware pair around ``/webhook``;
* Python's garbage collector (``gc.callbacks``): its passes during a turn, per generation
  (``gc0``, ``gc1``, ``gc2``), inside whichever step triggered them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

ENV_FILE = "BENCH_DIAGNOSE_FILE"

#: Steps directly inside a turn (they do not overlap), in the order a turn runs them.
TOP_LEVEL_STEPS = ("lock", "load", "nlu", "extract_slots", "policies", "actions", "save")


@dataclass
class Turn:
    """What one turn (one user message) spent, collected while it runs."""

    sender: str
    steps: dict[str, list[float]] = field(default_factory=dict)  # step → [ms total, count]
    calls: list[dict[str, Any]] = field(default_factory=list)  # one per action-server call
    events: int = 0  # events in the tracker when it was saved

    def add(self, step: str, ms: float) -> None:
        total = self.steps.setdefault(step, [0.0, 0])
        total[0] += ms
        total[1] += 1


_TURN: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("bench_turn", default=None)
_CALL: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "bench_call", default=None
)
_IN_SAVE: contextvars.ContextVar[bool] = contextvars.ContextVar("bench_in_save", default=False)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get(ENV_FILE)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def _timed_async(owner: Any, name: str, step: str | Callable[[], str]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        turn = _TURN.get()
        if turn is None:
            return await original(*args, **kwargs)
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            turn.add(step() if callable(step) else step, _ms(started))

    setattr(owner, name, wrapper)


def _timed_sync(owner: Any, name: str, step: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        turn = _TURN.get()
        if turn is None:
            return original(*args, **kwargs)
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            turn.add(step, _ms(started))

    setattr(owner, name, wrapper)


def install_gc_timer() -> None:
    """Times Python's garbage-collector passes that run during a turn (``gc``): they land in
    whatever step allocates when one is due, so they are reported on their own."""
    import gc

    started: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            turn = _TURN.get()
            if turn is not None:
                turn.add(f"gc{info.get('generation', '')}", _ms(started.pop()))

    gc.callbacks.append(callback)


PROFILE_ENV = "BENCH_PROFILE_FILE"
#: Profile a long conversation's turns from this turn on (where the growth shows).
PROFILE_FROM_TURN = 40


@dataclass
class _Profile:
    """cProfile of the long conversations' late turns (``BENCH_PROFILE_FILE=path``; read with
    ``python -m pstats path``): which Rasa functions grow with the conversation. Off unless set;
    function names and timings only."""

    path: str
    profiler: Any
    turns: dict[str, int] = field(default_factory=dict)

    def wants(self, sender: str) -> bool:
        if not sender.startswith("bench-long"):
            return False
        self.turns[sender] = self.turns.get(sender, 0) + 1
        return self.turns[sender] >= PROFILE_FROM_TURN

    def dump(self) -> None:
        self.profiler.dump_stats(self.path)


def _profiler() -> _Profile | None:
    path = os.environ.get(PROFILE_ENV)
    if not path:
        return None
    import cProfile

    return _Profile(path, cProfile.Profile())


def install_rasa() -> None:
    """Wraps Rasa's per-turn methods with timers (see the module docstring)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    handle_message = Agent.handle_message

    profile = _profiler()

    @functools.wraps(handle_message)
    async def timed_handle_message(self: Any, message: Any) -> Any:
        turn = Turn(str(message.sender_id))
        token = _TURN.set(turn)
        started = time.perf_counter()
        profiled = profile is not None and profile.wants(turn.sender)
        if profiled and profile is not None:
            profile.profiler.enable()
        try:
            return await handle_message(self, message)
        finally:
            if profiled and profile is not None:
                profile.profiler.disable()
                profile.dump()
            total = _ms(started)
            _TURN.reset(token)
            _write(
                {
                    "process": "rasa",
                    "sender": turn.sender,
                    "total_ms": round(total, 3),
                    "events": turn.events,
                    "steps": {k: [round(v[0], 3), v[1]] for k, v in turn.steps.items()},
                    "calls": turn.calls,
                }
            )

    Agent.handle_message = timed_handle_message  # type: ignore[method-assign]

    original_lock = LockStore.lock

    @contextlib.asynccontextmanager
    async def timed_lock(
        self: Any, conversation_id: str, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        turn = _TURN.get()
        started = time.perf_counter()
        async with original_lock(self, conversation_id, *args, **kwargs) as lock:
            held = time.perf_counter()
            waited = (held - started) * 1000
            try:
                yield lock
            finally:
                released = time.perf_counter()
        if turn is not None:
            turn.add("lock", waited + _ms(released))

    LockStore.lock = timed_lock  # type: ignore[method-assign,assignment]

    retrieve = FailSafeTrackerStore.retrieve

    @functools.wraps(retrieve)
    async def timed_retrieve(self: Any, sender_id: str) -> Any:
        turn = _TURN.get()
        started = time.perf_counter()
        try:
            return await retrieve(self, sender_id)
        finally:
            if turn is not None:
                turn.add("load", _ms(started))

    FailSafeTrackerStore.retrieve = timed_retrieve  # type: ignore[method-assign]

    save = FailSafeTrackerStore.save

    @functools.wraps(save)
    async def timed_save(self: Any, tracker: Any) -> Any:
        turn = _TURN.get()
        token = _IN_SAVE.set(True)
        started = time.perf_counter()
        try:
            return await save(self, tracker)
        finally:
            _IN_SAVE.reset(token)
            if turn is not None:
                turn.add("save", _ms(started))
                turn.events = len(tracker.events)

    FailSafeTrackerStore.save = timed_save  # type: ignore[method-assign]
    _timed_async(TrackerStore, "stream_events", "stream")

    _timed_async(MessageProcessor, "parse_message", "nlu")
    _timed_async(MessageProcessor, "run_action_extract_slots", "extract_slots")
    _timed_sync(MessageProcessor, "_predict_next_with_tracker", "policies")
    _timed_async(MessageProcessor, "_run_action", "actions")
    _timed_sync(DialogueStateTracker, "copy", "copy")

    remote_run = RemoteAction.run

    @functools.wraps(remote_run)
    async def timed_remote_run(
        self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> Any:
        turn = _TURN.get()
        if turn is None:
            return await remote_run(self, output_channel, nlg, tracker, domain)
        call: dict[str, Any] = {"action": self.name(), "events": len(tracker.events)}
        token = _CALL.set(call)
        started = time.perf_counter()
        try:
            return await remote_run(self, output_channel, nlg, tracker, domain)
        finally:
            _CALL.reset(token)
            call["rasa_ms"] = round(_ms(started), 3)
            turn.calls.append(call)

    RemoteAction.run = timed_remote_run  # type: ignore[method-assign]

    call_format = RemoteAction._action_call_format

    @functools.wraps(call_format)
    def timed_call_format(self: Any, tracker: Any, domain: Any) -> Any:
        started = time.perf_counter()
        body = call_format(self, tracker, domain)
        call = _CALL.get()
        if call is not None:
            call["serialise_ms"] = round(_ms(started), 3)
            call["request_bytes"] = len(json.dumps(body))
        return body

    RemoteAction._action_call_format = timed_call_format  # type: ignore[method-assign]

    request = EndpointConfig.request

    @functools.wraps(request)
    async def timed_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = _CALL.get()
        started = time.perf_counter()
        try:
            return await request(self, *args, **kwargs)
        finally:
            if call is not None:
                call["http_ms"] = round(_ms(started), 3)

    EndpointConfig.request = timed_request  # type: ignore[method-assign]


def install_actions() -> None:
    """Times each action-server request (our ``actions.server.build_app``'s app)."""
    import actions.server

    build_app = actions.server.build_app

    @functools.wraps(build_app)
    def timed_build_app(*args: Any, **kwargs: Any) -> Any:
        app = build_app(*args, **kwargs)

        async def start_timer(request: Any) -> None:
            request.ctx.bench_started = time.perf_counter()

        async def stop_timer(request: Any, response: Any) -> None:
            started = getattr(request.ctx, "bench_started", None)
            if started is None or request.path != "/webhook":
                return
            try:
                body = request.json or {}
            except Exception:  # noqa: BLE001 - a refused body is not ours to time
                return
            _write(
                {
                    "process": "actions",
                    "sender": str(body.get("sender_id")),
                    "action": str(body.get("next_action")),
                    "ms": round(_ms(started), 3),
                }
            )

        app.register_middleware(start_timer, "request")
        app.register_middleware(stop_timer, "response")
        return app

    actions.server.build_app = timed_build_app  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    """``rasa <rasa arguments>`` or ``actions <actions.server arguments>``, timed."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("rasa", "actions"):
        raise SystemExit("usage: python -m scripts.bench_diagnose {rasa|actions} ARGS...")
    which, rest = args[0], args[1:]
    if which == "rasa":
        install_rasa()
        install_gc_timer()
        from rasa.__main__ import main as rasa_main

        sys.argv = ["rasa", *rest]
        rasa_main()
    else:
        install_actions()
        import actions.server

        actions.server.main(rest)


if __name__ == "__main__":
    main()
