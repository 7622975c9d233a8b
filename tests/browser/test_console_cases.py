"""The case list in a real browser: invented cases listed in words, search by reference, a filter
narrowing the list, the filter form used by keyboard alone, axe-core with results and without."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.crypto import Keyring
from bot.settings import Settings
from bot.store.db import make_engine, make_session_factory
from tests.browser.axe import assert_accessible
from tests.browser.conftest import make_driver, run_service, wait_until
from tests.browser.console_kit import fake_rasa_url, prepare_store, sign_in  # noqa: F401
from tests.service.console.cases import add_case
from tests.service.console.test_case_list import bare_case

__all__ = ["fake_rasa_url"]


def add_cases(env: dict[str, str]) -> dict[str, str]:
    """Invented cases in the browser test's store (the service reads the same key file)."""
    settings = Settings.from_env(env)
    keyring = Keyring.load(settings)
    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        return {
            "vi": add_case(factory, keyring, "browser-vi"),
            "ko": add_case(factory, keyring, "browser-ko", language="ko", location="M1 1AE"),
            "en": bare_case(factory, keyring, "browser-en"),
        }
    finally:
        engine.dispose()


def listed(driver: Any) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#cases tbody th a")]


def tab_to(driver: Any, element_id: str, limit: int = 40) -> list[str]:
    """Presses Tab until ``element_id`` has focus; returns the ids passed on the way."""
    passed = []
    for _ in range(limit):
        active = driver.switch_to.active_element
        if active.get_attribute("id") == element_id:
            return passed
        passed.append(active.get_attribute("id") or active.tag_name)
        active.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached #{element_id}; passed {passed}")


def test_case_list_search_filters_and_keyboard(tmp_path: Path, fake_rasa_url: Any) -> None:
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(tmp_path / "var", live_chats=(("web-cases-waiting", "th"),))
    cases = add_cases(env)
    driver: Any = make_driver(
        width=1280, height=1000, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "op@example.org")
            driver.get(base + "/console/cases")
            wait_until(lambda: len(listed(driver)) == 3, 15)
            assert set(listed(driver)) == set(cases.values())
            table = driver.find_element(By.ID, "cases").text
            for words in ("Vietnamese", "Korean", "English", "WhatsApp", "Nothing due"):
                assert words in table
            assert "3 cases." in driver.find_element(By.ID, "count").text
            # Reading cases keeps the operator online for live chats, and a waiting chat shows.
            wait_until(lambda: driver.find_element(By.ID, "presence").text == "online", 15)
            notice = driver.find_element(By.ID, "waiting-notice")
            wait_until(notice.is_displayed, 15)
            assert notice.text == "1 chat waiting" and notice.get_attribute("href").endswith(
                "/console"
            )
            assert_accessible(driver, "console_cases")

            # Search by reference: typed in lower case without the dash
            box = driver.find_element(By.ID, "f-q")
            box.send_keys(cases["ko"].lower().replace("-", ""), Keys.ENTER)
            wait_until(lambda: listed(driver) == [cases["ko"]], 15)
            driver.find_element(By.LINK_TEXT, cases["ko"]).click()
            wait_until(lambda: "/console/cases/" + cases["ko"] in driver.current_url, 15)

            # Keyboard only: from the top of a fresh list, Tab to the language filter, choose
            # Vietnamese by typing, Tab on to "Show cases" and press Enter
            driver.get(base + "/console/cases")
            wait_until(lambda: len(listed(driver)) == 3, 15)
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            passed = tab_to(driver, "f-language")
            assert "f-q" in passed and "f-status" in passed
            driver.switch_to.active_element.send_keys("Vietnamese")
            tab_to(driver, "apply")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait_until(lambda: "language=vi" in driver.current_url, 15)
            wait_until(lambda: listed(driver) == [cases["vi"]], 15)
            chosen = driver.find_element(By.CSS_SELECTOR, "#f-language option:checked")
            assert chosen.text == "Vietnamese"

            # A filter that matches nothing: the empty state, still accessible
            driver.get(base + "/console/cases?channel=telegram")
            wait_until(lambda: driver.find_elements(By.ID, "empty"), 15)
            assert "No case matches this search" in driver.find_element(By.ID, "empty").text
            assert driver.find_element(By.ID, "count").text == "0 cases."
            assert_accessible(driver, "console_cases_empty")
    finally:
        driver.quit()
