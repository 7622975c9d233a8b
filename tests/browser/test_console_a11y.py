"""Every console page, signed in as each role, has no critical or serious axe-core violation and
works from the keyboard alone (screenshots and axe results kept under artifacts/)."""

from __future__ import annotations

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
