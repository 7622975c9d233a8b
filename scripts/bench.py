"""`make bench`: our stack's speed and memory as ratios against a bare Rasa baseline.

Both bots run on this machine, on 127.0.0.1 only, one after the other:

* **ours**: the real stack (`scripts.stack.start_stack`: Rasa with models/current.tar.gz,
  the action server and the web service; SQLite stores in a temporary folder), Twilio pointed
  at a fake Twilio API served by this process;
* **baseline**: `bench/baseline/` (six intents, text responses, rules, English NLU, the same
  featurizers and DIET settings as our config.yml, no custom actions, no action server) served
  by a bare `rasa run`.

For each: start-up time (process start → health URL answers), a warm-up, then N concurrent
conversations over the REST channel (ours: complete reports, the flow of tests/e2e; baseline:
the same number of turns cycling greet/inform/affirm), per-turn latency percentiles, throughput
and peak RSS (VmHWM of each process and its children, sampled every second). While our REST load
runs, signed Twilio SMS webhooks from distinct invented senders measure the acknowledgement
latency. Then, ours only: two long reports one at a time (the cost at turn 5, 25 and 60), and
the production profile (PostgreSQL, Redis, RabbitMQ on 127.0.0.1) with one then two Rasa
processes (`--no-scale-out` to skip). `--diagnose` adds a per-step breakdown of turns of both
bots (scripts/bench_diagnose.py). Prints a Markdown table with ratios and PASS/MISS against the
targets and writes
artifacts/bench.md and artifacts/bench.json. A missed target is a result (exit 0); exit 1 only
when the benchmark itself fails (a bot that does not start, no conversation completed...).

    PYTHONPATH=. .venv/bin/python -m scripts.bench [--concurrency 50] [--train-ours] [--diagnose]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from scripts.bench_diagnose import ENV_FILE as DIAGNOSE_ENV
from scripts.bench_diagnose import TOP_LEVEL_STEPS

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "bench" / "baseline"
VENV_BIN = Path(sys.executable).parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "esea-report" / "bench"
ARTIFACTS = ROOT / "artifacts"
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")

#: How long a process may take to answer its health URL (a loaded 2-core machine is slow).
START_TIMEOUT_S = 600

# Targets (docs/benchmark.md).
TARGET_P50_RATIO = 1.5  # ours / baseline, per-turn p50
TARGET_THROUGHPUT_RATIO = 0.8  # ours / baseline, turns/s at N concurrent
TARGET_STACK_RSS_MB = 1600  # Rasa + action server + web service, peak RSS sum
TARGET_TWILIO_P99_MS = 1000  # Twilio webhook → HTTP 200, under the REST load
TARGET_SEQUENTIAL_RATIO = 2.0  # ours / baseline, mean turn one conversation at a time

# Twilio test credentials (invented) for the fake API on loopback.
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "bench-twilio-auth-token-0000"
TWILIO_NUMBER = "+447700900999"

# One complete report (victim, named police referral, caseworker, contact details), as in
# tests/e2e/test_report_rest.py. Strings starting with "=" press the button with that value.
# The language question is answered only when the bot asks it.
OUR_REPORT: list[str] = [
    "=victim",
    "Two men shouted abuse at me outside the station and called me a virus.",
    "One of them threw a drink at me.",
    "done",
    "1 3",  # verbal abuse + physical assault, typed as option numbers
    "about two weeks ago",
    "LS1",
    "=street",
    "=race",
    "=done",
    "Two men, about 30, one with a red cap",
    "=emotional",
    "=done",
    "=named",
    "=yes",  # caseworker
    "=yes",  # share with the partner organisation
    "Sam Example",
    "020 7946 0123",
    "sam@example.com",
    "=no",  # not safe to leave a message
    "weekday evenings",
    "=confirm",
]
# The baseline cycles these (greet / inform / affirm).
BASELINE_TEXTS = [
    "hello",
    "someone shouted at me at the bus stop",
    "yes",
    "hi there",
    "it happened yesterday near the station in Leeds",
    "yes please",
]


# ---------------------------------------------------------------- statistics and /proc


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-pct * len(ordered) // 100)))  # ceil
    return ordered[min(rank, len(ordered)) - 1]


def _children() -> dict[int, list[int]]:
    """ppid → child pids, from /proc/*/stat."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler:
    """Peak RSS (VmHWM) of named processes and all their descendants, sampled periodically."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.peak_kb: dict[str, dict[int, int]] = {name: {} for name in pids}
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        tree = _children()
        for name, root in self.pids.items():
            todo, seen = [root], set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                todo.extend(tree.get(pid, []))
                hwm = _vm_hwm_kb(pid)
                if hwm is not None:
                    peaks = self.peak_kb[name]
                    peaks[pid] = max(peaks.get(pid, 0), hwm)

    async def _loop(self, every: float) -> None:
        while True:
            self.sample()
            await asyncio.sleep(every)

    def start(self, every: float = 1.0) -> None:
        self._task = asyncio.create_task(self._loop(every))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.sample()

    def result_mb(self) -> dict[str, dict[str, float]]:
        """name → {"mb": sum of peaks of the process and its children, "processes": count}."""
        return {
            name: {"mb": round(sum(peaks.values()) / 1024, 1), "processes": len(peaks)}
            for name, peaks in self.peak_kb.items()
        }


# ---------------------------------------------------------------- training


def _tree_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(
        p
        for base in paths
        for p in ([base] if base.is_file() else base.rglob("*"))
        if p.is_file() and p.suffix in (".yml", ".yaml")
    ):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _rasa_version() -> str:
    import rasa

    return str(rasa.__version__)


def _train(domain: Path, data: Path, config: Path, out: Path, name: str, log: Path) -> float:
    """Runs `rasa train` and returns its wall time in seconds.

    With an empty Rasa training cache of its own (`RASA_CACHE_DIRECTORY` in `out`): the default
    cache in `.rasa/` holds what `make train` computed, and reusing it would time a partial
    training.
    """
    env = {**_env(), "RASA_CACHE_DIRECTORY": str(out / "rasa-cache")}
    start = time.monotonic()
    with open(log, "wb") as handle:
        result = subprocess.run(
            [
                str(VENV_BIN / "rasa"),
                "train",
                "--quiet",
                "--domain",
                str(domain),
                "--data",
                str(data),
                "--config",
                str(config),
                "--out",
                str(out),
                "--fixed-model-name",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"rasa train failed ({result.returncode}); log: {log}")
    return time.monotonic() - start


def train_baseline() -> tuple[Path, dict[str, Any]]:
    """The baseline model, trained (and timed) unless cached by the hash of bench/baseline."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = f"{_rasa_version()}-baseline-{_tree_hash([BASELINE])}"
    model, record = CACHE / f"{key}.tar.gz", CACHE / f"{key}.json"
    if model.exists() and record.exists():
        info = json.loads(record.read_text())
        return model, {**info, "cached": True}
    print("Training the baseline model ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="esea-bench-train-") as tmp:
        seconds = _train(
            BASELINE / "domain.yml",
            BASELINE / "data",
            BASELINE / "config.yml",
            Path(tmp),
            "baseline",
            CACHE / "baseline-train.log",
        )
        shutil.copy(Path(tmp) / "baseline.tar.gz", f"{model}.tmp")
        os.replace(f"{model}.tmp", model)
    info = {"seconds": round(seconds, 1), "measured_at": _now(), "loadavg": _loadavg()}
    record.write_text(json.dumps(info))
    return model, {**info, "cached": False}


def _our_data_hash() -> str:
    """The hash scripts/train-if-changed.sh trains by (data/, domain/, config.yml, bot/nlu)."""
    return subprocess.run(
        ["bash", "scripts/train-if-changed.sh", "--hash"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def our_training(fresh: bool) -> dict[str, Any]:
    """Our training time: a fresh timed `rasa train` with --train-ours (into a temporary folder,
    models/ untouched), else one measured before for the same data hash, else not measured."""
    CACHE.mkdir(parents=True, exist_ok=True)
    data_hash = _our_data_hash()
    record = CACHE / f"{_rasa_version()}-ours-train-{data_hash}.json"
    if fresh:
        print("Training our model (timed, into a temporary folder) ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="esea-bench-train-") as tmp:
            seconds = _train(
                ROOT / "domain",
                ROOT / "data",
                ROOT / "config.yml",
                Path(tmp),
                "ours",
                CACHE / "ours-train.log",
            )
        info = {
            "seconds": round(seconds, 1),
            "measured_at": _now(),
            "loadavg": _loadavg(),
            "data_hash": data_hash,
        }
        record.write_text(json.dumps(info))
        return {**info, "cached": False}
    if record.exists():
        return {**json.loads(record.read_text()), "cached": True}
    return {
        "seconds": None,
        "data_hash": data_hash,
        "note": "not measured (run with --train-ours to time a fresh training)",
    }


# ---------------------------------------------------------------- stacks


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Running:
    """A started bot: its Rasa URL, named processes and how to stop them."""

    rasa_url: str
    pids: dict[str, int]
    startup_s: dict[str, float]
    stop: Callable[[], None]
    action_webhook: str = ""
    token: str = ""  # Rasa's --auth-token (its HTTP API, e.g. /model/parse)
    action_secret: str = ""  # what the action server requires (X-Action-Secret)
    stack: Any = None  # scripts.stack.Stack of our stack


def _diagnosed(args: list[str]) -> list[str]:
    """A process's command run through scripts/bench_diagnose.py (`rasa …` or `python -m
    actions.server …`)."""
    python = str(VENV_BIN / "python")
    if Path(args[0]).name == "rasa":
        return [python, "-m", "scripts.bench_diagnose", "rasa", *args[1:]]
    assert args[1:3] == ["-m", "actions.server"], args
    return [python, "-m", "scripts.bench_diagnose", "actions", *args[3:]]


def start_ours(
    tmp: Path, extra_env: dict[str, str], diagnose_file: Path | None = None, service: bool = True
) -> Running:
    """Our stack through scripts/stack.py's start_stack (as the e2e tests start it), timing each
    process's start; with `diagnose_file`, Rasa and the action server run through
    scripts/bench_diagnose.py."""
    from scripts import stack as stack_lib

    timings: dict[str, float] = {}
    original = stack_lib.Stack.start
    rasa_args, action_args = stack_lib.rasa_args, stack_lib.action_args
    if diagnose_file is not None:
        extra_env = {**extra_env, DIAGNOSE_ENV: str(diagnose_file)}
        stack_lib.rasa_args = lambda *a: _diagnosed(rasa_args(*a))  # type: ignore[assignment]
        stack_lib.action_args = lambda *a: _diagnosed(action_args(*a))  # type: ignore[assignment]

    def timed(self: Any, name: str, args: list[str], health: str, timeout: float = 180) -> None:
        started = time.monotonic()
        # A busy shared machine can take minutes to load a model: wait up to START_TIMEOUT_S.
        original(self, name, args, health, max(timeout, START_TIMEOUT_S))
        timings[name] = round(time.monotonic() - started, 2)

    stack_lib.Stack.start = timed  # type: ignore[method-assign]
    started = time.monotonic()
    try:
        stack = stack_lib.start_stack(tmp, extra_env, service=service)
    finally:
        stack_lib.Stack.start = original  # type: ignore[method-assign]
        stack_lib.rasa_args, stack_lib.action_args = rasa_args, action_args
    timings["total (incl. db upgrade)"] = round(time.monotonic() - started, 2)

    def stop() -> None:
        for name in reversed(list(stack.procs)):
            stack.stop(name)

    return Running(
        stack.rasa_url,
        {n: p.pid for n, p in stack.procs.items()},
        timings,
        stop,
        f"{stack.action_url}/webhook",
        stack.rasa_token,
        stack.action_secret,
        stack,
    )


def start_baseline(tmp: Path, model: Path, diagnose_file: Path | None = None) -> Running:
    """A bare `rasa run` of the baseline model (in-memory tracker store, REST only); with
    `diagnose_file`, run through scripts/bench_diagnose.py."""
    from scripts.stack import free_port, wait_http

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_urlsafe(32)  # its API is on for /model/parse: never without a token
    log = open(tmp / "baseline-rasa.log", "wb")  # noqa: SIM115 - closed in stop()
    started = time.monotonic()
    command = [
        str(VENV_BIN / "rasa"),
        "run",
        "--model",
        str(model),
        "--credentials",
        str(BASELINE / "credentials.yml"),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--enable-api",
        f"--auth-token={token}",
    ]
    env = _env()
    if diagnose_file is not None:
        command, env[DIAGNOSE_ENV] = _diagnosed(command), str(diagnose_file)
    proc = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"{url}/", START_TIMEOUT_S, [proc])
    except BaseException:
        proc.kill()
        proc.wait()
        log.close()
        raise
    startup = round(time.monotonic() - started, 2)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()

    return Running(url, {"rasa": proc.pid}, {"rasa": startup}, stop, token=token)


# ---------------------------------------------------------------- load


@dataclass
class Load:
    """What one load phase measured."""

    latencies_ms: list[float] = field(default_factory=list)
    turns: int = 0
    errors: list[str] = field(default_factory=list)
    completed: int = 0
    conversations: int = 0
    seconds: float = 0.0
    #: (sender, message, ms) of every turn, in order, when the phase needs them (--diagnose,
    #: the long conversation).
    trace: list[tuple[str, str, float]] | None = None


async def _say(
    http: aiohttp.ClientSession, url: str, sender: str, message: str, load: Load | None
) -> list[dict[str, Any]]:
    body = {"sender": sender, "message": message, "metadata": {"channel": "rest"}}
    started = time.perf_counter()
    async with http.post(f"{url}/webhooks/rest/webhook", json=body) as response:
        payload = await response.read()
        status = response.status
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"HTTP {status}")
    if load is not None:
        load.latencies_ms.append(elapsed)
        load.turns += 1
        if load.trace is not None:
            load.trace.append((sender, message, elapsed))
    replies = json.loads(payload)
    if not replies:
        raise RuntimeError("no reply")
    return replies  # type: ignore[no-any-return]


def _text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _payload(value: str) -> str:
    return '/inform{"choice":"' + value + '"}'


async def our_conversation(http: aiohttp.ClientSession, url: str, load: Load | None) -> int:
    """One complete report; returns the number of turns. Raises if no reference code came."""
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    replies = await _say(http, url, sender, "hello", load)
    turns = 1
    if "999" not in _text(replies):
        raise RuntimeError("no welcome")
    if any("lang:" in b.get("payload", "") for r in replies for b in r.get("buttons") or []):
        await _say(http, url, sender, _payload("lang:en"), load)
        turns += 1
    for step in OUR_REPORT:
        message = _payload(step[1:]) if step.startswith("=") else step
        replies = await _say(http, url, sender, message, load)
        turns += 1
    if not REFERENCE.search(_text(replies)):
        raise RuntimeError("no reference code at the end of the report")
    return turns


def baseline_conversation(turns: int) -> Callable[[aiohttp.ClientSession, str, Load | None], Any]:
    async def run(http: aiohttp.ClientSession, url: str, load: Load | None) -> int:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for i in range(turns):
            await _say(http, url, sender, BASELINE_TEXTS[i % len(BASELINE_TEXTS)], load)
        return turns

    return run


# ---------------------------------------------------------------- one long conversation

#: Turns at which the per-turn cost of one long conversation is compared (issue #13: turn 60 may
#: cost at most 1.2× turn 5). Each is the median of the description turns within ±2 of it.
LONG_TURNS = (5, 25, 60)
LONG_WINDOW = 2
TARGET_LONG_RATIO = 1.2  # turn 60 / turn 5
#: The description goes on until this turn, then "done" and the rest of the report.
LONG_DESCRIPTION_UNTIL = 70
#: Questions asked in the middle of the description (turn number → question), away from the
#: measured windows.
LONG_QUESTIONS = {
    10: "is this confidential",
    18: "who will see my report",
    31: "will the police know my name",
    44: "is this confidential",
    52: "who will see my report",
    66: "will the police know my name",
}
#: Short invented details, one per message (the whole description stays under the 5,000
#: characters a description may hold).
LONG_DETAILS = [
    "It started when I got off the bus near the market.",
    "A man in a grey jacket followed me for a while.",
    "He kept shouting that I should go back home.",
    "Another man joined him and laughed at me.",
    "I walked faster towards the shops.",
    "A woman at the bakery saw what happened.",
    "They said things about my family too.",
    "One of them knocked my bag out of my hand.",
    "I picked it up and went into a shop.",
    "They waited outside for about ten minutes.",
    "I felt very scared and did not know what to do.",
]


def long_messages(turn: int) -> str | None:
    """The message of the long conversation's turn `turn` while the description goes on (turns
    counted from 1, "hello" included), or None once it is done."""
    if turn > LONG_DESCRIPTION_UNTIL:
        return None
    if turn in LONG_QUESTIONS:
        return LONG_QUESTIONS[turn]
    return LONG_DETAILS[turn % len(LONG_DETAILS)]


async def long_conversation(http: aiohttp.ClientSession, url: str, load: Load | None) -> int:
    """One long report: a description over many messages with questions in between (until turn
    LONG_DESCRIPTION_UNTIL), then the rest of the report; returns the number of turns. Raises if
    no reference code came."""
    sender = f"bench-long-{uuid.uuid4().hex[:12]}"
    replies = await _say(http, url, sender, "hello", load)
    turns = 1
    if any("lang:" in b.get("payload", "") for r in replies for b in r.get("buttons") or []):
        await _say(http, url, sender, _payload("lang:en"), load)
        turns += 1
    await _say(http, url, sender, _payload("victim"), load)
    turns += 1
    while (message := long_messages(turns + 1)) is not None:
        await _say(http, url, sender, message, load)
        turns += 1
    for step in OUR_REPORT[OUR_REPORT.index("done") :]:
        message = _payload(step[1:]) if step.startswith("=") else step
        replies = await _say(http, url, sender, message, load)
        turns += 1
    if not REFERENCE.search(_text(replies)):
        raise RuntimeError("no reference code at the end of the long report")
    return turns


def long_windows(trace: list[tuple[str, str, float]]) -> dict[int, float | None]:
    """Median per-turn ms around each of LONG_TURNS, over the description turns of every long
    conversation in `trace` (the turns of each sender numbered from 1 in order)."""
    numbered: dict[str, int] = {}
    samples: dict[int, list[float]] = {t: [] for t in LONG_TURNS}
    details = set(LONG_DETAILS)
    for sender, message, ms in trace:
        numbered[sender] = number = numbered.get(sender, 0) + 1
        if message not in details:
            continue
        for target in LONG_TURNS:
            if abs(number - target) <= LONG_WINDOW:
                samples[target].append(ms)
    return {t: percentile(v, 50) for t, v in samples.items()}


async def bench_long(url: str, count: int) -> dict[str, Any]:
    """`count` long conversations one after another; the per-turn cost at LONG_TURNS."""
    load = Load(trace=[])
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for _ in range(count):
            load.conversations += 1
            turns = await long_conversation(http, url, load)
            load.completed += 1
    windows = long_windows(load.trace or [])
    first, last = windows[LONG_TURNS[0]], windows[LONG_TURNS[-1]]
    ratio = round(last / first, 2) if first and last is not None else None
    return {
        "conversations": load.completed,
        "turns_each": turns,
        "turn_ms": {str(t): _r(v) for t, v in windows.items()},
        "ratio": ratio,
        "pass": None if ratio is None else ratio <= TARGET_LONG_RATIO,
    }


Conversation = Callable[[aiohttp.ClientSession, str, "Load | None"], Any]


async def run_load(
    url: str | list[str],
    conversation: Conversation,
    concurrency: int,
    reports: int,
    deadline_s: float,
) -> Load:
    """`concurrency` simultaneous conversations, each doing `reports` complete conversations;
    with several URLs (Rasa servers), worker i talks to URL i modulo their number."""
    urls = [url] if isinstance(url, str) else url
    load = Load()
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency + 10)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        async def worker(target: str) -> None:
            for _ in range(reports):
                load.conversations += 1
                try:
                    await conversation(http, target, load)
                    load.completed += 1
                except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as exc:
                    load.errors.append(f"{type(exc).__name__}: {exc}")

        started = time.monotonic()
        tasks = [asyncio.create_task(worker(urls[i % len(urls)])) for i in range(concurrency)]
        done, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for task in pending:
            task.cancel()
        if pending:
            load.errors.append(
                f"deadline: {len(pending)} workers still running after {deadline_s}s"
            )
            await asyncio.gather(*pending, return_exceptions=True)
        load.seconds = time.monotonic() - started
    return load


async def warm_up(
    url: str, conversation: Conversation, count: int
) -> tuple[int, float, float]:
    """`count` conversations one after another; returns the turns of one conversation, the mean
    seconds per turn over all of them, and over those after the first (the process's one-time
    costs — first calls, caches filling, the garbage collector's freeze — land in the first;
    with one conversation, the same mean)."""
    turns, total, started = 0, 0, time.monotonic()
    later_turns, later_started = 0, None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for n in range(max(1, count)):
            if n == 1:
                later_started = time.monotonic()
            turns = await conversation(http, url, None)
            total += turns
            if n >= 1:
                later_turns += turns
    ended = time.monotonic()
    every = (ended - started) / max(1, total)
    later = (ended - later_started) / later_turns if later_started and later_turns else every
    return turns, every, later


async def nlu_parse(url: str, texts: list[str], token: str, rounds: int = 3) -> dict[str, Any]:
    """NLU alone: `/model/parse` of `texts`, one at a time (no dialogue, actions or stores)."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        for _ in range(rounds):
            for text in texts:
                started = time.perf_counter()
                async with http.post(
                    f"{url}/model/parse", json={"text": text}, params={"token": token}
                ) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"/model/parse answered {response.status}")
                latencies.append((time.perf_counter() - started) * 1000)
    return {
        "calls": len(latencies),
        "p50_ms": _r(percentile(latencies, 50)),
        "p95_ms": _r(percentile(latencies, 95)),
    }


#: The free-text messages of our report: parsed by both bots for the NLU-only comparison.
PARSE_TEXTS = ["hello", *(s for s in OUR_REPORT if not s.startswith("="))]


async def twilio_acks(
    url: str, count: int, interval: float, active: Callable[[], bool], results: list[dict[str, Any]]
) -> None:
    """Signed SMS webhooks from distinct invented senders; records the time to the HTTP 200."""
    from twilio.request_validator import RequestValidator

    webhook = f"{url}/webhooks/twilio/webhook"
    validator = RequestValidator(TWILIO_TOKEN)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for i in range(count):
            if not active():
                break
            params = {
                "From": f"+447700900{i:03d}",
                "To": TWILIO_NUMBER,
                "Body": "hello",
                "NumMedia": "0",
                "MessageSid": "SM" + uuid.uuid4().hex,
                "AccountSid": TWILIO_SID,
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(webhook, params)}
            started = time.perf_counter()
            try:
                async with http.post(webhook, data=params, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status = -1
                print(f"  Twilio webhook failed: {type(exc).__name__}", flush=True)
            results.append({"ms": (time.perf_counter() - started) * 1000, "status": status})
            await asyncio.sleep(interval)


# ---------------------------------------------------------------- phases


def _summary(load: Load) -> dict[str, Any]:
    lat = load.latencies_ms
    return {
        "conversations": load.conversations,
        "completed": load.completed,
        "turns": load.turns,
        "seconds": round(load.seconds, 2),
        "p50_ms": _r(percentile(lat, 50)),
        "p95_ms": _r(percentile(lat, 95)),
        "p99_ms": _r(percentile(lat, 99)),
        "turns_per_s": _r(load.turns / load.seconds if load.seconds else None, 2),
        "conversations_per_s": _r(load.completed / load.seconds if load.seconds else None, 3),
        "errors": len(load.errors),
        "error_samples": sorted(set(load.errors))[:5],
    }


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


async def bench_ours(args: argparse.Namespace) -> dict[str, Any]:
    from scripts.fake_twilio import FakeTwilio, run_fake

    fake = FakeTwilio()
    async with run_fake(fake.app()) as fake_url:
        fake.base_url = fake_url
        extra = {
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_SMS_NUMBER": TWILIO_NUMBER,
            "TWILIO_API_BASE_URL": fake_url,
        }
        with tempfile.TemporaryDirectory(prefix="esea-bench-ours-") as tmp:
            print("Starting our stack (Rasa + action server + web service) ...", flush=True)
            running = await asyncio.to_thread(start_ours, Path(tmp), extra)
            try:
                sampler = RssSampler(running.pids)
                sampler.start()
                print(f"  started in {running.startup_s}; warm-up ...", flush=True)
                turns, per_turn, sequential = await warm_up(
                    running.rasa_url, our_conversation, args.warmup
                )
                nlu = await nlu_parse(running.rasa_url, PARSE_TEXTS, running.token)
                interval = args.twilio_interval
                if interval is None:  # spread the webhooks over ~half the expected load
                    expected = args.concurrency * args.reports * turns * per_turn
                    interval = min(2.0, max(0.05, 0.5 * expected / max(1, args.twilio)))
                print(
                    f"  {args.concurrency} concurrent reports ({turns} turns each) "
                    f"+ {args.twilio} Twilio webhooks ...",
                    flush=True,
                )
                acks: list[dict[str, Any]] = []
                loading = True
                twilio = asyncio.create_task(
                    twilio_acks(running.rasa_url, args.twilio, interval, lambda: loading, acks)
                )
                load = await run_load(
                    running.rasa_url,
                    our_conversation,
                    args.concurrency,
                    args.reports,
                    args.deadline,
                )
                loading = False
                await twilio
                await asyncio.sleep(1)  # replies to the last webhooks, then the final RSS sample
                await sampler.stop()
                rss = sampler.result_mb()
                long: dict[str, Any] | None = None
                if args.long:
                    print(f"  {args.long} long report(s), one at a time ...", flush=True)
                    try:
                        long = await bench_long(running.rasa_url, args.long)
                    except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
                        long = {"error": f"{type(exc).__name__}: {exc}"}
            finally:
                await asyncio.to_thread(running.stop)
    ok_acks = [a["ms"] for a in acks if a["status"] == 200]
    return {
        "startup_s": running.startup_s,
        "turns_per_conversation": turns,
        "warmup_s_per_turn": round(per_turn, 4),
        "sequential_s_per_turn": round(sequential, 4),
        "nlu_parse": nlu,
        "load": _summary(load),
        "rss_mb": rss,
        "long": long,
        "twilio": {
            "interval_s": round(interval, 3),
            "sent": len(acks),
            "ok": len(ok_acks),
            "statuses": sorted({str(a["status"]) for a in acks}),
            "p50_ms": _r(percentile(ok_acks, 50)),
            "p99_ms": _r(percentile(ok_acks, 99)),
            "max_ms": _r(max(ok_acks) if ok_acks else None),
            "replies_sent_to_fake_twilio": len(fake.sent),
        },
    }


async def bench_baseline(args: argparse.Namespace, model: Path, turns: int) -> dict[str, Any]:
    conversation = baseline_conversation(turns)
    with tempfile.TemporaryDirectory(prefix="esea-bench-baseline-") as tmp:
        print("Starting the baseline (bare rasa run) ...", flush=True)
        running = await asyncio.to_thread(start_baseline, Path(tmp), model)
        try:
            sampler = RssSampler(running.pids)
            sampler.start()
            print(f"  started in {running.startup_s}; warm-up ...", flush=True)
            _, per_turn, sequential = await warm_up(running.rasa_url, conversation, args.warmup)
            nlu = await nlu_parse(running.rasa_url, PARSE_TEXTS, running.token)
            print(
                f"  {args.concurrency} concurrent conversations ({turns} turns each) ...",
                flush=True,
            )
            load = await run_load(
                running.rasa_url, conversation, args.concurrency, args.reports, args.deadline
            )
            await sampler.stop()
            rss = sampler.result_mb()
        finally:
            await asyncio.to_thread(running.stop)
    return {
        "startup_s": running.startup_s,
        "turns_per_conversation": turns,
        "warmup_s_per_turn": round(per_turn, 4),
        "sequential_s_per_turn": round(sequential, 4),
        "nlu_parse": nlu,
        "load": _summary(load),
        "rss_mb": rss,
    }


# ---------------------------------------------------------------- scale-out (production profile)

PROD_PORTS = {"PostgreSQL": 5432, "Redis": 6379, "RabbitMQ": 5672}


def prod_servers_missing() -> list[str]:
    """The production profile's servers not listening on 127.0.0.1."""
    import socket

    missing = []
    for name, port in PROD_PORTS.items():
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                missing.append(f"{name} (127.0.0.1:{port})")
    return missing


async def bench_scale_out(args: argparse.Namespace) -> dict[str, Any]:
    """The production profile (endpoints.prod.yml: encrypted PostgreSQL tracker store, Redis
    lock store, RabbitMQ event broker; as tests/prod runs it, with a database, lock prefix,
    exchange and queue of its own, removed afterwards): N concurrent reports against one Rasa
    process, then against two (workers alternate between them), in the same run."""
    from scripts.stack import (
        admin_sql,
        cleanup_broker,
        cleanup_redis,
        free_port,
        prod_env,
        rasa_args,
    )

    tag = uuid.uuid4().hex[:10]
    database, prefix, exchange = f"benchscale_{tag}", f"benchscale{tag}", f"benchscale-{tag}"
    env = prod_env(database, prefix, exchange, exchange)
    await asyncio.to_thread(admin_sql, f'CREATE DATABASE "{database}"')
    result: dict[str, Any] = {"concurrency": args.concurrency}
    try:
        with tempfile.TemporaryDirectory(prefix="esea-bench-prod-") as tmp:
            print(
                "Scale-out: production profile (PostgreSQL, Redis, RabbitMQ), two Rasa "
                "processes ...",
                flush=True,
            )
            running = await asyncio.to_thread(start_ours, Path(tmp), env, None, False)
            try:
                stack = running.stack
                port = free_port()
                second = f"http://127.0.0.1:{port}"
                await asyncio.to_thread(
                    stack.start, "rasa2", rasa_args(stack, port), f"{second}/", START_TIMEOUT_S
                )
                urls = [running.rasa_url, second]
                for url in urls:
                    turns, _, _ = await warm_up(url, our_conversation, 1)
                result["turns_per_report"] = turns
                for label, targets in (("one", urls[:1]), ("two", urls)):
                    print(
                        f"  {args.concurrency} concurrent reports on {label} Rasa process(es) ...",
                        flush=True,
                    )
                    load = await run_load(
                        targets, our_conversation, args.concurrency, args.reports, args.deadline
                    )
                    result[label] = _summary(load)
                    # From turns/s (a phase cut short by --deadline still counts its turns).
                    result[label]["reports_per_hour"] = (
                        round(load.turns / load.seconds * 3600 / turns) if load.seconds else None
                    )
            finally:
                await asyncio.to_thread(running.stop)
    finally:
        await asyncio.to_thread(admin_sql, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await asyncio.to_thread(cleanup_redis, prefix)
        await asyncio.to_thread(cleanup_broker, exchange, exchange)
    one, two = result["one"]["turns_per_s"], result["two"]["turns_per_s"]
    result["speed_up"] = round(two / one, 2) if one and two else None
    return result


def scale_out_markdown(scale: dict[str, Any]) -> str:
    """The scale-out phase as a Markdown table."""
    if "skipped" in scale:
        return f"\nScale-out phase skipped: {scale['skipped']}.\n"
    lines = [
        "",
        f"### Scale-out: production profile, {scale['concurrency']} concurrent reports",
        "",
        "| Rasa processes | Turns/s | Reports completed / started | Reports per hour (turns/s ÷ "
        f"{scale.get('turns_per_report', '?')} turns) "
        "| p50 | p95 |",
        "|---|---|---|---|---|---|",
    ]
    for label, count in (("one", 1), ("two", 2)):
        r = scale[label]
        lines.append(
            f"| {count} | {_fmt(r['turns_per_s'])} | {r['completed']}/{r['conversations']} "
            f"| {_fmt(r['reports_per_hour'])} | {_fmt(r['p50_ms'], ' ms')} "
            f"| {_fmt(r['p95_ms'], ' ms')} |"
        )
    lines.append(
        f"\nTwo processes / one: {_fmt(scale['speed_up'], '×')} the turns per second "
        "(one action server and PostgreSQL, Redis and RabbitMQ on the same cores)."
    )
    errors = scale["one"]["error_samples"] + scale["two"]["error_samples"]
    if errors:
        lines.append("Errors, e.g.: " + "; ".join(errors))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- diagnosis (--diagnose)

#: Kinds of turn the breakdown is given for (both bots have each).
TURN_KINDS = ("greeting", "free text", "button or short answer")
_SHORT_ANSWERS = {"yes", "yes please", "no", "done"}


def turn_kind(message: str) -> str:
    """The kind of a benchmark message: a button payload or a one-word answer, the first
    greeting, or free text."""
    text = message.strip().lower()
    if text.startswith("/") or text in _SHORT_ANSWERS:
        return "button or short answer"
    if text in ("hello", "hi there"):
        return "greeting"
    return "free text"


def merge_diagnosis(
    lines: list[dict[str, Any]], trace: list[tuple[str, str, float]]
) -> list[dict[str, Any]]:
    """One record per client turn of `trace`: its kind, number in its conversation, client time,
    and what Rasa (`process: rasa` lines, in order per sender) and the action server (`process:
    actions` lines, matched to Rasa's calls in order per sender) recorded for it."""
    rasa: dict[str, list[dict[str, Any]]] = {}
    served: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        into = rasa if line.get("process") == "rasa" else served
        into.setdefault(str(line.get("sender")), []).append(line)
    numbered: dict[str, int] = {}
    out = []
    for sender, message, client_ms in trace:
        number = numbered[sender] = numbered.get(sender, 0) + 1
        records = rasa.get(sender) or []
        if len(records) < number:
            continue  # Rasa wrote no line for it (should not happen): left out, not guessed
        record = records[number - 1]
        queue = served.get(sender) or []
        for call in record.get("calls", []):
            while queue and queue[0].get("action") != call["action"]:
                queue.pop(0)  # a call Rasa did not see finish (timeout): not this one
            if queue:
                call["server_ms"] = queue.pop(0)["ms"]
        out.append(
            {
                "sender": sender,
                "number": number,
                "kind": turn_kind(message),
                "long_detail": message in LONG_DETAILS,
                "client_ms": client_ms,
                **record,
            }
        )
    return out


#: Rows of the per-turn table: (label, key). Keys starting with "=" are computed below.
DIAGNOSIS_ROWS = [
    ("**Whole turn, client side** (REST request → reply)", "=client"),
    ("Channel, HTTP and admission queue (client time − Rasa's `handle_message`)", "=channel"),
    ("**Rasa `Agent.handle_message`** (the rows below)", "=total"),
    ("· lock store: acquire + release", "lock"),
    ("· tracker store: load (decryption included)", "load"),
    ("· NLU (`parse_message`)", "nlu"),
    (
        "· slot extraction (`action_extract_slots`, its action-server call included)",
        "extract_slots",
    ),
    ("· policies (one run per predicted action)", "policies"),
    ("· actions (`_run_action`, action-server calls included)", "actions"),
    ("· tracker store: save (encryption and event broker included)", "save"),
    ("· rest of `handle_message` (session check, events applied, …)", "=other"),
    ("Inside the above: tracker copies (Rasa replays every event before each action)", "copy"),
    (
        "Inside the above: action-server calls, Rasa side (tracker → JSON, reply checked, events)",
        "=call_rasa",
    ),
    ("  of which serialising the tracker for the action server", "=call_serialise"),
    ("Inside the above: action-server calls, HTTP and rasa_sdk outside the action", "=call_http"),
    ("Inside the above: action-server calls, the action server's handler", "=call_server"),
    ("Inside the above: Python's garbage collector, full passes (generation 2)", "gc2"),
    ("Inside the above: Python's garbage collector, young passes (generations 0–1)", "=gc01"),
    ("Events in the tracker when saved", "=events"),
]


def _turn_value(turn: dict[str, Any], key: str) -> tuple[float, int]:
    """(ms, count) of one row for one turn."""
    steps, calls = turn.get("steps", {}), turn.get("calls", [])
    if not key.startswith("="):
        ms, count = steps.get(key, [0.0, 0])
        return float(ms), int(count)
    key = key[1:]
    if key == "client":
        return turn["client_ms"], 1
    if key == "total":
        return turn["total_ms"], 1
    if key == "channel":
        return turn["client_ms"] - turn["total_ms"], 1
    if key == "other":
        listed = sum(steps.get(k, [0.0, 0])[0] for k in TOP_LEVEL_STEPS)
        return turn["total_ms"] - listed, 1
    if key == "events":
        return float(turn.get("events", 0)), 1
    if key == "gc01":
        young = [steps.get(k, [0.0, 0]) for k in ("gc0", "gc1")]
        return float(sum(ms for ms, _ in young)), int(sum(n for _, n in young))
    values = {
        "call_rasa": [c.get("rasa_ms", 0) - c.get("http_ms", 0) for c in calls],
        "call_serialise": [c.get("serialise_ms", 0) for c in calls],
        "call_http": [c.get("http_ms", 0) - c["server_ms"] for c in calls if "server_ms" in c],
        "call_server": [c["server_ms"] for c in calls if "server_ms" in c],
    }[key]
    return float(sum(values)), len(values)


def summarise_turns(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """Per row: mean ms per turn and mean count per turn over `turns`; and per action-server
    action: calls per turn and mean ms of each side."""
    n = len(turns)
    rows: dict[str, Any] = {}
    for _, key in DIAGNOSIS_ROWS:
        ms = count = 0.0
        for turn in turns:
            value, times = _turn_value(turn, key)
            ms, count = ms + value, count + times
        rows[key] = {
            "ms": round(ms / n, 2) if n else None,
            "count": round(count / n, 2) if n else None,
        }
    actions: dict[str, dict[str, float]] = {}
    for turn in turns:
        for call in turn.get("calls", []):
            a = actions.setdefault(
                call["action"],
                {"calls": 0, "rasa_ms": 0.0, "http_ms": 0.0, "server_ms": 0.0, "kb": 0.0},
            )
            a["calls"] += 1
            a["rasa_ms"] += call.get("rasa_ms", 0) - call.get("http_ms", 0)
            a["http_ms"] += call.get("http_ms", 0) - call.get("server_ms", 0)
            a["server_ms"] += call.get("server_ms", 0)
            a["kb"] += call.get("request_bytes", 0) / 1024
    per_action = {
        name: {
            "calls_per_turn": round(a["calls"] / n, 2),
            **{k: round(a[k] / a["calls"], 2) for k in ("rasa_ms", "http_ms", "server_ms", "kb")},
        }
        for name, a in sorted(actions.items(), key=lambda item: -item[1]["calls"])
    }
    return {"turns": n, "rows": rows, "actions": per_action}


async def diagnose_bot(
    name: str,
    start: Callable[[Path, Path], Running],
    conversation: Conversation,
    count: int,
    long: bool,
) -> dict[str, Any]:
    """One bot started through scripts/bench_diagnose.py: `count` conversations one at a time
    (after one not measured), and with `long` one long conversation; returns the summaries."""
    with tempfile.TemporaryDirectory(prefix=f"esea-bench-diag-{name}-") as tmp:
        diag_file = Path(tmp) / "diagnose.jsonl"
        print(f"Diagnosis: {name}, timed inside Rasa and the action server ...", flush=True)
        running = await asyncio.to_thread(start, Path(tmp), diag_file)
        load, long_load = Load(trace=[]), Load(trace=[])
        try:
            await warm_up(running.rasa_url, conversation, 1)
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
                for _ in range(count):
                    await conversation(http, running.rasa_url, load)
                if long:
                    await long_conversation(http, running.rasa_url, long_load)
        finally:
            await asyncio.to_thread(running.stop)
        lines = [json.loads(line) for line in diag_file.read_text().splitlines() if line.strip()]
    turns = merge_diagnosis(lines, load.trace or [])
    result: dict[str, Any] = {
        "turns_per_conversation": round(len(load.trace or []) / max(count, 1)),
        "all": summarise_turns(turns),
        "kinds": {
            kind: summarise_turns([t for t in turns if t["kind"] == kind]) for kind in TURN_KINDS
        },
    }
    if long:
        long_turns = merge_diagnosis(lines, long_load.trace or [])
        details = [t for t in long_turns if t["long_detail"]]
        result["long"] = {
            str(target): summarise_turns(
                [t for t in details if abs(t["number"] - target) <= LONG_WINDOW]
            )
            for target in LONG_TURNS
        }
    return result


async def diagnose(
    args: argparse.Namespace, baseline_model: Path, turns: int | None = None
) -> dict[str, Any]:
    """The per-turn breakdown of both bots (see scripts/bench_diagnose.py). The baseline does
    `turns` turns per conversation, by default as many as one of ours took."""
    count = args.diagnose_conversations

    def ours(tmp: Path, diag_file: Path) -> Running:
        return start_ours(tmp, {}, diagnose_file=diag_file)

    def baseline(tmp: Path, diag_file: Path) -> Running:
        return start_baseline(tmp, baseline_model, diagnose_file=diag_file)

    ours_diag = await diagnose_bot("ours", ours, our_conversation, count, long=args.long > 0)
    turns = turns or ours_diag["turns_per_conversation"]
    return {
        "conversations": count,
        "ours": ours_diag,
        "baseline": await diagnose_bot(
            "baseline", baseline, baseline_conversation(turns), count, long=False
        ),
    }


async def diagnose_only(args: argparse.Namespace) -> int:
    """`--diagnose-only`: the `--diagnose` phase alone (no load, Twilio or scale-out phase), a
    few minutes: what each turn costs and which action-server calls it makes, against the
    baseline in the same run. Writes artifacts/bench-diagnose.md and .json."""
    started = time.monotonic()
    result: dict[str, Any] = {"measured_at": _now(), "loadavg": {"start": _loadavg()}}
    baseline_model, _training = await asyncio.to_thread(train_baseline)
    result["diagnosis"] = await diagnose(args, baseline_model)
    result["loadavg"]["end"] = _loadavg()
    result["seconds"] = round(time.monotonic() - started, 1)
    markdown = diagnosis_markdown(result["diagnosis"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench-diagnose.md").write_text(markdown)
    (ARTIFACTS / "bench-diagnose.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    print(markdown)
    print(f"Written: artifacts/bench-diagnose.md, artifacts/bench-diagnose.json "
          f"({result['seconds']} s in all; load average {result['loadavg']})")
    return 0


def _cell(row: dict[str, Any] | None, with_count: bool) -> str:
    if not row or row["ms"] is None:
        return "—"
    text = f"{row['ms']:.1f} ms"
    return f"{text} ({row['count']:g}×)" if with_count else text


def diagnosis_markdown(diag: dict[str, Any]) -> str:
    """Markdown: one table per turn kind (ours vs baseline), ours' action-server calls, and our
    long conversation's steps at turns 5/25/60."""
    counted = {
        "lock",
        "load",
        "nlu",
        "extract_slots",
        "policies",
        "actions",
        "save",
        "copy",
        "=call_rasa",
        "=call_serialise",
        "=call_http",
        "=call_server",
        "gc2",
        "=gc01",
    }
    lines = [
        "",
        f"### Where a turn goes (`--diagnose`: {diag['conversations']} conversation(s) "
        "of each bot, one at a time, timed inside Rasa and the action server)",
    ]
    for kind in TURN_KINDS:
        ours, base = diag["ours"]["kinds"][kind], diag["baseline"]["kinds"][kind]
        lines += [
            "",
            f"#### {kind[0].upper() + kind[1:]} turns (ours: {ours['turns']}, "
            f"baseline: {base['turns']}; mean per turn, (×) = times per turn)",
            "",
            "| Step | Ours | Baseline | Ours − baseline |",
            "|---|---|---|---|",
        ]
        for label, key in DIAGNOSIS_ROWS:
            o, b = ours["rows"].get(key), base["rows"].get(key)
            with_count = key in counted
            if key == "=events":
                cells = [
                    f"{o['ms']:.0f}" if o["ms"] is not None else "—",
                    f"{b['ms']:.0f}" if b["ms"] is not None else "—",
                    "",
                ]
            else:
                diff = (
                    f"{o['ms'] - b['ms']:+.1f} ms"
                    if o["ms"] is not None and b["ms"] is not None
                    else ""
                )
                cells = [_cell(o, with_count), _cell(b, with_count), diff]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    actions = diag["ours"]["all"]["actions"]
    if actions:
        lines += [
            "",
            "#### Our action-server calls (all turns; the baseline makes none)",
            "",
            "| Action | Calls per turn | Rasa side | HTTP + rasa_sdk | Action server | "
            "Request size |",
            "|---|---|---|---|---|---|",
        ]
        for name, a in actions.items():
            lines.append(
                f"| `{name}` | {a['calls_per_turn']:g} | {a['rasa_ms']:.1f} ms | "
                f"{a['http_ms']:.1f} ms | {a['server_ms']:.1f} ms | {a['kb']:.1f} KB |"
            )
    long = diag["ours"].get("long")
    if long:
        keys = [str(t) for t in LONG_TURNS]
        lines += [
            "",
            "#### What grows with the conversation (ours, one long report: description "
            f"turns around turn {', '.join(keys)})",
            "",
            "| Step | "
            + " | ".join(f"Turn {k}" for k in keys)
            + f" | Turn {keys[-1]} / turn {keys[0]} |",
            "|---" * (len(keys) + 2) + "|",
        ]
        for label, key in DIAGNOSIS_ROWS:
            values = [long[k]["rows"][key]["ms"] for k in keys]
            fmt = "{:.0f}" if key == "=events" else "{:.1f} ms"
            cells = [fmt.format(v) if v is not None else "—" for v in values]
            growth = (
                f"{values[-1] / values[0]:.2f}×"
                if values[0] and values[-1] is not None and abs(values[0]) >= 0.05
                else ""
            )
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {growth} |")
        sizes = []
        for k in keys:
            acts = long[k]["actions"]
            calls = sum(a["calls_per_turn"] for a in acts.values())
            kb = sum(a["kb"] * a["calls_per_turn"] for a in acts.values())
            sizes.append(f"{kb / calls:.1f} KB" if calls else "—")
        lines.append(
            "| Tracker sent to the action server, per call | " + " | ".join(sizes) + " | |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- report


def _ratio(ours: float | None, base: float | None) -> float | None:
    return round(ours / base, 2) if ours is not None and base else None


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = (
            f"{value:,.3f}"
            if abs(value) < 1
            else f"{value:,.1f}"
            if abs(value) < 100
            else f"{value:,.0f}"
        )
    return f"{value}{unit}"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else "PASS" if ok else "MISS"


def build_report(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ours, base = result["ours"], result["baseline"]
    ol, bl = ours["load"], base["load"]
    n = result["settings"]["concurrency"]
    rows: list[tuple[str, str, str, str, str, str]] = []
    targets: dict[str, Any] = {}

    for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        ratio = _ratio(ol[key], bl[key])
        target, verdict = "", ""
        if key == "p50_ms":
            ok = None if ratio is None else ratio <= TARGET_P50_RATIO
            targets["p50_ratio"] = {"value": ratio, "target": f"<= {TARGET_P50_RATIO}", "pass": ok}
            target, verdict = f"≤ {TARGET_P50_RATIO}×", _verdict(ok)
        rows.append(
            (
                f"Per-turn latency {label} (REST, {n} concurrent)",
                _fmt(ol[key], " ms"),
                _fmt(bl[key], " ms"),
                _fmt(ratio, "×"),
                target,
                verdict,
            )
        )
    ratio = _ratio(ol["turns_per_s"], bl["turns_per_s"])
    ok = None if ratio is None else ratio >= TARGET_THROUGHPUT_RATIO
    targets["throughput_ratio"] = {
        "value": ratio,
        "target": f">= {TARGET_THROUGHPUT_RATIO}",
        "pass": ok,
    }
    seq_o = ours.get("sequential_s_per_turn", ours["warmup_s_per_turn"]) * 1000
    seq_b = base.get("sequential_s_per_turn", base["warmup_s_per_turn"]) * 1000
    seq_ratio = _ratio(seq_o, seq_b)
    seq_ok = None if seq_ratio is None else seq_ratio <= TARGET_SEQUENTIAL_RATIO
    targets["sequential_ratio"] = {
        "value": seq_ratio,
        "target": f"<= {TARGET_SEQUENTIAL_RATIO}",
        "pass": seq_ok,
    }
    rows.append(
        (
            "Mean turn, one conversation at a time (the warm-up conversations after the first)",
            _fmt(seq_o, " ms"),
            _fmt(seq_b, " ms"),
            _fmt(seq_ratio, "×"),
            f"≤ {TARGET_SEQUENTIAL_RATIO}×",
            _verdict(seq_ok),
        )
    )
    first_o, first_b = ours["warmup_s_per_turn"] * 1000, base["warmup_s_per_turn"] * 1000
    rows.append(
        (
            "Mean turn, every warm-up conversation (the first, with a fresh process's one-time "
            "costs, included)",
            _fmt(first_o, " ms"),
            _fmt(first_b, " ms"),
            _fmt(_ratio(first_o, first_b), "×"),
            "",
            "",
        )
    )
    long = ours.get("long")
    if long and "error" in long:
        rows.append(
            (
                "One long report: per-turn cost at turn 5 / 25 / 60",
                long["error"],
                "",
                "",
                f"≤ {TARGET_LONG_RATIO}×",
                "—",
            )
        )
    elif long:
        t = long["turn_ms"]
        first, last = str(LONG_TURNS[0]), str(LONG_TURNS[-1])
        targets["long_ratio"] = {
            "value": long["ratio"],
            "target": f"<= {TARGET_LONG_RATIO}",
            "pass": long["pass"],
        }
        rows.append(
            (
                f"One long report ({long['turns_each']} turns, one at a time): turn "
                + " / ".join(str(x) for x in LONG_TURNS)
                + " (median of the description "
                f"turns ±{LONG_WINDOW}, {long['conversations']} reports)",
                " / ".join(_fmt(t[str(x)], " ms") for x in LONG_TURNS),
                "",
                f"{_fmt(long['ratio'], '×')} (turn {last} / turn {first})",
                f"≤ {TARGET_LONG_RATIO}×",
                _verdict(long["pass"]),
            )
        )
    po, pb = ours["nlu_parse"]["p50_ms"], base["nlu_parse"]["p50_ms"]
    rows.append(
        (
            "NLU only: `/model/parse` p50, same texts, one at a time",
            _fmt(po, " ms"),
            _fmt(pb, " ms"),
            _fmt(_ratio(po, pb), "×"),
            "",
            "",
        )
    )
    rows.append(
        (
            f"Throughput at {n} concurrent (turns/s)",
            _fmt(ol["turns_per_s"]),
            _fmt(bl["turns_per_s"]),
            _fmt(ratio, "×"),
            f"≥ {TARGET_THROUGHPUT_RATIO}×",
            _verdict(ok),
        )
    )
    rows.append(
        (
            f"Throughput at {n} concurrent (completed conversations/s)",
            _fmt(ol["conversations_per_s"]),
            _fmt(bl["conversations_per_s"]),
            _fmt(_ratio(ol["conversations_per_s"], bl["conversations_per_s"]), "×"),
            "",
            "",
        )
    )
    rows.append(
        (
            "Conversations completed / started (turns each)",
            f"{ol['completed']}/{ol['conversations']} ({ours['turns_per_conversation']})",
            f"{bl['completed']}/{bl['conversations']} ({base['turns_per_conversation']})",
            "",
            "",
            "",
        )
    )

    base_total = sum(v["mb"] for v in base["rss_mb"].values())
    for name, value in ours["rss_mb"].items():
        rows.append(
            (
                f"Peak RSS: {name} (+{value['processes'] - 1} children)",
                _fmt(value["mb"], " MB"),
                "",
                "",
                "",
                "",
            )
        )
    total = round(sum(v["mb"] for v in ours["rss_mb"].values()), 1)
    ok = total <= TARGET_STACK_RSS_MB
    targets["stack_rss_mb"] = {"value": total, "target": f"<= {TARGET_STACK_RSS_MB}", "pass": ok}
    rows.append(
        (
            "Peak RSS: whole embedded stack (sum)",
            _fmt(total, " MB"),
            _fmt(round(base_total, 1), " MB"),
            _fmt(_ratio(total, base_total), "×"),
            f"≤ {TARGET_STACK_RSS_MB / 1000:.1f} GB",
            _verdict(ok),
        )
    )

    ot, bt = result["training"]["ours"], result["training"]["baseline"]
    ours_train = (
        _fmt(ot["seconds"], " s") + (" (earlier --train-ours run)" if ot.get("cached") else "")
        if ot.get("seconds") is not None
        else "not measured"
    )
    base_train = _fmt(bt["seconds"], " s") + (" (cached model)" if bt.get("cached") else "")
    rows.append(
        (
            "Training time",
            ours_train,
            base_train,
            _fmt(_ratio(ot.get("seconds"), bt["seconds"]), "×"),
            "",
            "",
        )
    )
    o_rasa, b_rasa = ours["startup_s"].get("rasa"), base["startup_s"]["rasa"]
    rows.append(
        (
            "Start-up: Rasa (process start → `/` answers)",
            _fmt(o_rasa, " s"),
            _fmt(b_rasa, " s"),
            _fmt(_ratio(o_rasa, b_rasa), "×"),
            "",
            "",
        )
    )
    o_total = ours["startup_s"].get("total (incl. db upgrade)")
    rows.append(
        (
            "Start-up: whole stack (db upgrade + actions + Rasa + service, in sequence)",
            _fmt(o_total, " s"),
            _fmt(b_rasa, " s"),
            _fmt(_ratio(o_total, b_rasa), "×"),
            "",
            "",
        )
    )
    tw = ours["twilio"]
    ok = (
        None
        if tw["p99_ms"] is None
        else tw["p99_ms"] <= TARGET_TWILIO_P99_MS and tw["ok"] == tw["sent"]
    )
    targets["twilio_ack_p99_ms"] = {
        "value": tw["p99_ms"],
        "target": f"<= {TARGET_TWILIO_P99_MS}",
        "pass": ok,
    }
    rows.append(
        (
            f"Twilio webhook ack p99 under load ({tw['ok']}/{tw['sent']} answered 200)",
            _fmt(tw["p99_ms"], " ms"),
            "",
            "",
            f"≤ {TARGET_TWILIO_P99_MS / 1000:.0f} s",
            _verdict(ok),
        )
    )

    s = result["settings"]
    lines = [
        f"### Benchmark: ours vs bare Rasa baseline ({result['measured_at']})",
        "",
        "| Measure | Ours | Baseline | Ratio | Target | Result |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Command: `{s['command']}` — N={n} concurrent conversations × {s['reports']} each "
        f"after {s['warmup']} warm-up conversation(s); {tw['sent']} signed Twilio SMS webhooks "
        f"sent during our REST load. Machine: {result['machine']['cpus']} CPUs, "
        f"{result['machine']['python']}, Rasa {result['machine']['rasa']}. Load average "
        f"(1/5/15 min) at start {result['loadavg']['start']}, before the baseline "
        f"{result['loadavg']['before_baseline']}, at the end {result['loadavg']['end']}.",
    ]
    errors = ol["error_samples"] + bl["error_samples"]
    if errors:
        lines.append(
            f"Errors ({ol['errors']} ours, {bl['errors']} baseline), e.g.: " + "; ".join(errors)
        )
    return "\n".join(lines) + "\n", targets


# ---------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> int:
    from scripts.stack import MODEL

    if not MODEL.exists():
        print(
            "error: no models/current.tar.gz; run `make train` (make bench does it)",
            file=sys.stderr,
        )
        return 1
    if args.diagnose_only:
        return await diagnose_only(args)
    started = time.monotonic()
    result: dict[str, Any] = {
        "measured_at": _now(),
        "loadavg": {"start": _loadavg()},
        "settings": {
            "concurrency": args.concurrency,
            "reports": args.reports,
            "warmup": args.warmup,
            "twilio": args.twilio,
            "twilio_interval_s": args.twilio_interval,
            "command": " ".join(["python -m scripts.bench", *sys.argv[1:]]).strip(),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "rasa": _rasa_version(),
            "kernel": platform.release(),
        },
    }
    baseline_model, baseline_training = await asyncio.to_thread(train_baseline)
    ours_training = await asyncio.to_thread(our_training, args.train_ours)
    result["training"] = {"baseline": baseline_training, "ours": ours_training}
    result["ours"] = await bench_ours(args)
    turns = result["ours"]["turns_per_conversation"]
    result["loadavg"]["before_baseline"] = _loadavg()
    result["baseline"] = await bench_baseline(args, baseline_model, turns)
    result["loadavg"]["end"] = _loadavg()
    result["seconds"] = round(time.monotonic() - started, 1)
    markdown, targets = build_report(result)
    result["targets"] = targets
    # The optional phases: one that fails is reported, the figures above are still written.
    if args.scale_out:
        missing = prod_servers_missing()
        try:
            if missing:
                result["scale_out"] = {"skipped": "not listening: " + ", ".join(missing)}
            else:
                result["scale_out"] = await bench_scale_out(args)
        except Exception as exc:  # noqa: BLE001 - reported in the output
            result["scale_out"] = {"skipped": f"failed: {type(exc).__name__}: {exc}"}
        markdown += scale_out_markdown(result["scale_out"])
    if args.diagnose:
        try:
            result["diagnosis"] = await diagnose(args, baseline_model, turns)
            markdown += diagnosis_markdown(result["diagnosis"])
        except Exception as exc:  # noqa: BLE001 - reported in the output
            result["diagnosis"] = {"failed": f"{type(exc).__name__}: {exc}"}
            markdown += f"\nDiagnosis failed: {type(exc).__name__}: {exc}\n"
    result["seconds"] = round(time.monotonic() - started, 1)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench.md").write_text(markdown)
    (ARTIFACTS / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print()
    print(markdown)
    print(f"Written: artifacts/bench.md, artifacts/bench.json ({result['seconds']} s in all)")
    if not result["ours"]["load"]["completed"] or not result["baseline"]["load"]["completed"]:
        print(
            "error: no conversation completed on one of the bots; see the errors above",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--concurrency", "-n", type=int, default=50, help="simultaneous conversations (default 50)"
    )
    parser.add_argument(
        "--reports",
        type=int,
        default=1,
        help="complete conversations per concurrent worker (default 1)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="conversations one at a time before the load; all but the first give the "
        "one-at-a-time figure (default 3)",
    )
    parser.add_argument(
        "--twilio",
        type=int,
        default=100,
        help="signed Twilio SMS webhooks sent during our REST load (default 100)",
    )
    parser.add_argument(
        "--twilio-interval",
        type=float,
        default=None,
        help="seconds between Twilio webhooks (default: spread over the load)",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=240,
        help="seconds a load phase may run before it is cut short (default 240)",
    )
    parser.add_argument(
        "--train-ours",
        action="store_true",
        help="also time a fresh training of our model (into a temporary folder)",
    )
    parser.add_argument(
        "--long",
        type=int,
        default=2,
        help="long reports (over 90 turns) one at a time after our load, for the "
        "cost at turn 5/25/60 (default 2; 0: none)",
    )
    parser.add_argument(
        "--scale-out",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the production-profile phase: one, then two Rasa processes "
        "(default on; skipped when PostgreSQL/Redis/RabbitMQ are not on "
        "127.0.0.1)",
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="also break turns down step by step, ours and the baseline "
        "(scripts/bench_diagnose.py)",
    )
    parser.add_argument(
        "--diagnose-only",
        action="store_true",
        help="only the --diagnose phase (no load phases): a few minutes",
    )
    parser.add_argument(
        "--diagnose-conversations",
        type=int,
        default=2,
        help="conversations of each bot timed by --diagnose (default 2)",
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except Exception as exc:  # a benchmark that could not run is an error, not a result
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
