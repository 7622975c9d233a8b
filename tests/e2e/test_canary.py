"""Canary: a full report with a unique sentence and phone number leaves no plaintext on disk.

Starts its own stack (its own temporary folder), makes a complete report through Rasa's REST
channel with a uuid-based sentence and a phone number from Ofcom's drama range for London
(020 7946 0xxx), adds an evidence file holding the sentence, then (from other chats) adds to the
report with the reference and phone number and saves an unfinished draft holding the token. It
stops every process, then searches every byte of every file the stack wrote (case store and
tracker SQLite files with their -wal, -shm and -journal files, key folder, evidence folder,
process logs) and of the models folder for the sentence, the phone number in several formats and
its E.164 form.
"""

from __future__ import annotations

import gzip
import random
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import Settings
from bot.store import person, service
from bot.store.models import SavedDraft
from tests.e2e.conftest import ROOT, RestChat, start_stack

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")


def needles(sentence: str, token: str, last3: str) -> dict[str, bytes]:
    """Every form in which the canary could appear, as bytes to search for."""
    forms = {
        "sentence": sentence,
        "sentence lower case": sentence.lower(),
        "uuid token": token,
        "phone as typed": f"020 7946 0{last3}",
        "phone national digits": f"020794 60{last3}".replace(" ", ""),
        "phone without trunk 0": f"2079460{last3}",
        "phone international spaced": f"+44 20 7946 0{last3}",
        "phone E.164": f"+442079460{last3}",
        "phone 00 prefix": f"00442079460{last3}",
        "phone dashed": f"020-7946-0{last3}",
        "phone local part": f"7946 0{last3}",
        "phone local digits": f"79460{last3}",
    }
    out = {name: value.encode("utf-8") for name, value in forms.items()}
    out["sentence utf-16"] = sentence.encode("utf-16-le")
    return out


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in sorted(root.rglob("*")) if p.is_file()]


def contents(path: Path) -> list[tuple[str, bytes]]:
    """The raw bytes of a file, plus the decompressed bytes of a gzip file (the model)."""
    raw = path.read_bytes()
    out = [("raw", raw)]
    if raw[:2] == b"\x1f\x8b":
        out.append(("gunzipped", gzip.decompress(raw)))
    return out


@pytest.mark.timeout(900)
def test_full_report_leaves_no_plaintext_canary_anywhere(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    sentence = f"Canary {token} was shouted at by a stranger outside the Exampletown library"
    last3 = f"{random.randrange(0, 1000):03d}"
    phone = f"020 7946 0{last3}"
    stack = start_stack(tmp_path)
    try:
        sender = f"canary-{uuid.uuid4().hex[:12]}"
        chat = RestChat(stack, sender)
        replies = chat.say("hello")
        if any("lang:" in p for p in chat.payloads(replies)):
            chat.choose("lang:en")
        chat.choose("victim")
        chat.say(sentence)
        chat.choose("done")
        chat.choose("verbal_abuse")
        chat.choose("done")
        chat.say("yesterday")
        chat.say("LS1")
        chat.choose("street")
        chat.choose("race")
        chat.choose("done")
        chat.choose("skip")  # perpetrator
        chat.choose("emotional")
        chat.choose("done")
        chat.choose("named")
        chat.choose("yes")  # caseworker
        chat.choose("yes")  # partner organisation
        chat.say("Sam Canary")
        chat.say(phone)
        chat.say("canary@example.com")
        chat.choose("no")  # not safe to leave a message
        summary = chat.say("weekday evenings")
        transcript = "\n".join(f"> {m}\n{chat.text(r)}" for m, r in chat.transcript)
        assert token in chat.text(summary), transcript  # the bot really holds the sentence

        # Evidence uploaded during the conversation (as a channel would) holding the sentence.
        settings = Settings.from_env(stack.env)
        sessions, keyring = stack.store()
        with stack.case_store().unit_of_work() as session:  # the store functions never commit
            service.add_evidence(
                session, keyring, settings, sender, "text/plain", sentence.encode("utf-8")
            )
        done = chat.choose("confirm")
        match = REFERENCE.search(chat.text(done))
        assert match, chat.text(done)
        with sessions() as session:
            case = service.get_case(session, keyring, match.group(1))
        # Positive control: the data is stored and readable with the key.
        assert case is not None and token in case["incident"]["description"]
        assert case["contact"]["phone"] == f"+442079460{last3}"
        assert len(case["evidence"]) == 1
        tracker = stack.rasa_api(f"/conversations/{sender}/tracker")
        import json
        import urllib.request

        with urllib.request.urlopen(tracker, timeout=30) as response:
            assert token in json.dumps(json.load(response))  # Rasa can still read its tracker

        # What the person adds later with their reference and phone number, from another chat.
        later = RestChat(stack, f"canary-{uuid.uuid4().hex[:12]}")
        later.say("my report")
        later.say(match.group(1))
        assert "What would you like to do?" in later.text(later.say(phone))
        later.choose("add")
        addition = f"Addition {token}: he wore a green scarf"
        assert "added this to your report" in later.text(later.say(addition))
        # An unfinished report saved to finish elsewhere (encrypted draft under a new code).
        draft = RestChat(stack, f"canary-{uuid.uuid4().hex[:12]}")
        if any("lang:" in p for p in draft.payloads(draft.say("hello"))):
            draft.choose("lang:en")
        draft.choose("victim")
        draft.say(f"Draft {token}: someone sprayed words on my door")
        draft.say("done")
        draft.say("save for later")
        assert REFERENCE.search(draft.text(draft.say("kettle and moon")))
        with sessions() as session:
            extra = person.additions(session, keyring, match.group(1))
            assert session.scalar(select(SavedDraft.id)) is not None
        assert [a["text"] for a in extra] == [addition]  # positive control
    finally:
        for name in list(stack.procs):
            stack.stop(name)

    searched = files_under(tmp_path, ROOT / "models")
    names = {p.name for p in searched}
    assert {"cases.db", "tracker.db", "rasa.log", "actions.log", "service.log"} <= names
    assert any(p.parent.name == "evidence" for p in searched)
    found = []
    for path in searched:
        for how, data in contents(path):
            for name, needle in needles(sentence, token, last3).items():
                if needle in data:
                    found.append(f"{path.relative_to(path.anchor)} ({how}): {name}")
    assert not found, "plaintext canary found:\n" + "\n".join(found)
