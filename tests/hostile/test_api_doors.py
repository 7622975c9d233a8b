"""No API door is open by default (issue 11): Rasa's HTTP API needs its token, CORS reflects only
the chat page's origin, the action server needs the shared secret, nothing listens beyond
loopback, the production profile refuses default broker/lock-store credentials, logs rotate.

Fast tests run the pieces on their own (bot.secrets, bot.logpipe, actions/server.py as a process
on a free loopback port, scripts/run-prod.sh's gate); the ``e2e`` ones use the real stack of
tests/e2e/conftest.py, started the way ``make run`` starts it.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logpipe import pump
from bot.secrets import (
    ACTION_SECRET_ENV,
    ACTION_SECRET_HEADER,
    LOCAL_TEST_FLAG,
    RASA_TOKEN_ENV,
    SecretError,
    action_secret,
    production_problems,
    rasa_token,
    secret_matches,
)
from tests.e2e.conftest import ROOT, Stack, free_port, stack, wait_http  # noqa: F401

REFUSED = (401, 403)
FOREIGN_ORIGIN = "https://attacker.example"


def call(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request; 4xx/5xx are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# ------------------------------------------------------------------------- secrets on disk


def test_secrets_are_random_private_files_made_once(tmp_path: Path) -> None:
    env = {"VAR_DIR": str(tmp_path)}
    token, secret = rasa_token(env), action_secret(env)
    assert token and secret and token != secret and len(token) >= 32
    for name in ("rasa_token", "action_secret"):
        path = tmp_path / "secrets" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert rasa_token(env) == token and action_secret(env) == secret  # kept, not regenerated
    other = tmp_path / "other"
    assert rasa_token({"VAR_DIR": str(other)}) != token


def test_environment_overrides_and_weak_values_are_refused(tmp_path: Path) -> None:
    strong = "s" * 40
    env = {"VAR_DIR": str(tmp_path), RASA_TOKEN_ENV: strong, ACTION_SECRET_ENV: strong + "x"}
    assert rasa_token(env) == strong and action_secret(env) == strong + "x"
    assert not (tmp_path / "secrets").exists()
    with pytest.raises(SecretError):
        rasa_token({"VAR_DIR": str(tmp_path), RASA_TOKEN_ENV: "short"})
    assert rasa_token({"VAR_DIR": str(tmp_path)}, create=False) is None


def test_secret_comparison() -> None:
    assert secret_matches("a" * 20, "a" * 20)
    assert not secret_matches("a" * 20, "a" * 19 + "b")
    assert not secret_matches("a" * 20, None)
    assert not secret_matches("", "")


def test_the_console_client_sends_the_shared_token(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.handoff.rasa import RasaClient

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv(RASA_TOKEN_ENV, raising=False)
    token = rasa_token()
    client = RasaClient("http://127.0.0.1:9", session=None, token=None)  # type: ignore[arg-type]
    assert client._params() == {"token": token}
    assert RasaClient("http://127.0.0.1:9", None, "t" * 20)._params() == {  # type: ignore[arg-type]
        "token": "t" * 20}


# ------------------------------------------------------------------------- run scripts


@pytest.mark.parametrize("script", ["scripts/run.sh", "scripts/run-prod.sh"])
def test_run_scripts_always_give_rasa_a_token_and_never_open_cors(script: str) -> None:
    text = (ROOT / script).read_text(encoding="utf-8")
    starts = [line for line in text.splitlines() if "bin/rasa run" in line]
    assert starts, "the script starts Rasa"
    for line in starts:
        # `=`: a token that starts with "-" must not be read as an option.
        assert "--enable-api --auth-token=\"$RASA_TOKEN\"" in line
    assert "${RASA_TOKEN:+" not in text
    assert '--cors "*"' not in text and "RASA_CORS:-*" not in text
    assert "rasa run actions" not in text and "-m actions.server" in text
    assert "bot.secrets env" in text


def test_production_settings_refuse_default_credentials() -> None:
    defaults: dict[str, str] = {}
    problems = production_problems(defaults)
    assert any("RabbitMQ" in p for p in problems) and any("Redis" in p for p in problems)
    guest = {"RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest", "REDIS_PASSWORD": "r" * 20}
    assert [p for p in production_problems(guest) if "RabbitMQ" in p]
    assert production_problems({**guest, LOCAL_TEST_FLAG: "1"}) == []
    good = {"RABBITMQ_USER": "esea", "RABBITMQ_PASSWORD": "b" * 20, "REDIS_PASSWORD": "r" * 20}
    assert production_problems(good) == []
    assert production_problems({**good, "REDIS_PASSWORD": ""})


def test_run_prod_refuses_to_start_with_guest_guest(tmp_path: Path) -> None:
    env = {**os.environ, "VAR_DIR": str(tmp_path), "RABBITMQ_USER": "guest",
           "RABBITMQ_PASSWORD": "guest", "REDIS_PASSWORD": "", LOCAL_TEST_FLAG: "",
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    proc = subprocess.Popen([str(ROOT / "scripts" / "run-prod.sh")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # the gate failed and it is starting servers: stop them all
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    assert proc.returncode != 0
    text = err.decode()
    assert "RabbitMQ" in text and "Redis" in text and LOCAL_TEST_FLAG in text
    assert not (tmp_path / "secrets").exists()  # refused before anything else happened


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.prod.yml",
                                       "bench/diagnose/endpoints-memory.yml"])
def test_rasa_sends_the_action_secret(endpoints: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.utils import read_endpoints_from_path

    for var in ("ACTION_ENDPOINT_URL", "TRACKER_DB", "TRACKER_DB_HOST", "TRACKER_DB_PORT",
                "TRACKER_DB_NAME", "TRACKER_DB_USER", "TRACKER_DB_PASSWORD", "REDIS_HOST",
                "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD", "REDIS_LOCK_PREFIX", "RABBITMQ_HOST",
                "RABBITMQ_PORT", "RABBITMQ_USER", "RABBITMQ_PASSWORD", "RABBITMQ_EXCHANGE",
                "RABBITMQ_QUEUE"):
        monkeypatch.setenv(var, "1")
    monkeypatch.setenv(ACTION_SECRET_ENV, "the-shared-secret-0123")
    action = read_endpoints_from_path(ROOT / endpoints).action
    assert action is not None and action.headers == {ACTION_SECRET_HEADER: "the-shared-secret-0123"}


# ------------------------------------------------------------------------- rotating logs


def test_logs_rotate_at_a_bounded_size(tmp_path: Path) -> None:
    log = tmp_path / "rasa.log"
    lines = (f"line {i} {'x' * 90}\n".encode() for i in range(2000))  # ~200 KB
    pump(lines, str(log), max_bytes=20_000, backups=3)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["rasa.log", "rasa.log.1", "rasa.log.2", "rasa.log.3"]
    assert all(f.stat().st_size <= 20_000 for f in files)
    assert "line 1999" in log.read_text()  # the newest lines are kept


# ------------------------------------------------------------------------- action server alone


def listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket process ``pid`` listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A = LISTEN
                continue
            hex_addr, hex_port = cols[1].split(":")
            assert len(hex_addr) == width
            if width == 8:
                address = ".".join(str(int(hex_addr[i:i + 2], 16)) for i in (6, 4, 2, 0))
            else:
                address = "::1" if hex_addr == "0" * 24 + "01000000" else hex_addr
            found.append((address, int(hex_port, 16)))
    return found


def assert_loopback_only(pid: int) -> None:
    sockets = listening(pid)
    assert sockets, f"process {pid} listens on nothing (the check would prove nothing)"
    assert all(addr in ("127.0.0.1", "::1") for addr, _ in sockets), sockets


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """``python -m actions.server`` with default host, on a free port: (url, secret, pid)."""
    tmp = tmp_path_factory.mktemp("actions")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VAR_DIR": str(tmp),
           "DATABASE_URL": f"sqlite:///{tmp}/cases.db"}
    env.pop(ACTION_SECRET_ENV, None)
    env.pop("ACTION_HOST", None)
    port = free_port()
    log = open(tmp / "actions.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health", 60, [proc])
        yield url, action_secret({"VAR_DIR": str(tmp)}) or "", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def action_call(name: str = "action_human_hours", tracker: object = None) -> bytes:
    tracker = {"sender_id": "x"} if tracker is None else tracker
    return json.dumps({"next_action": name, "sender_id": "x", "tracker": tracker,
                       "domain": {}, "version": "3.6.21"}).encode()


def test_action_server_refuses_calls_without_the_secret(action_server: tuple[str, str, int]) -> None:
    url, secret, _ = action_server
    assert len(secret) >= 32
    json_type = {"Content-Type": "application/json"}
    for headers in ({}, {ACTION_SECRET_HEADER: ""}, {ACTION_SECRET_HEADER: "wrong" * 8},
                    {ACTION_SECRET_HEADER: secret[:-1]}, {"Authorization": f"Bearer {secret}"}):
        status, _, _ = call("POST", f"{url}/webhook", action_call(), {**json_type, **headers})
        assert status in REFUSED, headers.keys()
        status, _, body = call("GET", f"{url}/actions", headers=headers)
        assert status in REFUSED and b"action_" not in body
    # The secret in the query string (Rasa's `token:` form) is not accepted either.
    assert call("POST", f"{url}/webhook?token={secret}", action_call(), json_type)[0] in REFUSED


def test_action_server_accepts_the_right_secret(action_server: tuple[str, str, int]) -> None:
    url, secret, _ = action_server
    good = {"Content-Type": "application/json", ACTION_SECRET_HEADER: secret}
    status, _, body = call("GET", f"{url}/actions", headers=good)
    assert status == 200 and {"name": "validate_report_form"} in json.loads(body)
    status, _, body = call("POST", f"{url}/webhook", action_call(), good)
    assert status == 200 and "events" in json.loads(body)  # the action ran
    # Through to rasa_sdk's executor: an unknown action is its 404, not our 401.
    assert call("POST", f"{url}/webhook", action_call("action_nope"), good)[0] == 404
    # A call that breaks inside rasa_sdk: a bare 500 that does not echo the request body back.
    status, _, body = call("POST", f"{url}/webhook", action_call(tracker=["CANARY-7f3a"]), good)
    assert status == 500 and b"CANARY" not in body
    assert call("GET", f"{url}/health")[0] == 200  # health checks need no secret


def test_action_server_listens_on_loopback_only(action_server: tuple[str, str, int]) -> None:
    assert_loopback_only(action_server[2])


# ------------------------------------------------------------------------- the real stack

RASA_API_CALLS = [
    ("GET", "/conversations/{cid}/tracker", None),
    ("GET", "/conversations/{cid}/story", None),
    ("POST", "/conversations/{cid}/tracker/events", b'[{"event": "pause"}]'),
    ("PUT", "/conversations/{cid}/tracker/events", b"[]"),
    ("POST", "/conversations/{cid}/execute", b'{"name": "utter_greet"}'),
    ("POST", "/conversations/{cid}/trigger_intent", b'{"name": "greet"}'),
    ("POST", "/conversations/{cid}/messages", b'{"text": "hi", "sender": "user"}'),
    ("POST", "/conversations/{cid}/predict", None),
    ("GET", "/domain", None),
    ("GET", "/status", None),
    ("POST", "/model/parse", b'{"text": "hello"}'),
    ("PUT", "/model", b'{"model_file": "/nonexistent.tar.gz"}'),
    ("DELETE", "/model", None),
]


@pytest.mark.e2e
@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789abcdef", "SAME-LENGTH"])
def test_rasa_api_refuses_calls_without_the_right_token(stack: Stack,  # noqa: F811
                                                        token: str | None) -> None:
    if token == "SAME-LENGTH":  # right length, one character off
        token = stack.rasa_token[:-1] + ("A" if stack.rasa_token[-1] != "A" else "B")
    cid = f"doors-{uuid.uuid4().hex[:10]}"
    for method, path, body in RASA_API_CALLS:
        url = stack.rasa_url + path.format(cid=cid)
        if token is not None:
            url += f"?token={token}"
        status, _, answer = call(method, url, body, {"Content-Type": "application/json"})
        assert status in REFUSED, (method, path, status)
        assert b'"events"' not in answer and b"intents" not in answer
    # The model is still loaded and the bot still answers.
    assert call("GET", stack.rasa_api("/status"))[0] == 200
    reply = call("POST", f"{stack.rasa_url}/webhooks/rest/webhook",
                 json.dumps({"sender": cid, "message": "hello"}).encode(),
                 {"Content-Type": "application/json"})
    assert reply[0] == 200 and json.loads(reply[2])


@pytest.mark.e2e
def test_rasa_api_works_with_the_token(stack: Stack) -> None:  # noqa: F811
    cid = f"doors-{uuid.uuid4().hex[:10]}"
    status, _, body = call("GET", stack.rasa_api("/domain"),
                           headers={"Accept": "application/json"})
    assert status == 200 and "intents" in json.loads(body)
    status, _, body = call("POST", stack.rasa_api(f"/conversations/{cid}/tracker/events"),
                           b'[{"event": "pause"}, {"event": "resume"}]',
                           {"Content-Type": "application/json"})
    assert status == 200
    status, _, body = call("GET", stack.rasa_api(f"/conversations/{cid}/tracker"))
    assert status == 200 and [e["event"] for e in json.loads(body)["events"]][-2:] == [
        "pause", "resume"]


@pytest.mark.e2e
def test_cors_reflects_only_the_chat_page_origin(stack: Stack) -> None:  # noqa: F811
    page_origin = stack.service_url
    for path in ("/webhooks/rest/webhook", "/socket.io/?EIO=4&transport=polling",
                 "/conversations/x/tracker"):
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        _, headers, _ = call("OPTIONS", stack.rasa_url + path,
                             headers={"Origin": FOREIGN_ORIGIN, **preflight})
        allowed = {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin")
        assert allowed not in (FOREIGN_ORIGIN, "*"), path
        _, headers, _ = call("GET", stack.rasa_url + path, headers={"Origin": FOREIGN_ORIGIN})
        allowed = {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin")
        assert allowed not in (FOREIGN_ORIGIN, "*"), path
    # Positive control: the widget's own page is still allowed (socket.io polling fallback).
    _, headers, _ = call("GET", stack.rasa_url + "/socket.io/?EIO=4&transport=polling",
                         headers={"Origin": page_origin})
    assert {k.lower(): v for k, v in headers.items()}.get(
        "access-control-allow-origin") == page_origin


@pytest.mark.e2e
def test_the_stacks_action_server_refuses_a_forged_call(stack: Stack) -> None:  # noqa: F811
    json_type = {"Content-Type": "application/json"}
    assert call("POST", f"{stack.action_url}/webhook", action_call(), json_type)[0] in REFUSED
    assert call("POST", f"{stack.action_url}/webhook", action_call(),
                {**json_type, ACTION_SECRET_HEADER: "forged-secret-0123456789"})[0] in REFUSED
    good = {**json_type, ACTION_SECRET_HEADER: stack.action_secret}
    assert call("GET", f"{stack.action_url}/actions", headers=good)[0] == 200


@pytest.mark.e2e
def test_nothing_listens_beyond_loopback(stack: Stack) -> None:  # noqa: F811
    assert {"rasa", "actions", "service"} <= set(stack.procs)
    for proc in stack.procs.values():
        assert_loopback_only(proc.pid)


def test_a_token_that_starts_with_a_dash_reaches_rasa_intact() -> None:
    """A configured RASA_TOKEN may start with "-": every start passes it as --auth-token=VALUE,
    which Rasa's own argument parser reads as the value (with a space it refuses to start)."""
    from rasa.__main__ import create_argument_parser

    parser = create_argument_parser()
    args = parser.parse_args(["run", "--enable-api", "--auth-token=-sW3dash-first-token"])
    assert args.auth_token == "-sW3dash-first-token"
    # Every place that starts Rasa with a token: the shared loopback stack (tests and benchmark),
    # the benchmark's baseline, and the run scripts.
    starts = {
        name: (ROOT / name).read_text(encoding="utf-8")
        for name in (
            "scripts/stack.py",
            "scripts/bench.py",
            "scripts/run.sh",
            "scripts/run-prod.sh",
        )
    }
    for name, text in starts.items():
        assert '"--auth-token",' not in text, name
        assert '--auth-token "$' not in text and "--auth-token $" not in text, name
        assert "--auth-token=" in text, name


def test_new_secrets_never_start_with_a_dash(tmp_path: Path) -> None:
    from bot import secrets as project_secrets

    for i in range(50):
        path = tmp_path / f"secret-{i}"
        project_secrets._create(path)
        assert not path.read_text(encoding="ascii").startswith("-")
