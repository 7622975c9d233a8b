"""The explicit registry of the report's "ask" actions (actions/asks.py)."""

from __future__ import annotations

import inspect

from rasa_sdk import Action

import actions.intake
from actions import asks
from actions.session import OFFER_SLOT, ActionAskLanguageChoice


def _concrete_actions(module: object) -> list[type[Action]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Action)
        and not inspect.isabstract(value)
        and value.__module__ == module.__name__  # type: ignore[attr-defined]
    ]


def test_every_ask_action_is_registered_under_its_name() -> None:
    defined = {cls().name(): cls for cls in _concrete_actions(asks)}
    assert defined and all(name.startswith("action_ask_") for name in defined)
    aliases = {f"action_ask_{slot}" for slot in asks.SENT_BY_VALIDATION}
    registered = {name: type(action) for name, action in asks.ASK_ACTIONS.items()}
    assert {name: cls for name, cls in registered.items() if name not in aliases} == defined
    # After a handoff, an ask slot the validation sends is asked again by its slot's ask action.
    for slot in asks.SENT_BY_VALIDATION - {OFFER_SLOT}:
        assert asks.ASK_ACTIONS[f"action_ask_{slot}"] is asks.ASK_ACTIONS[
            f"action_ask_{asks.ASKED_FOR[slot]}"]
    assert isinstance(asks.ASK_ACTIONS[f"action_ask_{OFFER_SLOT}"], ActionAskLanguageChoice)


def test_the_report_actions_define_no_unregistered_ask_action() -> None:
    names = {cls().name() for cls in _concrete_actions(actions.intake) if cls is not Action}
    assert not {name for name in names if name.startswith("action_ask_")}
