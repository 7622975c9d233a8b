"""Routes and security headers of the web service, through the aiohttp test client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.settings import ServiceSettings

Client = TestClient
MakeClient = Callable[[web.Application], Awaitable[Client]]


def make_settings(**overrides: Any) -> ServiceSettings:
    """Settings as from an empty environment, with the given fields replaced."""
    values: dict[str, Any] = {"exit_url": "/neutral", "rasa_public_url": "https://rasa.example.org"}
    values.update(overrides)
    return ServiceSettings(**values)


@pytest.fixture
async def client(aiohttp_client: MakeClient) -> Client:
    return await aiohttp_client(create_app(make_settings()))


async def test_health_returns_ok_json(client: Client) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_config_json_gives_public_socket_url_and_exit_page(client: Client) -> None:
    response = await client.get("/config.json")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {
        "socketUrl": "https://rasa.example.org",
        "socketPath": "/socket.io",
        "exitUrl": "/neutral",
    }


async def test_config_json_includes_init_payload_only_when_set(aiohttp_client: MakeClient) -> None:
    client = await aiohttp_client(create_app(make_settings(init_payload="/greet")))
    body = await (await client.get("/config.json")).json()
    assert body["initPayload"] == "/greet"


async def test_chat_page_loads_widget_with_config_url_and_is_never_cached(client: Client) -> None:
    response = await client.get("/")
    text = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'src="/widget.js"' in text
    assert 'data-config-url="/config.json"' in text
    assert "<script>" not in text  # CSP forbids inline scripts: the page must not need one.


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/widget.js", "text/javascript", "session_request"),
        ("/widget.css", "text/css", ".esea-chat"),
        ("/vendor/socket.io.min.js", "text/javascript", "Socket.IO v4"),
    ],
)
async def test_static_assets_are_served_with_their_type(
    client: Client, path: str, content_type: str, marker: str
) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == content_type
    assert marker in await response.text()


async def test_neutral_page_does_not_mention_the_service(client: Client) -> None:
    response = await client.get("/neutral")
    text = (await response.text()).lower()
    assert response.status == 200
    assert "forecast" in text
    for word in ("report", "hate", "chat", "incident", "crime", "help", "widget"):
        assert word not in text, word


@pytest.mark.parametrize(
    "path", ["/package.json", "/package-lock.json", "/node_modules/", "/index.html"]
)
async def test_other_files_in_web_folder_are_not_served(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404


async def test_security_headers_on_pages(client: Client) -> None:
    response = await client.get("/")
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["connect-src"] == "'self' https://rasa.example.org wss://rasa.example.org"
    assert csp["frame-ancestors"] == "'none'"


async def test_security_headers_also_on_not_found(client: Client) -> None:
    response = await client.get("/nope")
    assert response.status == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers


async def test_frame_ancestors_configurable_for_embedding(aiohttp_client: MakeClient) -> None:
    settings = make_settings(frame_ancestors="'self' https://community.example.org")
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/")
    assert (
        "frame-ancestors 'self' https://community.example.org"
        in response.headers["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response.headers


async def test_plain_http_rasa_gets_ws_socket_origin(aiohttp_client: MakeClient) -> None:
    client = await aiohttp_client(
        create_app(make_settings(rasa_public_url="http://127.0.0.1:5005"))
    )
    csp = (await client.get("/health")).headers["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005;" in csp


def test_the_retention_job_uses_the_consoles_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # One store handle (one engine) in the web service: the job gets the console's.
    import service.app as app_module
    from service.console.state import CONSOLE_KEY

    given: dict[str, object] = {}

    def fake_setup_jobs(app: object, settings: object, **kwargs: object) -> None:
        given.update(kwargs, settings=settings)

    monkeypatch.setattr(app_module, "setup_jobs", fake_setup_jobs)
    app = create_app(make_settings())
    state = app[CONSOLE_KEY]
    assert given["store"] is state.store
    assert given["settings"] is state.store_settings
