"""The action server's own copy of the domain, for calls Rasa sends without one
(`enable_selective_domain: true` under `action_endpoint`: ~0.9 MB less per call)."""

from __future__ import annotations

import asyncio
from typing import Any

from actions import server


def _call(domain: dict[str, Any] | None) -> dict[str, Any]:
    slots = {"language": "zh-Hans", "language_offer": {"open": "en", "made": ["en"]},
             "requested_slot": "language_choice"}
    call: dict[str, Any] = {
        "next_action": "action_ask_language_choice", "sender_id": "s", "version": "3.6.21",
        "tracker": {"sender_id": "s", "slots": slots, "latest_message": {}, "events": [],
                    "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen"},
    }
    if domain is not None:
        call["domain"] = domain
    return call


def test_the_local_domain_is_the_one_rasa_builds_from_the_same_files() -> None:
    from rasa.shared.core.domain import Domain

    ours = server.local_domain()
    rasa = Domain.load(str(server.DOMAIN_DIR)).as_dict()
    assert ours["responses"] == rasa["responses"]
    assert ours["forms"] == rasa["forms"]
    assert set(ours["slots"]) == set(rasa["slots"])
    assert _names(ours["actions"]) == _names(rasa["actions"])


def _names(actions: list[Any]) -> set[str]:
    """Action names from a domain's list (a name, or {name: {send_domain: …}})."""
    return {a if isinstance(a, str) else next(iter(a)) for a in actions}


def test_rasa_sends_the_domain_to_no_action() -> None:
    """With `enable_selective_domain`, Rasa still sends the whole domain (~0.9 MB, twelve
    languages) to every action named `validate_*` unless the domain says `send_domain: false`
    (Rasa 3.6 `Domain._collect_actions_which_explicitly_need_domain`): the action server reads
    its own copy instead, so no call needs it."""
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(server.DOMAIN_DIR))
    custom = [a for a in domain.user_actions]
    assert "validate_report_form" in custom and "validate_access_form" in custom
    assert [a for a in custom if domain.does_custom_action_explicitly_need_domain(a)] == []


def test_a_call_without_a_domain_runs_with_the_local_one() -> None:
    from rasa_sdk import endpoint

    standard = endpoint.ActionExecutor
    app = server.build_app("s" * 32)
    assert app is not None and endpoint.ActionExecutor is standard  # patched only while building
    executor = server._executor_class()()
    executor.register_package("actions")
    without = asyncio.run(executor.run(_call(None)))
    sent = asyncio.run(executor.run(_call(server.local_domain())))
    assert without == sent
    text = without["responses"][0]["text"]
    assert "English" in text and "改用" in text  # the offer's words, from the domain
    # Rasa's own domain, when it sends one, is used as it is.
    empty_responses = asyncio.run(executor.run(_call({"responses": {}})))
    assert empty_responses["responses"][0]["text"] != text
