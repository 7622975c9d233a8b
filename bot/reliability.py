"""Action-server guard for the Rasa server: a short action timeout and a kind holding reply.

Why a patch, and why here
-------------------------
Rasa 3.6.21 calls the action server from ``RemoteAction.run`` with
``timeout=DEFAULT_REQUEST_TIMEOUT`` (300 s) hard-coded; ``EndpointConfig`` keeps unknown keys of
``action_endpoint`` (such as ``timeout:``) in ``kwargs`` that ``request()`` never reads, so no
configuration shortens it. When the action server is down, killed mid-call or hung, the
processor logs the exception, drops the action's events and the person hears nothing (or waits
five minutes). On a reporting line that silence reads as "nobody is listening".

So this module patches three methods, once, when Rasa builds the model graph: the
:class:`ReliabilityGuard` component below is the last entry of the NLU pipeline in
``config.yml`` and applies the patch in ``create()``. A pipeline component travels with the
model, so every process that serves it (``rasa run``, ``rasa shell``, tests, both production
servers) is guarded; a channel module would only be imported where ``credentials.yml`` lists it.

* ``RemoteAction.run`` is bounded by ``asyncio.wait_for`` (``action_timeout_seconds``, default 5;
  env ``ACTION_TIMEOUT_SECONDS`` overrides) and turns transport failures (timeout, refused or
  dropped connection, 5xx) into :class:`ActionServerUnavailable`, a ``RasaException`` — so
  callers inside Rasa that already tolerate ``RasaException`` (custom slot mappings) keep working.
* ``MessageProcessor._run_action`` remembers which action the processor runs *directly*. Only
  that action (a custom action or the form) turns the failure into the holding reply: the
  ``utter_holding`` domain response, rendered by Rasa's NLG with the tracker (so the ``language``
  slot picks the variation), then the slots the unanswered message changed are set back and the
  bot listens again: the form still asks the same question, the answers so far are untouched,
  and the reply asks the person to send their last message again. The processor stops
  predicting for that message, so a failing action is not retried in a loop.
* A failing ``action_session_start`` falls back to Rasa's default session start (no reply): the
  message that follows is then handled, and held, like any other.

A submission that reached the case store before the connection dropped is safe to repeat:
``submit_report`` is idempotent by the draft id.

NLU input bound
---------------
``MessageProcessor._parse_message_with_graph`` is patched to classify only the first
``NLU_MAX_CHARS`` characters of a message. DIET's transformer is quadratic in the number of
tokens, and our tokenizer makes one token per Han/Thai/Burmese/Khmer character or emoji: the
hostile-input corpus (tests/hostile) showed one 20 000-character message driving a Rasa server to
19 GB and the OOM killer. The tracker, the action server and so the report still get the whole
text (``UserUttered`` is built from the message, not the parse result), and the intake engine
applies its own length limit to it.

Applied events in linear time
-----------------------------
``DialogueStateTracker.applied_events`` is quadratic in the length of a form-filling conversation
in Rasa 3.6 and runs several times per message: :mod:`bot.applied_events` replaces it with the same
fold in linear time (tested equal to Rasa's on random and report-shaped event sequences).

Start-up objects frozen
-----------------------
At the first message, :func:`freeze_loaded_objects` collects once and freezes what start-up
loaded (``gc.freeze``), so the garbage collector's full passes no longer walk the whole model.

Over-long messages at the door
------------------------------
``MessageProcessor.handle_message`` refuses a message over ``MAX_MESSAGE_CHARS`` characters
(channels/limits) before the dialogue: the person hears ``utter_message_too_long`` in their
language (the ``language`` slot of the stored tracker, read only, else the channel's language
hint), and nothing is logged, stored or changed: the form still waits for the same answer. The
REST channel answers such a message 413 itself (channels/rest_channel); this covers every other
channel. :func:`render_outside_turn` also renders ``utter_busy`` for a message refused by a full
conversation queue (channels/admission).

Hostile input at the door
-------------------------
Two more findings of the hostile corpus, fixed here because every channel passes through these
two points:

* A JSON ``"\\ud800"`` escape gives Python a lone surrogate. Saving it, the encrypted tracker store
  raises ``UnicodeEncodeError`` (a ``ValueError``) inside Rasa's ``SQLTrackerStore.session_scope``,
  which turns any ``ValueError`` into ``sys.exit(1)``: one request stopped the whole Rasa server.
  ``MessageProcessor.handle_message`` now replaces lone surrogates (U+FFFD) in the text, sender id
  and metadata before anything else sees them.
* Rasa's REST channel calls ``request.json.get`` on whatever JSON arrives: a list, string, number
  or ``null`` body answered 500, and a non-string ``message``/``sender`` failed later.
  ``RestInput._extract_sender`` (the first thing its webhook calls) now refuses anything but an
  object with a string ``sender`` and ``message`` (and object ``metadata``) with a 400, and a
  message over ``MAX_MESSAGE_CHARS`` characters with a 413.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
import os
import weakref
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.training_data.message import Message

from channels.limits import MAX_MESSAGE_CHARS, message_too_long

logger = logging.getLogger(__name__)

HOLDING_RESPONSE = "utter_holding"
TOO_LONG_RESPONSE = "utter_message_too_long"
DEFAULT_ACTION_TIMEOUT_SECONDS = 5.0
TIMEOUT_ENV = "ACTION_TIMEOUT_SECONDS"
NLU_MAX_CHARS = 1000


class ActionServerUnavailable(RasaException):
    """The action server did not answer in time, refused the call or failed with a 5xx."""


@dataclass
class _Turn:
    """The action the processor is running directly, and whether it was held."""

    action: Any
    held: bool = False


_CURRENT: ContextVar[_Turn | None] = ContextVar("reliability_current_action", default=None)
#: Set per handled message: once one action-server call failed, later calls for the same
#: message fail at once (a hung server would otherwise cost 5 s per call, e.g. slot mappings
#: and then the form's validation).
_MESSAGE_FAILED: ContextVar[list[bool] | None] = ContextVar("reliability_message_failed",
                                                           default=None)
_state: dict[str, Any] = {"installed": False, "timeout": DEFAULT_ACTION_TIMEOUT_SECONDS}


def freeze_loaded_objects() -> None:
    """Once per process, at the first message (the model is loaded by then): collect, then move
    every object alive to the garbage collector's permanent generation (``gc.freeze``).

    A Rasa process holds hundreds of thousands of long-lived objects (the model graph, the
    twelve-language domain, libraries); every full collection walked all of them again — up to
    ~70 ms in the middle of a turn, more often the more a turn allocates (a long conversation's
    tracker), measured by ``scripts.bench --diagnose``. Frozen, they are never walked again; what
    the turns allocate is collected as before.
    """
    if _state.get("frozen"):
        return
    _state["frozen"] = True
    gc.collect()
    gc.freeze()
    logger.info("Garbage collector: %d objects loaded at start-up frozen", gc.get_freeze_count())


def action_timeout() -> float:
    """The timeout (seconds) applied to every action-server call once installed."""
    return float(_state["timeout"])


def _timeout_from(config: dict[str, Any], env: dict[str, str] | os._Environ[str]) -> float:
    """Reads the timeout: environment first, then the component config, then 5 s."""
    raw = env.get(TIMEOUT_ENV) or config.get("action_timeout_seconds")
    try:
        value = float(raw) if raw not in (None, "") else DEFAULT_ACTION_TIMEOUT_SECONDS
    except (TypeError, ValueError):
        logger.warning("Ignoring an invalid action timeout; using %s s",
                       DEFAULT_ACTION_TIMEOUT_SECONDS)
        value = DEFAULT_ACTION_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_ACTION_TIMEOUT_SECONDS


async def _holding_events(action: Any, output_channel: Any, nlg: Any, tracker: Any,
                          domain: Any) -> list[Any]:
    """Events that replace a failed top-level action: holding reply, then undo the message."""
    from rasa.core.actions.action import ActionSessionStart, create_bot_utterance
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted

    if action.name() == ACTION_SESSION_START_NAME:
        events: list[Any] = await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        return events
    turn = _CURRENT.get()
    if turn is not None:
        turn.held = True
    events = []
    draft = await nlg.generate(HOLDING_RESPONSE, tracker, output_channel.name())
    if draft:
        draft["utter_action"] = HOLDING_RESPONSE
        events.append(create_bot_utterance(draft))
    else:
        logger.error("No %s response in the domain: the person gets no holding reply",
                     HOLDING_RESPONSE)
    events += _slots_before_last_message(tracker, domain)
    events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return events


def _slots_before_last_message(tracker: Any, domain: Any) -> list[Any]:
    """SlotSet events that put back every slot the unanswered message changed.

    ``UserUtteranceReverted`` is not usable here: inside a form, Rasa's replay compacts the
    loop's turns, so the revert also undoes the form's activation (measured: the report
    started again). Restoring the slots instead leaves the form where it was, still asking the
    same question, with the answers given before intact.
    """
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = list(tracker.events)
    last = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=None)
    if last is None:
        return []
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:last],
                                              slots=domain.slots)
    restored = []
    for name, slot in tracker.slots.items():
        old = before.get_slot(name)
        if slot.value != old:
            restored.append(SlotSet(name, old))
    return restored


def clean_text(value: Any) -> Any:
    """Replaces lone surrogates (not encodable as UTF-8) with U+FFFD, recursively."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value


_fallback_nlg: dict[str, Any] = {}


def _responses_on_disk() -> Any:
    """An NLG over domain/reliability.yml, for a model trained before a response was added."""
    if "nlg" not in _fallback_nlg:
        nlg = None
        try:
            from pathlib import Path

            from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
            from rasa.shared.core.domain import Domain

            path = Path(__file__).resolve().parents[1] / "domain" / "reliability.yml"
            if path.exists():
                nlg = TemplatedNaturalLanguageGenerator(Domain.load(str(path)).responses)
        except Exception as exc:  # the caller falls back to plain English
            logger.warning("Could not read the reliability responses: %s", type(exc).__name__)
        _fallback_nlg["nlg"] = nlg
    return _fallback_nlg["nlg"]


async def render_outside_turn(processor: Any, message: Any, name: str) -> dict[str, Any] | None:
    """Renders response ``name`` for ``message``'s sender without a turn: nothing is stored.

    The language comes from the stored tracker (read only), else the message's
    ``language_hint`` metadata. Returns None when the response exists nowhere.
    """
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.languages import codes

    tracker = await processor.tracker_store.retrieve(message.sender_id)
    if tracker is None:
        tracker = DialogueStateTracker(message.sender_id, processor.domain.slots)
    hint = (message.metadata or {}).get("language_hint") if isinstance(message.metadata,
                                                                       dict) else None
    if "language" in tracker.slots and not tracker.get_slot("language") and hint in codes():
        tracker.update(SlotSet("language", hint))
    output = getattr(message.output_channel, "name", lambda: None)()
    draft: dict[str, Any] | None = await processor.nlg.generate(name, tracker, output)
    if not draft:
        fallback = _responses_on_disk()
        if fallback is not None:
            draft = await fallback.generate(name, tracker, output)
    return draft


async def render_refusal(message: Any, name: str) -> dict[str, Any] | None:
    """channels/admission's refusal renderer, over the processor that handled the last turn."""
    ref = _state.get("processor")
    processor = ref() if ref is not None else None
    if processor is None:
        return None
    return await render_outside_turn(processor, message, name)


async def _refuse_too_long(processor: Any, message: Any) -> Any:
    """Answers an over-long message kindly, outside the dialogue; returns handle_message's
    result."""
    from rasa.core.channels.channel import CollectingOutputChannel

    logger.info("Refused a message over %s characters before the dialogue", MAX_MESSAGE_CHARS)
    draft = await render_outside_turn(processor, message, TOO_LONG_RESPONSE)
    if not draft:
        logger.error("No %s response: the person gets a plain English reply", TOO_LONG_RESPONSE)
        draft = {"text": "That message is too long for me. Nothing you told me before is lost. "
                         "Please send it again in shorter parts."}
    await message.output_channel.send_response(message.sender_id, draft)
    if isinstance(message.output_channel, CollectingOutputChannel):
        return message.output_channel.messages
    return None


def _checked_rest_body(request: Any) -> dict[str, Any]:
    """The REST webhook body if well-formed; else a 400 (sanic BadRequest)."""
    from sanic.exceptions import InvalidUsage as BadRequest  # 400 in this Sanic version

    body = request.json  # sanic answers 400 itself for unparseable JSON
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    if not isinstance(body.get("sender"), str) or not body["sender"].strip():
        raise BadRequest("'sender' must be a non-empty string")
    if not isinstance(body.get("message"), str):
        raise BadRequest("'message' must be a string")
    if message_too_long(body["message"]):  # Rasa's own `rest` too, not only ours
        from sanic.exceptions import PayloadTooLarge

        raise PayloadTooLarge(f"A message may have at most {MAX_MESSAGE_CHARS} characters.")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise BadRequest("'metadata' must be an object")
    if body.get("input_channel") is not None and not isinstance(body["input_channel"], str):
        raise BadRequest("'input_channel' must be a string")
    return body


def _is_top_level(action: Any) -> bool:
    """Whether the processor is running this very action (not a call nested in the form)."""
    turn = _CURRENT.get()
    return turn is not None and turn.action is action


def install(timeout_seconds: float = DEFAULT_ACTION_TIMEOUT_SECONDS) -> None:
    """Patches Rasa once per process (later calls only update the timeout).

    Args:
        timeout_seconds: Upper bound of each action-server call.
    """
    _state["timeout"] = timeout_seconds
    if _state["installed"]:
        return
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.actions.forms import FormAction
    from rasa.core.processor import MessageProcessor

    remote_run = RemoteAction.run
    form_run = FormAction.run
    run_action = MessageProcessor._run_action
    parse_with_graph = MessageProcessor._parse_message_with_graph
    handle_message = MessageProcessor.handle_message

    async def guarded_handle_message(self: Any, message: Any) -> Any:
        """MessageProcessor.handle_message with a fresh per-message failure flag; an over-long
        message is answered at the door and never reaches the dialogue."""
        _state["processor"] = weakref.ref(self)
        freeze_loaded_objects()
        if message_too_long(message.text):
            message.sender_id = clean_text(message.sender_id)
            message.metadata = clean_text(message.metadata)
            return await _refuse_too_long(self, message)
        message.text = clean_text(message.text)
        message.sender_id = clean_text(message.sender_id)
        message.metadata = clean_text(message.metadata)
        token = _MESSAGE_FAILED.set([False])
        try:
            return await handle_message(self, message)
        finally:
            _MESSAGE_FAILED.reset(token)

    def bounded_parse(self: Any, message: Any, tracker: Any,
                      only_output_properties: bool = True) -> dict[str, Any]:
        """Classifies at most NLU_MAX_CHARS characters; the parse keeps the whole text."""
        text = message.text
        if not isinstance(text, str) or len(text) <= NLU_MAX_CHARS:
            parsed: dict[str, Any] = parse_with_graph(self, message, tracker,
                                                      only_output_properties)
            return parsed
        shortened = copy.copy(message)
        shortened.text = text[:NLU_MAX_CHARS]
        parsed = parse_with_graph(self, shortened, tracker, only_output_properties)
        parsed["text"] = text
        return parsed

    async def guarded_remote_run(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                                 domain: Any) -> list[Any]:
        """RemoteAction.run, bounded in time; failures become ActionServerUnavailable."""
        failed = _MESSAGE_FAILED.get()
        try:
            if failed and failed[0]:
                raise ActionServerUnavailable(f"{self.name()} skipped: server failed already")
            try:
                events: list[Any] = await asyncio.wait_for(
                    remote_run(self, output_channel, nlg, tracker, domain), action_timeout()
                )
                return events
            except ActionExecutionRejection:
                raise
            except asyncio.TimeoutError as exc:
                logger.warning("Action server call %s timed out after %.1f s",
                               self.name(), action_timeout())
                if failed is not None:
                    failed[0] = True
                raise ActionServerUnavailable(f"{self.name()} timed out") from exc
            except (aiohttp.ClientError, RasaException) as exc:
                if isinstance(exc, ActionServerUnavailable):
                    raise
                logger.warning("Action server call %s failed: %s", self.name(),
                               type(exc).__name__)
                if failed is not None:
                    failed[0] = True
                raise ActionServerUnavailable(f"{self.name()} failed") from exc
        except ActionServerUnavailable:
            if _is_top_level(self):
                return await _holding_events(self, output_channel, nlg, tracker, domain)
            raise

    async def guarded_form_run(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                               domain: Any) -> list[Any]:
        """FormAction.run; a nested action-server failure becomes the holding reply."""
        try:
            events: list[Any] = await form_run(self, output_channel, nlg, tracker, domain)
            return events
        except ActionServerUnavailable:
            if _is_top_level(self):
                return await _holding_events(self, output_channel, nlg, tracker, domain)
            raise

    async def guarded_run_action(self: Any, action: Any, tracker: Any, output_channel: Any,
                                 nlg: Any, prediction: Any) -> bool:
        """MessageProcessor._run_action; stops predicting after a holding reply."""
        turn = _Turn(action)
        token = _CURRENT.set(turn)
        try:
            should_continue: bool = await run_action(self, action, tracker, output_channel,
                                                     nlg, prediction)
        finally:
            _CURRENT.reset(token)
        return False if turn.held else should_continue

    RemoteAction.run = guarded_remote_run  # type: ignore[method-assign]
    FormAction.run = guarded_form_run  # type: ignore[method-assign]
    MessageProcessor._run_action = guarded_run_action  # type: ignore[method-assign]
    MessageProcessor._parse_message_with_graph = bounded_parse  # type: ignore[method-assign]
    MessageProcessor.handle_message = guarded_handle_message  # type: ignore[method-assign]

    from rasa.core.channels.rest import RestInput

    async def checked_extract_sender(self: Any, request: Any) -> str:
        """RestInput._extract_sender, refusing malformed bodies with a 400."""
        return str(_checked_rest_body(request)["sender"])

    RestInput._extract_sender = checked_extract_sender  # type: ignore[method-assign]
    _install_cached_response_validator(RemoteAction)
    _install_recent_events_for_actions(RemoteAction)
    _install_literal_button_payloads()
    from bot import applied_events

    applied_events.install()
    from channels.admission import set_refusal

    set_refusal(render_refusal)
    _state["installed"] = True
    logger.info("Action-server guard installed (timeout %.1f s)", timeout_seconds)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ReliabilityGuard(GraphComponent):
    """No-op NLU component whose creation installs the action-server guard (see module doc)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``action_timeout_seconds``: bound of every action-server call."""
        return {"action_timeout_seconds": DEFAULT_ACTION_TIMEOUT_SECONDS}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ReliabilityGuard:
        """Installs the guard (idempotent) and creates the component."""
        install(_timeout_from(config, os.environ))
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Leaves messages unchanged."""
        return messages


def _install_literal_button_payloads() -> None:
    """Button payloads are sent as written: Rasa's NLG no longer fills slots into them.

    Rasa 3.6.21's ``TemplatedNaturalLanguageGenerator._fill_response`` interpolates every
    ``{...}`` of a response's buttons with the slot values. Our payloads are Rasa's own
    entity syntax, ``/inform{"choice":"victim"}``, so for every button the interpolator looked
    up a slot named ``"choice":"victim"``, failed, logged an ERROR with the traceback (and,
    with structlog's rich renderer, the local variables: every slot value, references
    included) and returned the payload unchanged. Payloads are machine identifiers, never
    templates (none in domain/ uses a placeholder), so they are set aside while the rest of
    the response is filled and put back as they were: same output, no error.
    """
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    fill_response = TemplatedNaturalLanguageGenerator._fill_response
    if getattr(fill_response, "_literal_payloads", False):
        return

    def literal_payload_fill(self: Any, response: dict[str, Any],
                             filled_slots: dict[str, Any] | None = None,
                             **kwargs: Any) -> dict[str, Any]:
        buttons = response.get("buttons")
        kept: dict[int, Any] = {}
        if isinstance(buttons, list):
            for i, button in enumerate(buttons):
                if isinstance(button, dict) and "payload" in button:
                    kept[i] = button.pop("payload")
        filled: dict[str, Any] = fill_response(self, response, filled_slots, **kwargs)
        filled_buttons = filled.get("buttons")
        if kept and isinstance(filled_buttons, list):
            for i, payload in kept.items():
                if i < len(filled_buttons) and isinstance(filled_buttons[i], dict):
                    filled_buttons[i]["payload"] = payload
        return filled

    literal_payload_fill._literal_payloads = True  # type: ignore[attr-defined]
    TemplatedNaturalLanguageGenerator._fill_response = (  # type: ignore[method-assign]
        literal_payload_fill
    )


#: Typed messages of the person an action-server call carries (with everything after the
#: earliest of them): the language policy looks at the 8 before the one being handled
#: (actions/session.py HISTORY_MESSAGES; a test keeps the two in step).
ACTION_TYPED_MESSAGES = 9
#: At most this many events per call, whatever the conversation's length.
ACTION_EVENTS_CAP = 300


def recent_events(events: Any) -> list[Any]:
    """The tail of a conversation an action needs: from the earliest of the person's last
    ACTION_TYPED_MESSAGES typed messages (button presses not counted) or the session's start,
    whichever is later, at most ACTION_EVENTS_CAP events."""
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

    events = list(events)
    start, typed = 0, 0
    for at in range(len(events) - 1, -1, -1):
        event = events[at]
        if isinstance(event, SessionStarted):
            before = events[at - 1] if at else None
            started = (isinstance(before, ActionExecuted)
                       and before.action_name == ACTION_SESSION_START_NAME)
            start = at - 1 if started else at  # the session as Rasa stores it
            break
        if isinstance(event, UserUttered) and event.text and not event.text.startswith("/"):
            typed += 1
            if typed == ACTION_TYPED_MESSAGES:
                start = at
                break
    return events[max(start, len(events) - ACTION_EVENTS_CAP):]


class _RecentEventsView:
    """What ``RemoteAction._action_call_format`` reads of a tracker (its ``sender_id`` and
    ``current_state``), with only :func:`recent_events` in the state's events."""

    def __init__(self, tracker: Any) -> None:
        self._tracker = tracker
        self.sender_id = tracker.sender_id

    def current_state(self, event_verbosity: Any = None) -> dict[str, Any]:
        from rasa.shared.core.trackers import EventVerbosity

        state: dict[str, Any] = self._tracker.current_state(EventVerbosity.NONE)
        state["events"] = [event.as_dict() for event in recent_events(self._tracker.events)]
        return state


def _install_recent_events_for_actions(remote_action: Any) -> None:
    """Action-server calls carry the conversation's recent events, not all of them.

    Rasa 3.6.21 sends every event of the conversation with every call (``EventVerbosity.ALL``):
    the request, Rasa's serialisation and rasa_sdk's parsing grew with the length of a report
    (issue #13: turn 60 must cost about what turn 5 does). Our actions read the slots, the
    latest message, the events since it (form validation, ``fresh_answer``) and the person's
    recent typed messages (the language policy): :func:`recent_events` keeps those. Everything
    else of the state (slots, latest message, active loop, paused, latest input channel) is
    Rasa's own, computed from the whole tracker. ``tests/bot/test_reliability_recent_events.py``
    fails if Rasa's call format reads anything else of the tracker.
    """
    call_format = remote_action._action_call_format

    def recent_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        body: dict[str, Any] = call_format(self, _RecentEventsView(tracker), domain)
        return body

    recent_call_format.rasa_call_format = call_format  # type: ignore[attr-defined]
    remote_action._action_call_format = recent_call_format


def _install_cached_response_validator(remote_action: Any) -> None:
    """Validates action-server responses with a validator built once, not on every call.

    Rasa 3.6.21's `RemoteAction._validate_action_result` calls `jsonschema.validate`, which
    re-checks Rasa's fixed response schema against the meta-schema on every call: measured by
    `python -m scripts.bench --diagnose` at 14.6 ms of 17.6 ms per action call, about a third of a turn. The
    same schema, the same errors (with Rasa's hint added), checked once.
    """
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for

    schema = remote_action.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response "
                "from the Action endpoint is valid."
            )
            raise
        return True

    remote_action._validate_action_result = validate_action_result
