"""Faults with the real processes: the action server killed or hung mid-report, Rasa killed
mid-report. The person always hears something in their own language, and the report completes
with every answer. Invented data only."""

from __future__ import annotations

import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.store import service
from tests.e2e.conftest import RestChat, Stack, start_stack
from tests.faults.conftest import restart

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")


def holding_text(language: str) -> str:
    """The `utter_holding` text for one language, read from the domain."""
    data = yaml.safe_load((ROOT / "domain" / "reliability.yml").read_text(encoding="utf-8"))
    for variation in data["responses"]["utter_holding"]:
        values = [c.get("value") for c in variation.get("condition") or []]
        if (language == "en" and not values) or language in values:
            return str(variation["text"])
    raise AssertionError(f"no holding text for {language}")


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: these tests kill and restart its processes."""
    running = start_stack(tmp_path_factory.mktemp("faults"), service=False)
    try:
        yield running
    finally:
        for name in list(running.procs):
            running.stop(name)


def new_chat(stack: Stack, language: str) -> RestChat:
    """A person who chose ``language`` at the start."""
    chat = RestChat(stack, f"fault-{uuid.uuid4().hex[:12]}")
    chat.say("hello")
    chat.choose(f"lang:{language}")
    return chat


def finish_as_witness(chat: RestChat) -> str:
    """Answers the rest of the form from the place question on; returns the reference."""
    chat.choose("skip")  # where: prefer not to say
    chat.choose("public_transport")
    chat.choose("skip")  # motivations
    chat.choose("skip")  # perpetrator
    chat.choose("skip")  # support
    chat.choose("none")  # police
    chat.choose("no")  # caseworker
    chat.choose("no")  # contact
    done = chat.choose("confirm")
    match = REFERENCE.search(chat.text(done))
    assert match, "\n".join(f"> {m}\n< {chat.text(r)}" for m, r in chat.transcript)
    return match.group(1)


def case_of(stack: Stack, reference: str) -> dict:
    """The stored case, decrypted."""
    sessions, keyring = stack.store()
    with sessions() as session:
        case = service.get_case(session, keyring, reference)
    assert case is not None
    return case


def test_action_server_killed_mid_report_gives_holding_reply_in_language_and_report_completes(
    fault_stack: Stack,
) -> None:
    chat = new_chat(fault_stack, "vi")
    chat.choose("witness")
    chat.say("Tôi thấy một người phụ nữ bị la mắng trên xe buýt.")
    chat.choose("done")
    chat.choose("verbal_abuse")
    chat.choose("done")

    fault_stack.stop("actions", signal.SIGKILL)
    started = time.monotonic()
    replies = chat.say("hôm qua")
    assert time.monotonic() - started < 5
    assert chat.text(replies) == holding_text("vi")

    restart(fault_stack, "actions")
    replies = chat.say("hôm qua")  # sent again, as the holding reply asks
    assert chat.text(replies) and chat.text(replies) != holding_text("vi")
    reference = finish_as_witness(chat)

    incident = case_of(fault_stack, reference)["incident"]
    assert incident["reporter_role"] == "witness"
    assert "la mắng trên xe buýt" in incident["description"]
    assert incident["incident_types"] == ["verbal_abuse"]
    assert incident["date_text"] == "hôm qua"


def test_hung_action_server_times_out_within_five_seconds_with_holding_reply(
    fault_stack: Stack,
) -> None:
    chat = new_chat(fault_stack, "ko")
    chat.choose("victim")
    proc = fault_stack.procs["actions"]
    proc.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        replies = chat.say("지하철에서 어떤 남자가 저에게 소리를 질렀어요.")
        elapsed = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGCONT)
    assert chat.text(replies) == holding_text("ko")
    # One bounded call (5 s) for the form's validation; never Rasa's default of 5 minutes.
    assert 4 <= elapsed < 8, elapsed
    chat.say("지하철에서 어떤 남자가 저에게 소리를 질렀어요.")
    replies = chat.choose("done")
    assert chat.payloads(replies), "the incident-type question offers its options"


def test_rasa_killed_mid_report_resumes_where_it_was_after_restart(fault_stack: Stack) -> None:
    chat = new_chat(fault_stack, "th")
    chat.choose("witness")
    chat.say("มีคนตะโกนด่าผู้ชายคนหนึ่งที่ป้ายรถเมล์")
    chat.choose("done")
    chat.choose("threats")
    chat.choose("done")
    before = chat.say("เมื่อวาน")

    fault_stack.stop("rasa", signal.SIGKILL)
    restart(fault_stack, "rasa")

    # The next answer lands on the question that was asked before the crash.
    reference = finish_as_witness(chat)
    incident = case_of(fault_stack, reference)["incident"]
    assert chat.text(before)
    assert incident["incident_types"] == ["threats"]
    assert incident["date_text"] == "เมื่อวาน"
    assert "ป้ายรถเมล์" in incident["description"]
