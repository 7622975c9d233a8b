"""ServiceSettings.from_env: defaults, overrides and refusals."""

from __future__ import annotations

import pytest

from service.settings import DEFAULT_EXIT_URL, ServiceSettings, ServiceSettingsError


def test_defaults_listen_on_loopback_8080_and_talk_to_local_rasa() -> None:
    settings = ServiceSettings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.rasa_public_url == settings.rasa_url
    assert settings.exit_url == DEFAULT_EXIT_URL
    assert settings.frame_ancestors == "'none'"


def test_environment_overrides_and_public_url_defaults_to_rasa_url() -> None:
    settings = ServiceSettings.from_env(
        {"SERVICE_PORT": "9001", "RASA_URL": "http://rasa:5005/", "EXIT_URL": "/neutral"}
    )
    assert settings.port == 9001
    assert settings.rasa_public_url == "http://rasa:5005"
    assert settings.rasa_socket_origin == "ws://rasa:5005"
    assert settings.exit_url == "/neutral"


@pytest.mark.parametrize(
    "environ",
    [
        {"SERVICE_PORT": "eighty"},
        {"SERVICE_PORT": "70000"},
        {"RASA_PUBLIC_URL": "javascript:alert(1)"},
        {"EXIT_URL": "//evil.example"},
        {"EXIT_URL": "weather"},
        {"SERVICE_FRAME_ANCESTORS": "'self'; script-src *"},
        {"RASA_SOCKET_PATH": "socket.io"},
    ],
)
def test_unusable_values_are_refused_at_start_up(environ: dict[str, str]) -> None:
    with pytest.raises(ServiceSettingsError):
        ServiceSettings.from_env(environ)
