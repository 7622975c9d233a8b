"""The case page in a real browser: an invented case told in Vietnamese reads in English with the
Vietnamese words beside each answer; an attempt and a note are recorded by keyboard alone (the
forms post, the page comes back saying so, with focus on the message); axe-core finds nothing
critical or serious (screenshots and axe results kept under artifacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select

from bot.crypto import Keyring
from bot.settings import Settings
from bot.store.db import make_engine, make_session_factory
from bot.store.handoff_models import AuditEntry, ContactAttempt
from tests.browser.axe import assert_accessible
from tests.browser.conftest import make_driver, run_service, wait_until
from tests.browser.console_kit import fake_rasa_url, prepare_store, sign_in  # noqa: F401
from tests.service.console.cases import add_case

__all__ = ["fake_rasa_url"]


def tab_to(driver: Any, element_id: str, limit: int = 80) -> None:
    """Presses Tab until ``element_id`` has focus (keyboard only, no clicks)."""
    passed = []
    for _ in range(limit):
        active = driver.switch_to.active_element
        if active.get_attribute("id") == element_id:
            return
        passed.append(active.get_attribute("id") or active.tag_name)
        active.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached #{element_id}; passed {passed}")


def test_a_vietnamese_case_reads_in_english_and_is_worked_by_keyboard(
    tmp_path: Path, fake_rasa_url: Any
) -> None:
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(tmp_path / "var")
    settings = Settings.from_env(env)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    reference = add_case(sessions, Keyring.load(settings), "browser-case-vi", language="vi")
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "op@example.org")
            driver.get(f"{base}/console/cases/{reference}")
            wait_until(lambda: driver.find_elements(By.ID, "ref"), 15)
            main = driver.find_element(By.ID, "main").text
            # English labels, the person's Vietnamese beside them, their words, dates in words
            for words in (
                "Verbal abuse",
                "Chửi bới, lăng mạ",
                "Legal advice",
                "Tư vấn pháp lý",
                "Yes, with my details",
                "Có, kèm thông tin của tôi",
                "Friday, 7 March 2025",
                "Invented test incident",
            ):
                assert words in main, words
            for code in ("verbal_abuse", "no_support", "null", "socketio", "utter_", "T10:15"):
                assert code not in main, code
            own = driver.find_element(By.CSS_SELECTOR, ".answers .own-words")
            assert own.get_attribute("lang") == "vi"
            assert_accessible(driver, "console_case_page")

            # A contact attempt, by keyboard: Tab to the outcome, arrow to "No answer", submit.
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            tab_to(driver, "outcome")
            outcome = driver.switch_to.active_element
            outcome.send_keys(Keys.DOWN, Keys.DOWN)
            wait_until(
                lambda: driver.execute_script("return document.activeElement.value") == "no_answer"
            )
            outcome.send_keys(Keys.TAB)
            assert driver.switch_to.active_element.get_attribute("id") == "attempt"
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "done=attempt" in driver.current_url, 15)
            wait_until(lambda: driver.switch_to.active_element.get_attribute("id") == "message")
            assert "contact attempt is recorded" in driver.find_element(By.ID, "message").text
            assert (
                "Contact attempt: No answer"
                in driver.find_element(By.CSS_SELECTOR, ".timeline").text
            )

            # A note, by keyboard: Tab to the labelled text box, type, Tab to the button, Enter.
            tab_to(driver, "note")
            driver.switch_to.active_element.send_keys("Invented note: rang at ten, no answer")
            driver.switch_to.active_element.send_keys(Keys.TAB)
            assert driver.switch_to.active_element.get_attribute("id") == "add-note"
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "done=note" in driver.current_url, 15)
            assert "note is added" in driver.find_element(By.ID, "message").text
            assert "rang at ten" in driver.find_element(By.CSS_SELECTOR, ".timeline").text
            assert_accessible(driver, "console_case_page_after_note")
        with sessions() as session:
            actions = session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject == reference)
            ).all()
            outcomes = session.scalars(select(ContactAttempt.outcome)).all()
        assert {"case.view", "case.attempt", "case.note"} <= set(actions)
        assert outcomes == ["no_answer"]
    finally:
        driver.quit()
        engine.dispose()


def test_a_case_a_caseworker_may_not_see_is_a_plain_accessible_no_such_case(
    tmp_path: Path, fake_rasa_url: Any
) -> None:
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(
        tmp_path / "var",
        staff=(("cw@lantern.example.org", "caseworker", "ko,en", "northern-lantern"),),
    )
    settings = Settings.from_env(env)
    engine = make_engine(settings.database_url)
    reference = add_case(
        make_session_factory(engine), Keyring.load(settings), "browser-other-org", language="vi"
    )
    engine.dispose()
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "cw@lantern.example.org")
            driver.get(f"{base}/console/cases/{reference}")
            wait_until(lambda: driver.find_elements(By.TAG_NAME, "h1"), 15)
            assert driver.find_element(By.TAG_NAME, "h1").text == "No such case"
            assert not driver.find_elements(By.CSS_SELECTOR, "main form")
            assert "Invented test incident" not in driver.find_element(By.ID, "main").text
            assert_accessible(driver, "console_case_not_found")
    finally:
        driver.quit()
