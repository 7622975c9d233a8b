"""The cached action-response validator accepts what Rasa accepts and refuses what it refuses."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.reliability import _install_cached_response_validator


def test_cached_validator_matches_rasa() -> None:
    _install_cached_response_validator(RemoteAction)
    action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
    assert action._validate_action_result({"events": [], "responses": [{"response": "utter_x"}]})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})
