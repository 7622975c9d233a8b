"""Every console page, signed in as each role, has no critical or serious axe-core violation and
works from the keyboard alone (screenshots and axe results kept under artifacts/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.axe import assert_accessible
from tests.browser.conftest import make_driver, run_service, wait_until
from tests.browser.console_kit import PASSWORD, fake_rasa_url, prepare_store, sign_in  # noqa: F401

__all__ = ["fake_rasa_url"]


def test_login_page_is_accessible_and_signs_in_by_keyboard(
    tmp_path: Path, fake_rasa_url: Any
) -> None:
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(tmp_path / "var")
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            driver.get(base + "/login")
            wait_until(lambda: driver.find_elements(By.ID, "email"), 15)
            assert_accessible(driver, "console_login")
            # Keyboard only: focus starts on the page, Tab reaches the fields, Enter submits.
            body = driver.find_element(By.TAG_NAME, "body")
            body.send_keys(Keys.TAB)
            for _ in range(6):
                active = driver.switch_to.active_element
                if active.get_attribute("id") == "email":
                    break
                active.send_keys(Keys.TAB)
            active = driver.switch_to.active_element
            assert active.get_attribute("id") == "email"
            active.send_keys("admin@example.org", Keys.TAB)
            driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "header nav"), 15)
    finally:
        driver.quit()


def test_queue_and_admin_pages_are_accessible(tmp_path: Path, fake_rasa_url: Any) -> None:
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(tmp_path / "var", live_chats=(("web-a11y-sid", "vi"),))
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "admin@example.org")
            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "#live tbody tr"), 15)
            assert_accessible(driver, "console_queue")
            driver.get(base + "/console/admin")
            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "#users tbody tr"), 15)
            assert_accessible(driver, "console_admin")
    finally:
        driver.quit()


#: What staff must never read on an error page: a status code alone, JSON, a stack trace, a code.
_RAW = re.compile(r'\{"|Traceback|\b(null|None|undefined)\b|\b[a-z]+_[a-z_]+\b|\bHTTP\b')


def test_pages_staff_reach_by_mistake_are_accessible_and_in_words(
    tmp_path: Path, fake_rasa_url: Any
) -> None:
    """A wrong password, a page that does not exist, a page not for this role, a filter that
    cannot be used: each is a page in words that passes axe-core, with a way back."""
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(tmp_path / "var")
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )

    def text() -> str:
        return str(driver.find_element(By.TAG_NAME, "body").text)

    try:
        with run_service(rasa_url, extra_env=env) as base:
            driver.get(base + "/login")
            wait_until(lambda: driver.find_elements(By.ID, "email"), 15)
            driver.find_element(By.ID, "email").send_keys("op@example.org")
            driver.find_element(By.ID, "password").send_keys("not the password at all", Keys.ENTER)
            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "[role=alert]"), 15)
            assert not _RAW.search(text()), text()
            assert_accessible(driver, "console_login_refused")

            sign_in(driver, base, "op@example.org")
            pages = (
                ("/console/no-such-page", "console_error_not_found"),
                ("/console/admin", "console_error_not_for_operators"),
                ("/console/cases?from=31/31/2026&status=lost", "console_cases_bad_filter"),
            )
            for path, name in pages:
                driver.get(base + path)
                wait_until(lambda: driver.find_elements(By.TAG_NAME, "h1"), 15)
                assert not _RAW.search(text()), (path, text())
                assert driver.find_elements(By.CSS_SELECTOR, "a[href='/console']"), path
                assert_accessible(driver, name)
    finally:
        driver.quit()
