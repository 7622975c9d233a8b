"""The chat page in headless Chromium against a fake Rasa: buttons, reload, Exit quickly."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import (
    GREETING,
    QUESTION,
    THANKS,
    VICTIM_PAYLOAD,
    VICTIM_TITLE,
    WITNESS_TITLE,
    FakeRasa,
    wait_until,
)

HINT = {"channel": "web", "language_hint": "zh-Hans", "hint_source": "browser"}


def bubbles(driver: webdriver.Chrome) -> list[tuple[str, str]]:
    """(who, text) of every message bubble, who being "user" or "bot"."""
    found = []
    for node in driver.find_elements(By.CSS_SELECTOR, ".esea-msg"):
        who = "user" if "esea-user" in (node.get_attribute("class") or "") else "bot"
        text = node.find_element(By.CSS_SELECTOR, ".esea-text").text
        found.append((who, text))
    return found


def widget_storage(driver: webdriver.Chrome) -> dict[str, Any]:
    """Every sessionStorage and localStorage entry of the current origin."""
    script = """
      const dump = (s) => Object.fromEntries(Array.from({length: s.length}, (_, i) => s.key(i))
        .map((k) => [k, s.getItem(k)]));
      return {session: dump(sessionStorage), local: dump(localStorage)};
    """
    result: dict[str, Any] = driver.execute_script(script)
    return result


def open_chat(driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa, sessions: int) -> None:
    """Loads the chat page and waits until its socket has confirmed a session."""
    driver.get(chat_url + "/")
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "textarea.esea-input"))
    wait_until(lambda: len(fake_rasa.received("session_request")) >= sessions)
    wait_until(lambda: driver.execute_script("return window.eseaChat && window.eseaChat.confirmed"))


def test_conversation_buttons_reload_and_exit_quickly(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa, artifacts: Path
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    # UI strings follow the browser language (zh-CN here).
    assert driver.find_element(By.CSS_SELECTOR, ".esea-send").text == "发送"
    assert driver.find_element(By.CSS_SELECTOR, ".esea-exit").text == "快速离开"
    log = driver.find_element(By.CSS_SELECTOR, "[role=log]")
    assert log.get_attribute("aria-live") == "polite"
    label = driver.find_element(By.CSS_SELECTOR, "label[for]")
    assert driver.find_element(By.ID, label.get_attribute("for") or "").tag_name == "textarea"

    box = driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
    box.send_keys("hello", Keys.ENTER)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".esea-typing:not([hidden])"), 3)
    choices = wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    assert [c.text for c in choices] == [VICTIM_TITLE, WITNESS_TITLE]
    assert bubbles(driver) == [("user", "hello"), ("bot", GREETING), ("bot", QUESTION)]
    driver.save_screenshot(str(artifacts / "chat-360-buttons.png"))

    choices[0].click()
    wait_until(lambda: ("bot", THANKS) in bubbles(driver))
    expected = [
        ("user", "hello"),
        ("bot", GREETING),
        ("bot", QUESTION),
        ("user", VICTIM_TITLE),  # The title is shown, never the payload.
        ("bot", THANKS),
    ]
    assert bubbles(driver) == expected
    assert not driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")
    assert driver.switch_to.active_element.tag_name == "textarea"  # Focus not lost.

    session_id = fake_rasa.received("session_request")  # First request carries no id yet.
    assert session_id[0] == {"session_id": None}
    messages = fake_rasa.received("user_uttered")
    assert [m["message"] for m in messages] == ["hello", VICTIM_PAYLOAD]
    assert all(m["customData"] == HINT for m in messages)
    confirmed = messages[0]["session_id"]
    assert confirmed and all(m["session_id"] == confirmed for m in messages)

    # A reload keeps the conversation: same Rasa session, transcript redrawn from sessionStorage.
    driver.refresh()
    open_chat(driver, chat_url, fake_rasa, sessions=2)
    assert fake_rasa.received("session_request")[1] == {"session_id": confirmed}
    assert bubbles(driver) == expected
    assert not driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")  # Already answered.
    assert widget_storage(driver)["session"]  # Something of ours is stored before the exit.
    driver.set_window_size(1280, 800)
    driver.save_screenshot(str(artifacts / "chat-desktop.png"))

    disconnects_before = len(fake_rasa.received("disconnect"))
    driver.find_element(By.CSS_SELECTOR, ".esea-exit").click()
    wait_until(lambda: driver.current_url == chat_url + "/neutral")
    assert driver.title == "Today's forecast"
    assert "chat" not in driver.page_source.lower()
    assert widget_storage(driver) == {"session": {}, "local": {}}
    wait_until(lambda: len(fake_rasa.received("disconnect")) > disconnects_before)
    driver.save_screenshot(str(artifacts / "after-exit.png"))
    # location.replace: Back does not return to the chat page.
    driver.back()
    time.sleep(0.5)
    assert driver.current_url != chat_url + "/"


def test_escape_twice_exits_quickly(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    driver.find_element(By.CSS_SELECTOR, "textarea.esea-input").send_keys("hi", Keys.ENTER)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ESCAPE)
    assert driver.current_url == chat_url + "/"  # One Esc alone does nothing.
    body.send_keys(Keys.ESCAPE)
    wait_until(lambda: driver.current_url == chat_url + "/neutral")
    assert widget_storage(driver) == {"session": {}, "local": {}}


def test_keyboard_order_starts_with_exit_then_log_input_send(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)  # Nothing focused yet.
    order = []
    for _ in range(4):
        webdriver.ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        order.append((active.tag_name, active.get_attribute("class")))
    assert order == [
        ("button", "esea-exit"),
        ("div", "esea-log"),
        ("textarea", "esea-input"),
        ("button", "esea-send"),
    ]
    # Visible focus ring on the focused Send button.
    outline = driver.switch_to.active_element.value_of_css_property("outline-style")
    assert outline == "solid"


def test_connection_lost_message_then_automatic_reconnect(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa, artifacts: Path
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    status = driver.find_element(By.CSS_SELECTOR, ".esea-status")
    assert status.get_attribute("role") == "status"
    fake_rasa.stop()
    wait_until(lambda: status.text == "连接中断了，正在重新连接，请稍等。", timeout=10)
    driver.save_screenshot(str(artifacts / "chat-360-connection-lost.png"))
    # A message typed while offline is kept and delivered after the reconnect.
    driver.find_element(By.CSS_SELECTOR, "textarea.esea-input").send_keys(
        "still there?", Keys.ENTER
    )
    fake_rasa.start()
    wait_until(lambda: status.text == "已重新连接。", timeout=20)
    wait_until(
        lambda: [m["message"] for m in fake_rasa.received("user_uttered")] == ["still there?"]
    )
    wait_until(lambda: ("bot", QUESTION) in bubbles(driver))


def test_no_console_errors_or_csp_violations(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    errors = [
        entry
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]
    assert errors == [], json.dumps(errors, ensure_ascii=False)


def test_embedded_on_another_site_as_floating_panel(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa, artifacts: Path
) -> None:
    fake_rasa.host_page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Community centre</title>
      <script src="{chat_url}/widget.js" data-socket-url="{fake_rasa.url}"
              data-exit-url="{chat_url}/neutral" defer></script></head>
      <body><h1>Community centre</h1><p>Opening hours and news.</p></body></html>"""
    driver.get(fake_rasa.url + "/host")
    launcher = wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-launcher"))[0]
    assert launcher.get_attribute("aria-expanded") == "false"
    assert not driver.find_element(By.CSS_SELECTOR, ".esea-chat").is_displayed()
    launcher.click()
    box = driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
    assert driver.switch_to.active_element == box  # Opening moves focus into the chat.
    wait_until(lambda: driver.execute_script("return window.eseaChat.confirmed"))
    box.send_keys("hello", Keys.ENTER)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    assert fake_rasa.received("user_uttered")[0]["customData"] == HINT
    driver.save_screenshot(str(artifacts / "embedded-360.png"))
    driver.find_element(By.CSS_SELECTOR, ".esea-exit").click()
    wait_until(lambda: driver.current_url == chat_url + "/neutral")
    # Back on the host origin (without the widget this time), its storage holds nothing of ours.
    fake_rasa.host_page = "<!doctype html><title>Community centre</title>"
    driver.get(fake_rasa.url + "/host")
    assert widget_storage(driver) == {"session": {}, "local": {}}
