"""The real widget against the real bot in headless Chromium: the page greets on open in the
browser's language (English, Simplified Chinese, Vietnamese); a complete report in English and in
Simplified Chinese, then "Exit quickly" clears the browser and erases the server side; a typed
"exit" clears the screen and storage for good. Screenshots go to artifacts/."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot import i18n
from bot.store import service
from tests.browser.conftest import make_driver, wait_until
from tests.e2e.conftest import ROOT, Stack, start_stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
REFERENCE = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{4}-[0-9A-Z]{4})(?![0-9A-Z])")


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("widget-stack"))
    try:
        yield running
    finally:
        for name in list(running.procs):
            running.stop(name)


class Widget:
    """Drives the chat widget like a person: type, or press the n-th offered button."""

    def __init__(self, driver) -> None:  # type: ignore[no-untyped-def]
        self.driver = driver

    def bot_count(self) -> int:
        return len(self.driver.find_elements(By.CSS_SELECTOR, ".esea-bot"))

    def settle(self, before: int) -> None:
        wait_until(lambda: self.bot_count() > before, timeout=60)
        time.sleep(0.4)  # the rest of the same turn's messages

    def type(self, text: str) -> None:
        before = self.bot_count()
        box = self.driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
        box.send_keys(text, Keys.ENTER)
        self.settle(before)

    def buttons(self) -> list:  # type: ignore[type-arg]
        return self.driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")

    def press(self, index: int) -> None:
        before = self.bot_count()
        wait_until(lambda: len(self.buttons()) > index, timeout=30)
        self.buttons()[index].click()
        self.settle(before)

    def all_text(self) -> str:
        return "\n".join(
            self.driver.execute_script(
                "return Array.from(document.querySelectorAll('.esea-bot .esea-text'))"
                ".map((n) => n.innerText);"
            )
        )

    def greeted(self) -> list[str]:
        """Waits for the greeting nobody typed for; returns the offered button titles."""
        wait_until(lambda: len(self.buttons()) == 3, timeout=60)
        time.sleep(0.4)
        return [b.text for b in self.buttons()]


@functools.lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain")).as_dict()


def tracker_texts(stack: Stack, sender: str) -> list[str]:
    """What the person's side of the stored conversation says (decrypted user events)."""
    from sqlalchemy import create_engine

    from bot.privacy.tracker_events import conversation_events

    _sessions, keyring = stack.store()
    engine = create_engine(f"sqlite:///{stack.env['TRACKER_DB']}")
    try:
        events = conversation_events(engine, keyring, sender)
    finally:
        engine.dispose()
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


def tracker_rows(stack: Stack, sender: str) -> int:
    with sqlite3.connect(stack.env["TRACKER_DB"]) as db:
        return int(
            db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]
        )


def walk_report(widget: Widget, words: dict[str, str]) -> str:
    widget.greeted()  # the bot greets first: nothing typed
    widget.press(0)  # it happened to me
    widget.type(words["description"])
    widget.press(0)  # I've finished
    widget.press(0)  # verbal abuse
    widget.press(0)  # that's all
    widget.type(words["when"])
    widget.type(words["where"])
    widget.press(0)  # street or park
    widget.press(0)  # race, ethnicity or nationality
    widget.press(0)  # that's all
    widget.press(0)  # skip (person responsible)
    widget.press(6)  # no support needed
    widget.press(2)  # not the police
    widget.press(1)  # no caseworker
    widget.press(1)  # no contact
    widget.press(0)  # yes, send my report
    match = wait_until(lambda: REFERENCE.search(widget.all_text()), timeout=30)
    return match.group(1)


@pytest.mark.parametrize(
    ("languages", "code"), [("en-GB,en", "en"), ("zh-CN,zh", "zh-Hans"), ("vi-VN,vi", "vi")]
)
def test_the_page_greets_on_open_in_the_browser_language(
    real_stack: Stack, tmp_path: Path, languages: str, code: str
) -> None:
    driver = make_driver(width=390, height=844, languages=languages, profile_dir=tmp_path / "p")
    try:
        driver.get(real_stack.service_url + "/")
        widget = Widget(driver)
        titles = widget.greeted()
        expected = [
            title for _value, title in i18n.buttons(domain(), "utter_ask_reporter_role", code)
        ]
        assert titles == expected
        welcome = i18n.text(domain(), "utter_welcome", code)
        assert "999" in welcome and welcome.split("\n")[0] in widget.all_text()
        assert not driver.find_elements(By.CSS_SELECTOR, ".esea-user")  # nobody typed
        driver.save_screenshot(
            str(Path(__file__).resolve().parents[2] / "artifacts" / f"greeting-{code}.png")
        )
        sender = driver.execute_script("return window.eseaChat.sessionId")
        # Looking stores nothing personal: only the unseen greeting payload, and no case.
        wait_until(lambda: tracker_texts(real_stack, sender) == ["/greet"], timeout=10)
        sessions, _keyring = real_stack.store()
        from bot.store.models import Case

        with sessions() as session:
            assert session.query(Case).filter(Case.conversation_key == sender).count() == 0
        bubbles = widget.bot_count()
        driver.refresh()  # a reload continues the conversation: no second greeting
        wait_until(
            lambda: driver.execute_script("return window.eseaChat && window.eseaChat.confirmed")
        )
        time.sleep(2.0)
        assert widget.bot_count() == bubbles
        assert tracker_texts(real_stack, sender) == ["/greet"]
    finally:
        driver.quit()


def test_typed_exit_erases_and_clears_the_screen_and_storage_for_good(
    real_stack: Stack, tmp_path: Path
) -> None:
    driver = make_driver(width=390, height=844, languages="en-GB,en", profile_dir=tmp_path / "p")
    description = "Invented: a woman spat at me on the tram."
    try:
        driver.get(real_stack.service_url + "/")
        widget = Widget(driver)
        widget.greeted()
        widget.press(0)
        widget.type(description)
        sender = driver.execute_script("return window.eseaChat.sessionId")
        assert description in tracker_texts(real_stack, sender)
        box = driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
        box.send_keys("exit", Keys.ENTER)
        erased = i18n.text(domain(), "utter_erased", "en")
        wait_until(lambda: not driver.find_elements(By.CSS_SELECTOR, ".esea-user"), timeout=60)
        time.sleep(0.5)
        assert widget.all_text().strip() == erased.strip()
        stored = json.dumps(
            driver.execute_script(
                "return [Object.entries(sessionStorage), Object.entries(localStorage)]"
            ),
            ensure_ascii=False,
        )
        assert description not in stored and erased not in stored and "999" not in stored
        wait_until(lambda: tracker_rows(real_stack, sender) == 0, timeout=30)
        driver.refresh()
        widget.greeted()  # a fresh start; nothing of the erased chat
        assert description not in driver.page_source and erased not in driver.page_source
        assert not driver.find_elements(By.CSS_SELECTOR, ".esea-user")
    finally:
        driver.quit()


@pytest.mark.parametrize(
    ("languages", "words", "code"),
    [
        (
            "en-GB,en",
            {
                "description": "A man shouted at me in the park.",
                "when": "yesterday",
                "where": "Leeds",
            },
            "en",
        ),
        (
            "zh-CN,zh",
            {"description": "昨天有人在公园里骂我。", "when": "昨天", "where": "曼彻斯特"},
            "zh-Hans",
        ),
    ],
)
def test_complete_report_in_the_browser_then_exit_quickly(
    real_stack: Stack,
    tmp_path: Path,
    languages: str,
    words: dict[str, str],
    code: str,
) -> None:
    artifacts = Path(__file__).resolve().parents[2] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    driver = make_driver(width=390, height=844, languages=languages, profile_dir=tmp_path / "p")
    try:
        driver.get(real_stack.service_url + "/")
        wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "textarea.esea-input"))
        widget = Widget(driver)
        reference = walk_report(widget, words)
        sender = driver.execute_script("return window.eseaChat.sessionId")
        assert tracker_rows(real_stack, sender) > 0
        driver.save_screenshot(str(artifacts / f"widget-real-bot-{code}.png"))
        sessions, keyring = real_stack.store()
        with sessions() as session:
            case = service.get_case(session, keyring, reference)
        assert (
            case is not None and case["language"] == code and case["channel"] in ("socketio", "web")
        )
        assert case["incident"]["description"] == words["description"]
        driver.find_element(By.CSS_SELECTOR, ".esea-exit").click()
        wait_until(lambda: "/neutral" in driver.current_url or "weather" in driver.current_url)
        leftovers = driver.execute_script(
            "return Object.keys(sessionStorage).concat(Object.keys(localStorage))"
        )
        assert not [k for k in leftovers if k.startswith("esea")]
        assert words["description"] not in driver.page_source
        # The server side goes too (the beacon): the transcript, not the report already sent.
        wait_until(lambda: tracker_rows(real_stack, sender) == 0, timeout=60)
        with sessions() as session:
            assert service.get_case(session, keyring, reference) is not None
    finally:
        driver.quit()


#: A question and a request for a person, as typed in the browser (training phrasings: this checks
#: the page and the wiring; `make eval` measures unseen phrasings).
OFF_SCRIPT = {
    "en": ("who will see my report", "I want to talk to a person"),
    "zh-Hans": ("谁会看到我的举报", "我想和人说话"),
    "vi": ("ai sẽ xem báo cáo của tôi", "gặp nhân viên"),
}


@pytest.mark.parametrize(
    ("languages", "code"), [("en-GB,en", "en"), ("zh-CN,zh", "zh-Hans"), ("vi-VN,vi", "vi")]
)
def test_a_question_and_a_person_asked_for_mid_report_in_the_browser(
    real_stack: Stack, tmp_path: Path, languages: str, code: str
) -> None:
    question, person = OFF_SCRIPT[code]
    driver = make_driver(width=390, height=844, languages=languages, profile_dir=tmp_path / "p")
    try:
        driver.get(real_stack.service_url + "/")
        widget = Widget(driver)
        widget.greeted()
        widget.press(0)  # it happened to me: "what happened?"
        asked = i18n.text(domain(), "utter_ask_description", code).split("\n")[0][:30]
        widget.type(question)
        answer = i18n.text(domain(), "utter_faq_who_sees", code).split("\n")[0][:30]
        text = widget.all_text()
        assert answer in text, text[-400:]
        # The question came back as it was first asked: had the question been kept as part of
        # the account, the bot would invite more ("…add more, or press I've finished").
        assert text.count(asked) >= 2, text[-400:]
        widget.type(person)
        hours = [
            i18n.text(domain(), name, code).split("\n")[0].split("{")[0][:20].strip()
            for name in ("utter_human_closed", "utter_human_open_now", "utter_handoff_queued")
        ]
        assert any(h and h in widget.all_text() for h in hours), widget.all_text()[-400:]
        driver.save_screenshot(
            str(Path(__file__).resolve().parents[2] / "artifacts" / f"question-{code}.png")
        )
    finally:
        driver.quit()
