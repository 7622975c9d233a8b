"""The console in headless Chromium: log in, accept a waiting live chat, reply (fake Rasa)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from tests.browser.conftest import ARTIFACTS, make_driver, run_service, wait_until
from tests.browser.console_kit import PASSWORD, fake_rasa_url, prepare_store
from tests.service.console.conftest import FakeRasa

__all__ = ["fake_rasa_url"]
CID = "web-browser-sid"


def _prepare_store(var_dir: Path) -> dict[str, str]:
    return prepare_store(
        var_dir, staff=(("op@example.org", "operator", "en,vi", None),), live_chats=((CID, "vi"),)
    )


def _fresh(driver: Any, selector: str, check: Any) -> bool:
    """Runs `check` on the first element matching `selector`; False if absent or re-rendered."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        return bool(found) and bool(check(found[0]))
    except StaleElementReferenceException:
        return False


def test_operator_logs_in_accepts_a_chat_and_replies(
    tmp_path: Path, fake_rasa_url: tuple[FakeRasa, str]
) -> None:
    fake, rasa_url = fake_rasa_url
    env = _prepare_store(tmp_path / "var")
    env.update({"CONSOLE_COOKIE_SECURE": "0", "HANDOFF_POLL_SECONDS": "0.3"})
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            driver.get(base + "/console")
            wait_until(lambda: driver.find_elements(By.ID, "email"))
            driver.find_element(By.ID, "email").send_keys("op@example.org")
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.ID, "login").click()
            # The queue re-renders every few seconds: re-find elements on each try, so a row
            # replaced between finding and reading it is simply read again.
            wait_until(lambda: _fresh(driver, "#live tbody tr", lambda r: "Vietnamese" in r.text), 15)
            wait_until(
                lambda: _fresh(driver, "#live button.accept", lambda b: b.click() or True), 15
            )
            wait_until(lambda: "/console/live/" in driver.current_url, timeout=15)
            assert fake.paused(CID)
            fake.person_says(CID, "Invented: xin chào, is anyone there?")
            wait_until(
                lambda: "is anyone there" in driver.find_element(By.ID, "transcript").text,
                timeout=15,
            )
            wait_until(lambda: "online" in driver.find_element(By.ID, "presence").text, timeout=15)
            driver.find_element(By.ID, "reply").send_keys("Hello, I am here to help.")
            driver.find_element(By.ID, "send").click()
            wait_until(
                lambda: (
                    ("web-browser-sid", "utter_operator_message", "Hello, I am here to help.")
                    in fake.executed
                ),
                timeout=15,
            )
            wait_until(
                lambda: "You: Hello" in driver.find_element(By.ID, "transcript").text,
                timeout=15,
            )
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "console_live_chat.png"))
            errors = [
                e
                for e in driver.get_log("browser")
                if e["level"] == "SEVERE" and "favicon" not in e["message"]
            ]
            assert not errors, errors
    finally:
        driver.quit()


def test_operator_lets_a_person_try_their_reference_again_from_the_case_page(
    tmp_path: Path, fake_rasa_url: tuple[FakeRasa, str]
) -> None:
    """A person rings the helpline: wrong details slowed down their "my report" tries; the
    operator clears it with one button on the case page, and it is audited."""
    from sqlalchemy import select

    from bot.crypto import Keyring
    from bot.settings import Settings
    from bot.store.db import make_engine, make_session_factory
    from bot.store.handoff_models import AuditEntry
    from tests.service.console.cases import add_case

    _fake, rasa_url = fake_rasa_url
    env = _prepare_store(tmp_path / "var")
    env.update({"CONSOLE_COOKIE_SECURE": "0"})
    settings = Settings.from_env(env)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    reference = add_case(sessions, Keyring.load(settings), "browser-unlock")
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            driver.get(base + "/console")
            wait_until(lambda: driver.find_elements(By.ID, "email"))
            driver.find_element(By.ID, "email").send_keys("op@example.org")
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.ID, "login").click()
            wait_until(lambda: driver.find_elements(By.ID, "live"), 15)
            driver.get(f"{base}/console/cases/{reference}")
            # The page and its forms come from the server: no script needs to load first.
            wait_until(lambda: driver.find_elements(By.ID, "ref"), 30)
            assert reference in driver.find_element(By.ID, "ref").text
            driver.find_element(By.ID, "unlock").click()
            wait_until(lambda: "done=unlock" in driver.current_url, 15)
            message = driver.find_element(By.ID, "message").text
            assert "can try their reference" in message
            assert "try their reference" in driver.find_element(By.CSS_SELECTOR, ".timeline").text
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "console_case_unlock.png"))
        with sessions() as session:
            actions = session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject == reference)
            ).all()
        assert "staff.unlock_reference" in actions
    finally:
        driver.quit()
        engine.dispose()
