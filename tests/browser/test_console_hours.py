"""The hours override in a real browser, by keyboard only: an admin sets "closed now until tomorrow
09:00", the admin page says so in words, the admin clears it; the page passes axe-core each time
(screenshots and axe results kept under artifacts/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.hours import LONDON
from service.console import fmt
from tests.browser.axe import assert_accessible
from tests.browser.conftest import make_driver, run_service, wait_until
from tests.browser.console_kit import fake_rasa_url, prepare_store, sign_in  # noqa: F401

__all__ = ["fake_rasa_url"]


def _active(driver: Any) -> Any:
    return driver.switch_to.active_element


def _text(driver: Any, element_id: str) -> str:
    return " ".join(driver.find_element(By.ID, element_id).text.split())


def test_admin_sets_closed_now_until_tomorrow_and_clears_it_by_keyboard(
    tmp_path: Path, fake_rasa_url: Any
) -> None:
    _fake, rasa_url = fake_rasa_url
    env = prepare_store(tmp_path / "var")
    driver: Any = make_driver(
        width=1200, height=900, languages="en-GB,en", profile_dir=tmp_path / "profile"
    )
    tomorrow_9 = dt.datetime.combine(
        dt.datetime.now(LONDON).date() + dt.timedelta(days=1), dt.time(9, 0), LONDON
    )
    try:
        with run_service(rasa_url, extra_env=env) as base:
            sign_in(driver, base, "admin@example.org")
            driver.get(base + "/console/admin")
            wait_until(lambda: driver.find_elements(By.ID, "override-form"), 15)
            assert "No override: the standard hours apply" in _text(driver, "override-state")
            assert_accessible(driver, "console_admin_hours")

            # Keyboard only: the first choice of the group, an arrow to "Closed now", then Tab
            # through the day and time lists (typing picks an entry) to the button, and Enter.
            driver.find_element(By.CSS_SELECTOR, 'input[name="mode"][value="open"]').send_keys(
                Keys.SPACE
            )
            _active(driver).send_keys(Keys.ARROW_DOWN)
            assert _active(driver).get_attribute("value") == "closed"
            assert _active(driver).is_selected()
            _active(driver).send_keys(Keys.TAB)
            assert _active(driver).get_attribute("id") == "until-day"
            _active(driver).send_keys("Tomorrow")
            _active(driver).send_keys(Keys.TAB)
            assert _active(driver).get_attribute("id") == "until-time"
            _active(driver).send_keys("09:00")
            _active(driver).send_keys(Keys.TAB)
            assert _active(driver).text == "Set override"
            _active(driver).send_keys(Keys.ENTER)

            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "#message.message"), 15)
            assert _text(driver, "message") == "Done. The override is set."
            assert _active(driver).get_attribute("id") == "message"  # focus moved to the news
            state = _text(driver, "override-state")
            assert f"Override: closed now until {fmt.when(tomorrow_9)}" in state
            assert "set by admin@example.org" in state
            assert "The service is closed now" in _text(driver, "open-now")
            notice = f"Opening hours overridden: closed now until {fmt.when(tomorrow_9)}"
            assert notice in _text(driver, "hours-notice")  # in every console page's header
            assert_accessible(driver, "console_admin_hours_override")

            # Clear it: Tab from the message reaches "Clear override" after the override form.
            clear = driver.find_element(By.CSS_SELECTOR, "#override-clear button")
            for _ in range(40):
                if _active(driver) == clear:
                    break
                _active(driver).send_keys(Keys.TAB)
            assert _active(driver) == clear
            _active(driver).send_keys(Keys.ENTER)
            wait_until(
                lambda: (
                    "cleared" in (driver.find_elements(By.ID, "message") or [None])[0].text
                    if driver.find_elements(By.ID, "message")
                    else False
                ),
                15,
            )
            assert "No override: the standard hours apply" in _text(driver, "override-state")
            assert not driver.find_elements(By.ID, "override-clear")
            assert not driver.find_elements(By.ID, "hours-notice")
            audit = _text(driver, "audit")
            assert "Cleared the opening hours override" in audit
            assert (
                f"Overrode the opening hours for now (closed now until {fmt.when(tomorrow_9)})"
                in audit
            )
            assert "admin.hours" not in audit
    finally:
        driver.quit()
