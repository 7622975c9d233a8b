"""Hostile inputs (tests/hostile/corpus.json, regenerate with tests/hostile/make_corpus.py) sent
to every webhook of the real Rasa server (REST; Twilio with valid signatures; Telegram with the
right secret) and to every route of the web service: never a 5xx, never a hang, no process dies;
a person whose message is accepted gets an answer, the JSON API answers 4xx."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.channels.conftest import FakeTelegram, FakeTwilio
from tests.channels.test_telegram_channel import message_update
from tests.e2e.conftest import Stack, start_stack
from tests.faults.conftest import (
    TELEGRAM_SECRET,
    signed_twilio_request,
    twilio_inbound,
    twilio_signature,
    write_channel_credentials,
)
from tests.hostile.make_corpus import expand

pytestmark = pytest.mark.e2e

CORPUS: list[dict[str, Any]] = json.loads(
    (Path(__file__).with_name("corpus.json")).read_text(encoding="utf-8")
)
TEXTS = [e for e in CORPUS if e["kind"] == "text"]
RAWS = [e for e in CORPUS if e["kind"] == "raw"]
TIMEOUT = 60  # a request slower than this counts as a hang
#: Texts Rasa answers with silence by design (Rasa's own /restart and /session_start events).
SILENT_BY_DESIGN = {"payload_0", "payload_1"}

WEB_GET = ["/", "/neutral", "/widget.js", "/config.json", "/health", "/login", "/console",
           "/console/cases/AAAA-BBBB", "/console/live/1", "/console/admin",
           "/console/static/..%2f..%2fetc%2fpasswd", "/api/me", "/api/queue",
           "/api/cases/AAAA-BBBB", "/api/live/1", "/api/admin/users", "/api/admin/hours",
           "/api/admin/partners", "/api/admin/audit", "/api/live/ws", "/nope", "/%ff%fe"]
WEB_POST = ["/login", "/logout", "/api/me/availability", "/api/cases/AAAA-BBBB/notes",
            "/api/cases/AAAA-BBBB/attempts", "/api/cases/AAAA-BBBB/status",
            "/api/callbacks/1/status", "/api/live/1/take", "/api/admin/users",
            "/api/admin/users/1/active", "/api/admin/hours", "/"]


def test_corpus_has_at_least_200_entries_of_every_kind() -> None:
    assert len(CORPUS) >= 200
    ids = " ".join(e["id"] for e in CORPUS)
    for kind in ("oversized", "invalid_utf8", "control", "zero_width", "bidi", "emoji", "html",
                 "sql", "malformed_json", "type_", "content_type", "missing_fields"):
        assert kind in ids, kind


@pytest.fixture(scope="module")
def hostile_stack(tmp_path_factory: pytest.TempPathFactory,
                  fakes: tuple[FakeTwilio, FakeTelegram]) -> Iterator[Stack]:
    """The whole stack with every channel configured against the fake provider APIs."""
    tmp = tmp_path_factory.mktemp("hostile")
    twilio, telegram = fakes
    creds = write_channel_credentials(tmp, twilio.base_url, telegram.base_url)
    stack = start_stack(tmp, {"RASA_CREDENTIALS": str(creds)})
    try:
        yield stack
    finally:
        for name in list(stack.procs):
            stack.stop(name)


def send(url: str, body: bytes | None, headers: dict[str, str],
         method: str = "POST") -> tuple[int, bytes]:
    """One request; returns (status, body). A timeout fails the test (a hang)."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (ConnectionError, TimeoutError, http.client.HTTPException) as exc:
        return 599, type(exc).__name__.encode()  # dropped without an answer: a failure too


def run_all(jobs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Runs ``(label, thunk)`` jobs four at a time; returns ``(label, result)``."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [(label, pool.submit(job)) for label, job in jobs]
        return [(label, f.result(timeout=TIMEOUT * 3)) for label, f in futures]


def assert_alive(stack: Stack) -> None:
    """No process of the stack died."""
    for name, proc in stack.procs.items():
        assert proc.poll() is None, f"{name} exited"


def test_rest_webhook_answers_every_hostile_text_with_a_message(hostile_stack: Stack) -> None:
    url = f"{hostile_stack.rasa_url}/webhooks/rest/webhook"

    def job(entry: dict[str, Any]) -> Any:
        body = json.dumps({"sender": f"hostile-{uuid.uuid4().hex[:10]}",
                           "message": expand(entry), "metadata": {"channel": "rest"}})
        return send(url, body.encode(), {"Content-Type": "application/json"})

    results = run_all([(e["id"], lambda e=e: job(e)) for e in TEXTS])
    errors = [(label, status) for label, (status, _) in results if status >= 500]
    assert not errors, errors
    silent = [label for label, (status, body) in results
              if status == 200 and not json.loads(body) and label not in SILENT_BY_DESIGN]
    assert not silent, f"no answer to: {silent}"
    assert_alive(hostile_stack)


def test_rest_webhook_refuses_hostile_bodies_without_5xx(hostile_stack: Stack) -> None:
    url = f"{hostile_stack.rasa_url}/webhooks/rest/webhook"
    jobs = [(e["id"], lambda e=e: send(url, expand(e), {"Content-Type": e["content_type"]}))
            for e in RAWS]
    results = run_all(jobs)
    errors = [(label, status) for label, (status, _) in results if status >= 500]
    assert not errors
    assert_alive(hostile_stack)


def test_twilio_webhook_acknowledges_every_signed_hostile_message(hostile_stack: Stack) -> None:
    url = f"{hostile_stack.rasa_url}/webhooks/twilio/webhook"

    def job(entry: dict[str, Any]) -> Any:
        sid = "SM" + uuid.uuid4().hex
        params = twilio_inbound("whatsapp:+447700900555", str(expand(entry)), sid)
        body, headers = signed_twilio_request(params)
        return send(url, body, headers)

    results = run_all([(e["id"], lambda e=e: job(e)) for e in TEXTS])
    assert not [(label, s) for label, (s, _) in results if s >= 500]
    # 413: a body over channels.limits.MAX_REQUEST_BYTES (20,000 CJK/Thai characters, encoded).
    assert all(s == 200 or (s == 413 and label.startswith("oversized_"))
               for label, (s, _) in results), [(lb, s) for lb, (s, _) in results if s != 200]
    assert_alive(hostile_stack)


def test_twilio_webhook_hostile_raw_bodies_with_valid_signatures_never_5xx(
    hostile_stack: Stack,
) -> None:
    url = f"{hostile_stack.rasa_url}/webhooks/twilio/webhook"

    def job(entry: dict[str, Any]) -> Any:
        body = expand(entry)
        assert isinstance(body, bytes)
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                                keep_blank_values=True).items()}
        headers = {"Content-Type": entry["content_type"] or "application/octet-stream",
                   "X-Twilio-Signature": twilio_signature(params)}
        return send(url, body, headers)

    results = run_all([(e["id"], lambda e=e: job(e)) for e in RAWS])
    assert not [(label, s) for label, (s, _) in results if s >= 500]
    assert_alive(hostile_stack)


def test_telegram_webhook_acknowledges_every_hostile_update(hostile_stack: Stack) -> None:
    url = f"{hostile_stack.rasa_url}/webhooks/telegram_ptb/webhook"
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    jobs = []
    for n, entry in enumerate(TEXTS):
        update = message_update(900_000 + n, language_code="en", text=str(expand(entry)))
        jobs.append((entry["id"], lambda u=update: send(url, json.dumps(u).encode(), headers)))
    for entry in RAWS:
        raw_headers = dict(headers, **{"Content-Type": entry["content_type"]})
        jobs.append((entry["id"], lambda e=entry, h=raw_headers: send(url, expand(e), h)))
    results = run_all(jobs)
    assert not [(label, s) for label, (s, _) in results if s >= 500]
    assert_alive(hostile_stack)


def test_web_service_routes_never_5xx_and_api_refuses_with_4xx(hostile_stack: Stack) -> None:
    base = hostile_stack.service_url
    jobs: list[tuple[str, Any]] = []
    for path in WEB_GET:
        jobs.append((f"GET {path}", lambda p=path: send(f"{base}{p}", None, {}, "GET")))
    for path in WEB_POST:
        for entry in RAWS:
            jobs.append((f"POST {path} {entry['id']}",
                         lambda p=path, e=entry: send(f"{base}{p}", expand(e),
                                                      {"Content-Type": e["content_type"]})))
    results = run_all(jobs)
    assert not [(label, s) for label, (s, _) in results if s >= 500]
    api = [(label, s) for label, (s, _) in results
           if " /api/" in label and not 400 <= s < 500]
    assert not api, api
    assert_alive(hostile_stack)
