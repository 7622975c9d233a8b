"""`make bench`: our stack's speed and memory as ratios against a bare Rasa baseline.

Both bots run on this machine, on 127.0.0.1 only, one after the other:

* **ours**: the real stack (`tests.e2e.conftest.start_stack`: Rasa with models/current.tar.gz,
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
latency. Prints a Markdown table with ratios and PASS/MISS against the targets and writes
artifacts/bench.md and artifacts/bench.json. A missed target is a result (exit 0); exit 1 only
when the benchmark itself fails (a bot that does not start, no conversation completed...).

    PYTHONPATH=. .venv/bin/python -m scripts.bench [--concurrency 50] [--train-ours]
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

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "bench" / "baseline"
VENV_BIN = Path(sys.executable).parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "esea-report" / "bench"
ARTIFACTS = ROOT / "artifacts"
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")

# Targets (docs/benchmark.md).
TARGET_P50_RATIO = 1.5  # ours / baseline, per-turn p50
TARGET_THROUGHPUT_RATIO = 0.8  # ours / baseline, turns/s at N concurrent
TARGET_STACK_RSS_MB = 1600  # Rasa + action server + web service, peak RSS sum
TARGET_TWILIO_P99_MS = 1000  # Twilio webhook → HTTP 200, under the REST load

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
    for path in sorted(p for base in paths for p in ([base] if base.is_file() else base.rglob("*"))
                       if p.is_file() and p.suffix in (".yml", ".yaml")):
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
            [str(VENV_BIN / "rasa"), "train", "--quiet", "--domain", str(domain), "--data", str(data),
             "--config", str(config), "--out", str(out), "--fixed-model-name", name],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False,
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
        seconds = _train(BASELINE / "domain.yml", BASELINE / "data", BASELINE / "config.yml",
                         Path(tmp), "baseline", CACHE / "baseline-train.log")
        shutil.copy(Path(tmp) / "baseline.tar.gz", f"{model}.tmp")
        os.replace(f"{model}.tmp", model)
    info = {"seconds": round(seconds, 1), "measured_at": _now(), "loadavg": _loadavg()}
    record.write_text(json.dumps(info))
    return model, {**info, "cached": False}


def _our_data_hash() -> str:
    """The hash scripts/train-if-changed.sh trains by (data/, domain/, config.yml, bot/nlu)."""
    return subprocess.run(["bash", "scripts/train-if-changed.sh", "--hash"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()


def our_training(fresh: bool) -> dict[str, Any]:
    """Our training time: a fresh timed `rasa train` with --train-ours (into a temporary folder,
    models/ untouched), else one measured before for the same data hash, else not measured."""
    CACHE.mkdir(parents=True, exist_ok=True)
    data_hash = _our_data_hash()
    record = CACHE / f"{_rasa_version()}-ours-train-{data_hash}.json"
    if fresh:
        print("Training our model (timed, into a temporary folder) ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="esea-bench-train-") as tmp:
            seconds = _train(ROOT / "domain", ROOT / "data", ROOT / "config.yml", Path(tmp),
                             "ours", CACHE / "ours-train.log")
        info = {"seconds": round(seconds, 1), "measured_at": _now(), "loadavg": _loadavg(),
                "data_hash": data_hash}
        record.write_text(json.dumps(info))
        return {**info, "cached": False}
    if record.exists():
        return {**json.loads(record.read_text()), "cached": True}
    return {"seconds": None, "data_hash": data_hash,
            "note": "not measured (run with --train-ours to time a fresh training)"}


# ---------------------------------------------------------------- stacks


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


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


def start_ours(tmp: Path, extra_env: dict[str, str]) -> Running:
    """Our stack through tests/e2e's start_stack, timing each process's start."""
    from tests.e2e import conftest

    timings: dict[str, float] = {}
    original = conftest.Stack.start

    def timed(self: Any, name: str, args: list[str], health: str, timeout: float = 180) -> None:
        started = time.monotonic()
        original(self, name, args, health, timeout)
        timings[name] = round(time.monotonic() - started, 2)

    conftest.Stack.start = timed  # type: ignore[method-assign]
    started = time.monotonic()
    try:
        stack = conftest.start_stack(tmp, extra_env, service=True)
    finally:
        conftest.Stack.start = original  # type: ignore[method-assign]
    timings["total (incl. db upgrade)"] = round(time.monotonic() - started, 2)

    def stop() -> None:
        for name in ("service", "rasa", "actions"):
            stack.stop(name)

    return Running(stack.rasa_url, {n: p.pid for n, p in stack.procs.items()}, timings, stop,
                   f"{stack.action_url}/webhook", stack.rasa_token, stack.action_secret)


def start_baseline(tmp: Path, model: Path) -> Running:
    """A bare `rasa run` of the baseline model (in-memory tracker store, REST only)."""
    from tests.e2e.conftest import free_port, wait_http

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_urlsafe(32)  # its API is on for /model/parse: never without a token
    log = open(tmp / "baseline-rasa.log", "wb")  # noqa: SIM115 - closed in stop()
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "--model", str(model), "--credentials",
         str(BASELINE / "credentials.yml"), "--port", str(port), "--interface", "127.0.0.1",
         "--enable-api", f"--auth-token={token}"],
        cwd=tmp, env=_env(), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"{url}/", 180, [proc])
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


async def _say(http: aiohttp.ClientSession, url: str, sender: str, message: str,
               load: Load | None) -> list[dict[str, Any]]:
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


Conversation = Callable[[aiohttp.ClientSession, str, "Load | None"], Any]


async def run_load(url: str, conversation: Conversation, concurrency: int, reports: int,
                   deadline_s: float) -> Load:
    """`concurrency` simultaneous conversations, each doing `reports` complete conversations."""
    load = Load()
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency + 10)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        async def worker() -> None:
            for _ in range(reports):
                load.conversations += 1
                try:
                    await conversation(http, url, load)
                    load.completed += 1
                except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as exc:
                    load.errors.append(f"{type(exc).__name__}: {exc}")

        started = time.monotonic()
        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        done, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for task in pending:
            task.cancel()
        if pending:
            load.errors.append(f"deadline: {len(pending)} workers still running after {deadline_s}s")
            await asyncio.gather(*pending, return_exceptions=True)
        load.seconds = time.monotonic() - started
    return load


async def warm_up(url: str, conversation: Conversation, count: int) -> tuple[int, float]:
    """`count` conversations one after another (not measured); returns the turns of one
    conversation and the mean seconds per turn (one at a time)."""
    turns, total, started = 0, 0, time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for _ in range(max(1, count)):
            turns = await conversation(http, url, None)
            total += turns
    return turns, (time.monotonic() - started) / max(1, total)


async def nlu_parse(url: str, texts: list[str], token: str, rounds: int = 3) -> dict[str, Any]:
    """NLU alone: `/model/parse` of `texts`, one at a time (no dialogue, actions or stores)."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        for _ in range(rounds):
            for text in texts:
                started = time.perf_counter()
                async with http.post(f"{url}/model/parse", json={"text": text},
                                     params={"token": token}) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"/model/parse answered {response.status}")
                latencies.append((time.perf_counter() - started) * 1000)
    return {"calls": len(latencies), "p50_ms": _r(percentile(latencies, 50)),
            "p95_ms": _r(percentile(latencies, 95))}


#: The free-text messages of our report: parsed by both bots for the NLU-only comparison.
PARSE_TEXTS = ["hello", *(s for s in OUR_REPORT if not s.startswith("="))]


async def twilio_acks(url: str, count: int, interval: float, active: Callable[[], bool],
                      results: list[dict[str, Any]]) -> None:
    """Signed SMS webhooks from distinct invented senders; records the time to the HTTP 200."""
    from twilio.request_validator import RequestValidator

    webhook = f"{url}/webhooks/twilio/webhook"
    validator = RequestValidator(TWILIO_TOKEN)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for i in range(count):
            if not active():
                break
            params = {
                "From": f"+447700900{i:03d}", "To": TWILIO_NUMBER, "Body": "hello",
                "NumMedia": "0", "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": TWILIO_SID,
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
    from tests.channels.conftest import FakeTwilio, run_fake

    fake = FakeTwilio()
    async with run_fake(fake.app()) as fake_url:
        fake.base_url = fake_url
        extra = {"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                 "TWILIO_SMS_NUMBER": TWILIO_NUMBER, "TWILIO_API_BASE_URL": fake_url}
        with tempfile.TemporaryDirectory(prefix="esea-bench-ours-") as tmp:
            print("Starting our stack (Rasa + action server + web service) ...", flush=True)
            running = await asyncio.to_thread(start_ours, Path(tmp), extra)
            try:
                sampler = RssSampler(running.pids)
                sampler.start()
                print(f"  started in {running.startup_s}; warm-up ...", flush=True)
                turns, per_turn = await warm_up(running.rasa_url, our_conversation, args.warmup)
                nlu = await nlu_parse(running.rasa_url, PARSE_TEXTS, running.token)
                interval = args.twilio_interval
                if interval is None:  # spread the webhooks over ~half the expected load
                    expected = args.concurrency * args.reports * turns * per_turn
                    interval = min(2.0, max(0.05, 0.5 * expected / max(1, args.twilio)))
                print(f"  {args.concurrency} concurrent reports ({turns} turns each) "
                      f"+ {args.twilio} Twilio webhooks ...", flush=True)
                acks: list[dict[str, Any]] = []
                loading = True
                twilio = asyncio.create_task(twilio_acks(
                    running.rasa_url, args.twilio, interval, lambda: loading, acks))
                load = await run_load(running.rasa_url, our_conversation, args.concurrency,
                                      args.reports, args.deadline)
                loading = False
                await twilio
                await asyncio.sleep(1)  # replies to the last webhooks, then the final RSS sample
                await sampler.stop()
                rss = sampler.result_mb()
            finally:
                await asyncio.to_thread(running.stop)
    ok_acks = [a["ms"] for a in acks if a["status"] == 200]
    return {
        "startup_s": running.startup_s,
        "turns_per_conversation": turns,
        "warmup_s_per_turn": round(per_turn, 4),
        "nlu_parse": nlu,
        "load": _summary(load),
        "rss_mb": rss,
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
            _, per_turn = await warm_up(running.rasa_url, conversation, args.warmup)
            nlu = await nlu_parse(running.rasa_url, PARSE_TEXTS, running.token)
            print(f"  {args.concurrency} concurrent conversations ({turns} turns each) ...",
                  flush=True)
            load = await run_load(running.rasa_url, conversation, args.concurrency, args.reports,
                                  args.deadline)
            await sampler.stop()
            rss = sampler.result_mb()
        finally:
            await asyncio.to_thread(running.stop)
    return {"startup_s": running.startup_s, "turns_per_conversation": turns,
            "warmup_s_per_turn": round(per_turn, 4), "nlu_parse": nlu,
            "load": _summary(load), "rss_mb": rss}


# ---------------------------------------------------------------- diagnosis (--diagnose)


@dataclass
class ActionProxy:
    """Forwards Rasa's action-server calls to the real action server and times each one."""

    target: str = ""
    calls: list[tuple[str, float]] = field(default_factory=list)

    def app(self) -> Any:
        from aiohttp import web

        async def forward(request: web.Request) -> web.Response:
            body = await request.read()
            name = str(json.loads(body).get("next_action"))
            started = time.perf_counter()
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
                # Rasa's shared secret for the action server, passed on unchanged.
                headers = {"Content-Type": "application/json",
                           "X-Action-Secret": request.headers.get("X-Action-Secret", "")}
                async with http.post(self.target, data=body, headers=headers) as response:
                    data, status = await response.read(), response.status
            self.calls.append((name, (time.perf_counter() - started) * 1000))
            return web.Response(body=data, status=status, content_type="application/json")

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/webhook", forward)
        return app


async def diagnose(conversations: int = 2) -> list[dict[str, Any]]:
    """Where a turn's time goes, one conversation at a time: our stack with the action-server
    calls timed through a proxy, with our encrypted SQLite tracker store and with Rasa's
    in-memory one."""
    from tests.channels.conftest import run_fake

    variants = [("encrypted SQLite tracker store (as shipped)", None),
                ("in-memory tracker store", str(ROOT / "bench" / "diagnose" / "endpoints-memory.yml"))]
    out = []
    for label, endpoints in variants:
        proxy = ActionProxy()
        async with run_fake(proxy.app()) as proxy_url:
            extra = {"ACTION_ENDPOINT_URL": f"{proxy_url}/webhook"}
            if endpoints:
                extra["RASA_ENDPOINTS"] = endpoints
            with tempfile.TemporaryDirectory(prefix="esea-bench-diag-") as tmp:
                print(f"Diagnosis: our stack with the {label} ...", flush=True)
                running = await asyncio.to_thread(start_ours, Path(tmp), extra)
                try:
                    proxy.target = running.action_webhook
                    await warm_up(running.rasa_url, our_conversation, 1)
                    proxy.calls.clear()
                    turns, per_turn = await warm_up(running.rasa_url, our_conversation, conversations)
                finally:
                    await asyncio.to_thread(running.stop)
        total_turns = turns * max(1, conversations)
        action_ms = sum(ms for _, ms in proxy.calls)
        names: dict[str, int] = {}
        for name, _ in proxy.calls:
            names[name] = names.get(name, 0) + 1
        out.append({
            "variant": label,
            "turn_ms": round(per_turn * 1000, 1),
            "action_calls_per_turn": round(len(proxy.calls) / total_turns, 2),
            "action_ms_per_turn": round(action_ms / total_turns, 1),
            "action_call_p50_ms": _r(percentile([ms for _, ms in proxy.calls], 50)),
            "actions_called": names,
        })
    return out


def diagnosis_markdown(rows: list[dict[str, Any]], nlu_ms: float | None) -> str:
    lines = [
        "",
        "#### Where a turn goes (our stack, one conversation at a time, action calls timed by a proxy)",
        "",
        "| Variant | Mean turn | Action-server calls per turn | Action-server time per turn "
        "| Rest of the turn (Rasa: NLU, policies, tracker store, HTTP) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        rest = row["turn_ms"] - row["action_ms_per_turn"]
        lines.append(f"| {row['variant']} | {row['turn_ms']} ms | {row['action_calls_per_turn']} "
                     f"| {row['action_ms_per_turn']} ms | {rest:.1f} ms |")
    if nlu_ms is not None:
        lines.append(f"\nNLU alone (`/model/parse` p50) is {nlu_ms} ms of each turn.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- report


def _ratio(ours: float | None, base: float | None) -> float | None:
    return round(ours / base, 2) if ours is not None and base else None


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:,.3f}" if abs(value) < 1 else f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
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
        rows.append((f"Per-turn latency {label} (REST, {n} concurrent)", _fmt(ol[key], " ms"),
                     _fmt(bl[key], " ms"), _fmt(ratio, "×"), target, verdict))
    ratio = _ratio(ol["turns_per_s"], bl["turns_per_s"])
    ok = None if ratio is None else ratio >= TARGET_THROUGHPUT_RATIO
    targets["throughput_ratio"] = {"value": ratio, "target": f">= {TARGET_THROUGHPUT_RATIO}", "pass": ok}
    seq_o, seq_b = ours["warmup_s_per_turn"] * 1000, base["warmup_s_per_turn"] * 1000
    rows.append(("Mean turn, one conversation at a time (warm-up)", _fmt(seq_o, " ms"),
                 _fmt(seq_b, " ms"), _fmt(_ratio(seq_o, seq_b), "×"), "", ""))
    po, pb = ours["nlu_parse"]["p50_ms"], base["nlu_parse"]["p50_ms"]
    rows.append(("NLU only: `/model/parse` p50, same texts, one at a time", _fmt(po, " ms"),
                 _fmt(pb, " ms"), _fmt(_ratio(po, pb), "×"), "", ""))
    rows.append((f"Throughput at {n} concurrent (turns/s)", _fmt(ol["turns_per_s"]),
                 _fmt(bl["turns_per_s"]), _fmt(ratio, "×"), f"≥ {TARGET_THROUGHPUT_RATIO}×",
                 _verdict(ok)))
    rows.append((f"Throughput at {n} concurrent (completed conversations/s)",
                 _fmt(ol["conversations_per_s"]), _fmt(bl["conversations_per_s"]),
                 _fmt(_ratio(ol["conversations_per_s"], bl["conversations_per_s"]), "×"), "", ""))
    rows.append(("Conversations completed / started (turns each)",
                 f"{ol['completed']}/{ol['conversations']} ({ours['turns_per_conversation']})",
                 f"{bl['completed']}/{bl['conversations']} ({base['turns_per_conversation']})",
                 "", "", ""))

    base_total = sum(v["mb"] for v in base["rss_mb"].values())
    for name, value in ours["rss_mb"].items():
        rows.append((f"Peak RSS: {name} (+{value['processes'] - 1} children)",
                     _fmt(value["mb"], " MB"), "", "", "", ""))
    total = round(sum(v["mb"] for v in ours["rss_mb"].values()), 1)
    ok = total <= TARGET_STACK_RSS_MB
    targets["stack_rss_mb"] = {"value": total, "target": f"<= {TARGET_STACK_RSS_MB}", "pass": ok}
    rows.append(("Peak RSS: whole embedded stack (sum)", _fmt(total, " MB"),
                 _fmt(round(base_total, 1), " MB"), _fmt(_ratio(total, base_total), "×"),
                 f"≤ {TARGET_STACK_RSS_MB / 1000:.1f} GB", _verdict(ok)))

    ot, bt = result["training"]["ours"], result["training"]["baseline"]
    ours_train = (_fmt(ot["seconds"], " s") + (" (earlier --train-ours run)" if ot.get("cached") else "")
                  if ot.get("seconds") is not None else "not measured")
    base_train = _fmt(bt["seconds"], " s") + (" (cached model)" if bt.get("cached") else "")
    rows.append(("Training time", ours_train, base_train,
                 _fmt(_ratio(ot.get("seconds"), bt["seconds"]), "×"), "", ""))
    o_rasa, b_rasa = ours["startup_s"].get("rasa"), base["startup_s"]["rasa"]
    rows.append(("Start-up: Rasa (process start → `/` answers)", _fmt(o_rasa, " s"),
                 _fmt(b_rasa, " s"), _fmt(_ratio(o_rasa, b_rasa), "×"), "", ""))
    o_total = ours["startup_s"].get("total (incl. db upgrade)")
    rows.append(("Start-up: whole stack (db upgrade + actions + Rasa + service, in sequence)",
                  _fmt(o_total, " s"), _fmt(b_rasa, " s"), _fmt(_ratio(o_total, b_rasa), "×"), "", ""))
    tw = ours["twilio"]
    ok = None if tw["p99_ms"] is None else tw["p99_ms"] <= TARGET_TWILIO_P99_MS and tw["ok"] == tw["sent"]
    targets["twilio_ack_p99_ms"] = {"value": tw["p99_ms"], "target": f"<= {TARGET_TWILIO_P99_MS}",
                                    "pass": ok}
    rows.append((f"Twilio webhook ack p99 under load ({tw['ok']}/{tw['sent']} answered 200)",
                 _fmt(tw["p99_ms"], " ms"), "", "", f"≤ {TARGET_TWILIO_P99_MS / 1000:.0f} s",
                 _verdict(ok)))

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
        lines.append(f"Errors ({ol['errors']} ours, {bl['errors']} baseline), e.g.: "
                     + "; ".join(errors))
    return "\n".join(lines) + "\n", targets


# ---------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> int:
    from tests.e2e.conftest import MODEL

    if not MODEL.exists():
        print("error: no models/current.tar.gz; run `make train` (make bench does it)", file=sys.stderr)
        return 1
    started = time.monotonic()
    result: dict[str, Any] = {
        "measured_at": _now(),
        "loadavg": {"start": _loadavg()},
        "settings": {"concurrency": args.concurrency, "reports": args.reports,
                     "warmup": args.warmup, "twilio": args.twilio,
                     "twilio_interval_s": args.twilio_interval,
                     "command": " ".join(["python -m scripts.bench", *sys.argv[1:]]).strip()},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "rasa": _rasa_version(), "kernel": platform.release()},
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
    if args.diagnose:
        result["diagnosis"] = await diagnose()
        result["seconds"] = round(time.monotonic() - started, 1)
        markdown += diagnosis_markdown(result["diagnosis"], result["ours"]["nlu_parse"]["p50_ms"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench.md").write_text(markdown)
    (ARTIFACTS / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print()
    print(markdown)
    print(f"Written: artifacts/bench.md, artifacts/bench.json ({result['seconds']} s in all)")
    if not result["ours"]["load"]["completed"] or not result["baseline"]["load"]["completed"]:
        print("error: no conversation completed on one of the bots; see the errors above",
              file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", "-n", type=int, default=50,
                        help="simultaneous conversations (default 50)")
    parser.add_argument("--reports", type=int, default=1,
                        help="complete conversations per concurrent worker (default 1)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="conversations before measuring, one at a time (default 2)")
    parser.add_argument("--twilio", type=int, default=100,
                        help="signed Twilio SMS webhooks sent during our REST load (default 100)")
    parser.add_argument("--twilio-interval", type=float, default=None,
                        help="seconds between Twilio webhooks (default: spread over the load)")
    parser.add_argument("--deadline", type=float, default=240,
                        help="seconds a load phase may run before it is cut short (default 240)")
    parser.add_argument("--train-ours", action="store_true",
                        help="also time a fresh training of our model (into a temporary folder)")
    parser.add_argument("--diagnose", action="store_true",
                        help="also break a turn down: action-server time and tracker store cost")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except Exception as exc:  # a benchmark that could not run is an error, not a result
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
