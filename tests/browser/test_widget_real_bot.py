"""The real widget against the real bot: a complete report in headless Chromium, in English and
in Simplified Chinese, then "Exit quickly" clears everything. Screenshots go to artifacts/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.store import service
from tests.browser.conftest import make_driver, wait_until
from tests.e2e.conftest import Stack, start_stack

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
        return "\n".join(n.text for n in self.driver.find_elements(By.CSS_SELECTOR, ".esea-bot"))


def walk_report(widget: Widget, opener: str, menu_index: int, words: dict[str, str]) -> str:
    widget.type(opener)
    if len(widget.buttons()) == 12:  # the language menu: choose explicitly
        widget.press(menu_index)
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
    ("languages", "opener", "menu_index", "words", "code"),
    [
        ("en-GB,en", "hello", 0,
         {"description": "A man shouted at me in the park.", "when": "yesterday", "where": "Leeds"},
         "en"),
        ("zh-CN,zh", "你好，我想举报", 1,
         {"description": "昨天有人在公园里骂我。", "when": "昨天", "where": "曼彻斯特"}, "zh-Hans"),
    ],
)
def test_complete_report_in_the_browser_then_exit_quickly(
    real_stack: Stack, tmp_path: Path, languages: str, opener: str, menu_index: int,
    words: dict[str, str], code: str,
) -> None:
    artifacts = Path(__file__).resolve().parents[2] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    driver = make_driver(width=390, height=844, languages=languages, profile_dir=tmp_path / "p")
    try:
        driver.get(real_stack.service_url + "/")
        wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "textarea.esea-input"))
        widget = Widget(driver)
        reference = walk_report(widget, opener, menu_index, words)
        driver.save_screenshot(str(artifacts / f"widget-real-bot-{code}.png"))
        sessions, keyring = real_stack.store()
        with sessions() as session:
            case = service.get_case(session, keyring, reference)
        assert case is not None and case["language"] == code and case["channel"] in ("socketio", "web")
        assert case["incident"]["description"] == words["description"]
        driver.find_element(By.CSS_SELECTOR, ".esea-exit").click()
        wait_until(lambda: "/neutral" in driver.current_url or "weather" in driver.current_url)
        leftovers = driver.execute_script(
            "return Object.keys(sessionStorage).concat(Object.keys(localStorage))"
        )
        assert not [k for k in leftovers if k.startswith("esea")]
        assert words["description"] not in driver.page_source
    finally:
        driver.quit()
