"""axe-core on the person's pages: the chat page once the greeting and its choices are shown, and
the neutral page "Exit quickly" leads to. Fails on any critical or serious violation."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.browser.axe import assert_accessible
from tests.browser.conftest import FakeRasa, wait_until
from tests.browser.test_chat_widget import open_chat


def test_chat_page_with_the_greeting_and_its_choices(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")) == 2)
    log = driver.find_element(By.CSS_SELECTOR, ".esea-log")
    # The scrolling transcript is reachable by keyboard and named.
    assert log.get_attribute("tabindex") == "0" and log.get_attribute("aria-label")
    assert_accessible(driver, "chat_page")


def test_neutral_exit_page(driver: webdriver.Chrome, chat_url: str) -> None:
    driver.get(chat_url + "/neutral")
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "h1"))
    assert_accessible(driver, "chat_neutral_page")
