"""A live chat in headless Chromium, keyboard only (fake Rasa): an operator who does not speak
Vietnamese marks an interpreter arranged, accepts the chat, reads the person's button press as its
Vietnamese title with the English beside it, sends the prepared "are you safe now?" (it goes out in
Vietnamese), lists the prepared messages in Chinese (Traditional) instead and sends "can we call you
back?" from them (it still goes out in Vietnamese; the choice stays for the next visit) and hands
the chat back; queue and live pages pass axe-core."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.handoff.canned import canned_choices, canned_text
from bot.labels import response_text
from tests.browser.axe import assert_accessible
from tests.browser.conftest import make_driver, run_service, wait_until
from tests.browser.console_kit import fake_rasa_url, prepare_store, sign_in
from tests.service.console.conftest import FakeRasa

__all__ = ["fake_rasa_url"]
CID = "web-browser-live-sid"
VICTIM = '/inform{"choice":"victim"}'
_ARRANGE_BUTTONS = (
    "return [...document.querySelectorAll('#live td button')]"
    ".filter((b) => b.textContent === 'Interpreter arranged').length"
)


def _person_pressed_a_button(fake: FakeRasa) -> None:
    """Before asking for a person, the (invented) person answered a question with a button."""
    now = time.time()
    fake.events[CID] = [
        {"event": "slot", "timestamp": now - 40, "name": "language", "value": "vi"},
        {
            "event": "bot",
            "timestamp": now - 30,
            "text": "Trước tiên, bạn báo cáo cho ai?",
            "data": {
                "buttons": [
                    {"title": "Chuyện xảy ra với tôi", "payload": VICTIM},
                    {"title": "Tôi đã chứng kiến", "payload": '/inform{"choice":"witness"}'},
                ]
            },
            "metadata": {"utter_action": "utter_ask_reporter_role"},
        },
        {"event": "user", "timestamp": now - 20, "text": VICTIM},
    ]


def _a_case_waits_for_a_caseworker(env: dict[str, str]) -> None:
    from bot.crypto import Keyring
    from bot.settings import Settings
    from bot.store.db import make_engine, make_session_factory
    from tests.service.console.cases import add_case

    settings = Settings.from_env(env)
    engine = make_engine(settings.database_url)
    add_case(make_session_factory(engine), Keyring.load(settings), "browser-live-case")
    engine.dispose()


def _tab_to(driver: Any, found: Callable[[Any], bool], most: int = 40) -> Any:
    """Presses Tab until the focused element satisfies ``found``; returns it."""
    for _ in range(most):
        active = driver.switch_to.active_element
        try:
            if found(active):
                return active
        except StaleElementReferenceException:
            pass
        active.send_keys(Keys.TAB)
    raise AssertionError("Tab never reached the element")


def _text(driver: Any, element_id: str) -> str:
    try:
        return str(driver.find_element(By.ID, element_id).text)
    except StaleElementReferenceException:
        return ""


def test_operator_takes_a_vietnamese_chat_by_keyboard_with_a_prepared_reply(
    tmp_path: Path, fake_rasa_url: tuple[FakeRasa, str]
) -> None:
    fake, rasa_url = fake_rasa_url
    _person_pressed_a_button(fake)
    env = prepare_store(
        tmp_path / "var",
        staff=(("op@example.org", "operator", "en", None),),
        live_chats=((CID, "vi"),),
    )
    env.update({"HANDOFF_POLL_SECONDS": "0.3"})
    _a_case_waits_for_a_caseworker(env)
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "op@example.org")
            wait_until(lambda: "Vietnamese" in _text(driver, "live"), 15)
            assert "(vi)" not in _text(driver, "live")  # the name, never the code
            wait_until(lambda: "online" in _text(driver, "presence"), 15)
            row = _text(driver, "live")
            assert "Waiting" in row and "Web chat" in row and "Needed" in row
            assert re.search(r"less than a minute|\b1 minute\b", row)  # how long, in words
            wait_until(lambda: "Vietnamese" in _text(driver, "casework"), 15)
            # The other queues in words too: no codes, slugs or "null".
            others = _text(driver, "casework") + _text(driver, "callbacks")
            assert "Waiting for a caseworker" in others and "lotus-bridge" not in others
            assert "No: do not leave a message" in others
            for code in ("queued", "null", "None", " vi ", "socketio"):
                assert code not in others
            assert_accessible(driver, "console_live_queue")

            # Keyboard only from the top of the page.
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            _tab_to(driver, lambda e: e.text == "Interpreter arranged" and e.tag_name == "button")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: not driver.execute_script(_ARRANGE_BUTTONS), 15)
            assert "Interpreter arranged" in _text(driver, "live")
            _tab_to(driver, lambda e: e.get_attribute("aria-label") == "Accept chat 1")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "/console/live/" in driver.current_url, 15)
            assert fake.paused(CID)

            # The person's button press reads as what they saw, with the English beside it.
            wait_until(lambda: "Accepted by you" in _text(driver, "chat-state"), 15)
            wait_until(
                lambda: (
                    "Person: Chuyện xảy ra với tôi (English: It happened to me)"
                    in _text(driver, "transcript")
                ),
                15,
            )
            # The buttons the assistant offered: as the person saw them, the English beside each.
            wait_until(
                lambda: (
                    "Buttons: Chuyện xảy ra với tôi (It happened to me) | "
                    "Tôi đã chứng kiến (I saw it happen)" in _text(driver, "transcript")
                ),
                15,
            )
            # The assistant's question and its "a person has joined" message, in English too.
            connected_en = response_text("utter_handoff_connected", "en")
            wait_until(lambda: connected_en in _text(driver, "transcript"), 15)
            assert "First, who are you reporting for?" in _text(driver, "transcript")
            page_text = driver.find_element(By.TAG_NAME, "body").text
            assert "/inform" not in page_text
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", page_text), page_text  # no codes
            assert "interpreter arranged" in _text(driver, "chat-meta")
            assert not driver.find_element(By.ID, "accept").is_displayed()
            assert not driver.find_element(By.ID, "interpreter").is_displayed()

            # A prepared message, chosen by its English title, goes out in Vietnamese.
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            choose = _tab_to(driver, lambda e: e.get_attribute("id") == "canned")
            _send_prepared(driver, fake, choose, 1, "are_you_safe")
            assert_accessible(driver, "console_live_chat")

            # An operator who reads Chinese lists the titles in it, by keyboard (a plain form:
            # the page reloads); the English stays beside each title for colleagues.
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            listing = _tab_to(driver, lambda e: e.get_attribute("id") == "canned-language")
            assert listing.get_attribute("value") == "en"
            listing.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
            assert listing.get_attribute("value") == "zh-Hant"
            listing.send_keys(Keys.TAB)
            assert driver.switch_to.active_element.get_attribute("id") == "canned-language-show"
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: driver.current_url.endswith("/console/live/1#canned"), 15)
            wait_until(lambda: "Accepted by you" in _text(driver, "chat-state"), 15)
            # Focus is back on the prepared messages, now titled in Chinese with the English.
            wait_until(lambda: driver.switch_to.active_element.get_attribute("id") == "canned", 15)
            listed = driver.execute_script(
                "return [...document.querySelectorAll('#canned option')]"
                ".map((o) => [o.lang, o.textContent])"
            )
            chinese = dict(canned_choices("zh-Hant"))
            assert listed == [
                ["zh-Hant", f"{chinese[key]} (English: {title})"]
                for key, title in canned_choices("en")
            ]
            assert "listed in Chinese (Traditional)" in _text(driver, "canned-form")
            # Sent in the person's language, Vietnamese, never in the listing's.
            _send_prepared(driver, fake, driver.switch_to.active_element, 3, "call_back")
            assert canned_text("call_back", "zh-Hant") not in [e[2] for e in fake.executed]
            assert_accessible(driver, "console_live_chat_listed_in_chinese")

            # Back on the queue, the person's next message shows as "New message" until the
            # operator opens the chat again.
            _tab_to(driver, lambda e: e.text == "Queue" and e.tag_name == "a")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "With you" in _text(driver, "live"), 15)
            assert "New message" not in _text(driver, "live")
            fake.person_says(CID, "Invented: vâng, tôi an toàn")
            wait_until(lambda: "New message" in _text(driver, "live"), 15)
            assert_accessible(driver, "console_live_queue_new_message")
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            _tab_to(driver, lambda e: e.get_attribute("aria-label") == "Open chat 1")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "Person: Invented: vâng, tôi an toàn" in _text(driver, "transcript"))
            # The listing language chosen before is still the operator's.
            wait_until(lambda: driver.find_element(By.ID, "canned-language").is_displayed(), 15)
            assert driver.find_element(By.ID, "canned-language").get_attribute("value") == "zh-Hant"

            # Hand back: the page says so and offers the way back to the queue.
            _tab_to(driver, lambda e: e.get_attribute("id") == "handback")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "handed back" in _text(driver, "chat-state"), 15)
            wait_until(lambda: driver.switch_to.active_element.get_attribute("id") == "back", 15)
            assert not fake.paused(CID)
            for name in ("reply", "send", "canned", "send-canned", "canned-language", "handback"):
                assert not driver.find_element(By.ID, name).is_displayed(), name
            assert_accessible(driver, "console_live_chat_ended")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: driver.current_url.rstrip("/").endswith("/console"), 15)
            errors = [
                e
                for e in driver.get_log("browser")
                if e["level"] == "SEVERE" and "favicon" not in e["message"]
            ]
            assert not errors, errors
    finally:
        driver.quit()


def test_a_waiting_chat_opened_directly_offers_only_accept_then_only_replies_and_ending(
    tmp_path: Path, fake_rasa_url: tuple[FakeRasa, str]
) -> None:
    from bot.handoff import responses as said

    fake, rasa_url = fake_rasa_url
    env = prepare_store(
        tmp_path / "var",
        staff=(("op@example.org", "operator", "en", None),),
        live_chats=((CID, "vi"),),
    )
    env.update({"HANDOFF_POLL_SECONDS": "0.3"})
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "op@example.org")
            driver.get(base + "/console/live/1")
            wait_until(lambda: "Waiting for an operator" in _text(driver, "chat-state"), 15)
            wait_until(lambda: "online" in _text(driver, "presence"), 15)
            assert driver.find_element(By.ID, "accept").is_displayed()
            # Only the steps a waiting chat allows: no reply or prepared message before accepting.
            for name in ("reply", "send", "canned", "send-canned", "canned-language"):
                assert not driver.find_element(By.ID, name).is_displayed(), name
            assert not driver.find_element(By.ID, "handback").is_displayed()
            assert not fake.paused(CID)
            assert_accessible(driver, "console_live_waiting")

            # This operator does not speak Vietnamese: they record the interpreter from here.
            assert "interpreter needed" in _text(driver, "chat-meta")
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            _tab_to(driver, lambda e: e.get_attribute("id") == "interpreter")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "interpreter arranged" in _text(driver, "chat-meta"), 15)
            assert not driver.find_element(By.ID, "interpreter").is_displayed()

            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            _tab_to(driver, lambda e: e.get_attribute("id") == "accept")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "Accepted by you" in _text(driver, "chat-state"), 15)
            assert fake.paused(CID)
            assert not driver.find_element(By.ID, "accept").is_displayed()
            # Focus moved on to where the next step is: the reply box.
            wait_until(lambda: driver.switch_to.active_element.get_attribute("id") == "reply", 15)
            driver.switch_to.active_element.send_keys("Invented: xin chào", Keys.TAB)
            assert driver.switch_to.active_element.get_attribute("id") == "send"
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(
                lambda: (CID, "utter_operator_message", "Invented: xin chào") in fake.executed, 15
            )
            wait_until(lambda: "You: Invented: xin chào" in _text(driver, "transcript"), 15)
            # Sent: the box is empty and has the focus again for the next message.
            wait_until(lambda: driver.switch_to.active_element.get_attribute("id") == "reply", 15)
            assert driver.find_element(By.ID, "reply").get_attribute("value") == ""

            _tab_to(driver, lambda e: e.get_attribute("id") == "close")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "This chat is closed." in _text(driver, "chat-state"), 15)
            wait_until(lambda: driver.switch_to.active_element.get_attribute("id") == "back", 15)
            assert (CID, said.CLOSED, None) in fake.executed and not fake.paused(CID)
            for name in ("reply", "send", "canned", "send-canned"):
                assert not driver.find_element(By.ID, name).is_displayed(), name
            assert not driver.find_element(By.ID, "accept").is_displayed()
            assert not driver.find_element(By.ID, "close").is_displayed()
    finally:
        driver.quit()

def _send_prepared(driver: Any, fake: Any, choose: Any, presses: int, key: str) -> None:
    """Picks prepared message `key` by keyboard (`presses` arrow-downs in the list), sends it,
    and waits until it went out in the person's language (Vietnamese) and shows in the
    transcript with its English."""
    choose.send_keys(*[Keys.ARROW_DOWN] * presses)
    assert choose.get_attribute("value") == key
    choose.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "send-canned"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    sent, english = canned_text(key, "vi"), canned_text(key, "en")
    wait_until(lambda: (CID, "utter_operator_message", sent) in fake.executed, 15)
    wait_until(lambda: f"You: {sent} (English: {english})" in _text(driver, "transcript"), 15)
