"""The console's one error answer (service/console/errors.py): JSON ``{"error": ...}`` under /api/,
a short page on /console, a logged 500 without data or stack trace for anything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.crypto import Keyring
from bot.handoff import accounts
from bot.handoff.queue import QueueError
from service.console.errors import SERVER_ERROR, BadRequest, NotFound, errors
from service.console.hub import HandoffError
from service.console.pages import setup_templates
from tests.service.console.cases import add_case
from tests.service.console.conftest import MakeConsole, login

CANARY = "canary-7731 Ms Invented Person"


def _raiser(exc: BaseException) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise exc

    return handler


@pytest.fixture
async def small(aiohttp_client: Any) -> TestClient:
    """Only the middleware and the console templates, with handlers that raise."""
    app = web.Application(middlewares=[errors])
    setup_templates(app)
    raising: dict[str, BaseException] = {
        "/api/boom": RuntimeError(CANARY),
        "/console/boom": KeyError(CANARY),
        "/api/queue-error": QueueError("a note must have 1 to 4000 characters"),
        "/api/taken": HandoffError("another operator took this chat"),
        "/api/missing": NotFound("no such case"),
        "/console/missing": NotFound("no such case"),
        "/api/bad": BadRequest("JSON body expected"),
        "/api/plain-404": web.HTTPNotFound(),
        "/api/json-already": web.HTTPConflict(
            text='{"error": "kept as it is"}', content_type="application/json"
        ),
        "/console/forbidden": web.HTTPForbidden(text="Only admins can use this page."),
        "/console/bare-400": web.HTTPBadRequest(),
        "/console/moved": web.HTTPFound("/login"),
        "/elsewhere": web.HTTPForbidden(text="not ours"),
        "/elsewhere-boom": ValueError(CANARY),
    }
    for path, exc in raising.items():
        app.router.add_get(path, _raiser(exc))
    app.router.add_post("/api/post-only", _raiser(NotFound("unused")))
    return await aiohttp_client(app)


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/queue-error", 400, "a note must have 1 to 4000 characters"),
        ("/api/taken", 409, "another operator took this chat"),
        ("/api/missing", 404, "no such case"),
        ("/api/bad", 400, "JSON body expected"),
        ("/api/plain-404", 404, "not found"),
        ("/api/json-already", 409, "kept as it is"),
        ("/api/not-a-route", 404, "not found"),
    ],
)
async def test_api_errors_are_one_json_shape(
    small: TestClient, path: str, status: int, error: str
) -> None:
    response = await small.get(path)
    assert response.status == status
    assert response.content_type == "application/json"
    assert await response.json() == {"error": error}


async def test_api_wrong_method_keeps_the_allow_header(small: TestClient) -> None:
    response = await small.get("/api/post-only")
    assert response.status == 405
    assert await response.json() == {"error": "method not allowed"}
    assert "POST" in response.headers["Allow"]


async def test_unexpected_api_error_is_logged_without_data_and_answered_kindly(
    small: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="service.console.errors"):
        response = await small.get("/api/boom")
    assert response.status == 500
    assert await response.json() == {"error": SERVER_ERROR}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "GET /api/boom" in logged
    assert "test_errors.py" in logged  # where it happened, in code
    assert CANARY not in logged and not any(r.exc_info for r in caplog.records)


async def test_unexpected_page_error_is_a_kind_page_without_a_stack_trace(
    small: TestClient,
) -> None:
    response = await small.get("/console/boom")
    assert response.status == 500
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Something went wrong on our side" in html
    assert CANARY not in html and "Traceback" not in html and "KeyError" not in html
    assert response.headers["Cache-Control"] == "no-store"


async def test_page_errors_keep_the_handlers_words_or_say_something_kind(
    small: TestClient,
) -> None:
    forbidden = await small.get("/console/forbidden")
    assert forbidden.status == 403 and forbidden.content_type == "text/html"
    assert "Only admins can use this page." in await forbidden.text()
    bare = await small.get("/console/bare-400")
    assert bare.status == 400
    text = await bare.text()
    assert "could not be used" in text and "400: Bad Request" not in text
    missing = await small.get("/console/missing")
    assert missing.status == 404 and "no such case" in await missing.text()
    assert 'href="/login"' in await missing.text()  # signed out: the way back is to sign in


async def test_redirects_and_other_paths_are_left_alone(small: TestClient) -> None:
    moved = await small.get("/console/moved", allow_redirects=False)
    assert moved.status == 302 and moved.headers["Location"] == "/login"
    elsewhere = await small.get("/elsewhere")
    assert elsewhere.status == 403 and await elsewhere.text() == "not ours"
    assert (await small.get("/elsewhere-boom")).status == 500  # aiohttp's own answer, as before


# -- the real console ---------------------------------------------------------------------------


async def test_console_api_errors_through_the_real_handlers(
    make_console: MakeConsole, users: Any, session_factory: Any, keyring: Keyring
) -> None:
    reference = add_case(session_factory, keyring, "conversation-errors-1")
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    headers = {"X-CSRF-Token": str(csrf)}
    not_json = await client.post(
        "/api/me/availability",
        data=b"{nope",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (not_json.status, await not_json.json()) == (400, {"error": "JSON body expected"})
    empty_note = await client.post(
        f"/api/cases/{reference}/notes", json={"text": ""}, headers=headers
    )
    assert empty_note.status == 400
    assert set(await empty_note.json()) == {"error"}
    assert "note" in (await empty_note.json())["error"]
    for path, status, error in (
        ("/api/cases/ABCD-2345", 404, "no such case"),
        ("/api/live/abc", 404, "no such chat"),
        ("/api/live/999999", 409, "no such chat"),  # the live-chat hub's own error
    ):
        response = await client.get(path)
        assert (response.status, await response.json()) == (status, {"error": error}), path
    bad_id = await client.post("/api/callbacks/x/status", json={"status": "done"}, headers=headers)
    assert (bad_id.status, await bad_id.json()) == (404, {"error": "no such callback"})


async def test_console_unexpected_error_is_a_500_without_data(
    make_console: MakeConsole,
    users: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(CANARY)

    monkeypatch.setattr(accounts, "audit_entries", broken)
    client = await make_console()
    await login(client, "admin@example.org")
    with caplog.at_level(logging.ERROR, logger="service.console.errors"):
        response = await client.get("/api/admin/audit", params={"subject": "ABCD-2345"})
    assert response.status == 500
    assert await response.json() == {"error": SERVER_ERROR}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError in GET /api/admin/audit" in logged
    assert CANARY not in logged and "ABCD-2345" not in logged


async def test_console_page_not_found_signed_in_and_out(
    make_console: MakeConsole, users: Any
) -> None:
    client = await make_console()
    signed_out = await client.get("/console/no-such-page")
    assert signed_out.status == 404 and signed_out.content_type == "text/html"
    assert 'href="/login"' in await signed_out.text()
    assert "Content-Security-Policy" in signed_out.headers
    await login(client, "operator@example.org")
    signed_in = await client.get("/console/no-such-page")
    assert signed_in.status == 404
    assert 'href="/console"' in await signed_in.text()
