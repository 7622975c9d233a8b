"""The chat page in headless Chromium against a fake Rasa: the greeting on open, buttons, reload,
Exit quickly (which also asks the server to erase), and a typed "exit" the bot erased."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
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
ERASED_TEXT = "Done. I have deleted this chat."
GREET = "/greet"


class ErasingFakeRasa(FakeRasa):
    """The fake Rasa plus what the real one does on erasure: ``POST /webhooks/socketio/erase``
    (channels/quick_exit.py) is recorded, and a typed "exit" is answered with the erasure reply
    and the ``{"erased": true}`` marker (actions/intake.py ``say_erased``)."""

    def _build(self) -> web.Application:
        app = super()._build()
        sio = self._sio
        assert sio is not None
        original = sio.handlers["/"]["user_uttered"]

        async def erase(request: web.Request) -> web.Response:
            self.events.append(("erase", await request.text()))
            return web.Response(status=204)

        app.router.add_post("/webhooks/socketio/erase", erase)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: dict[str, Any]) -> None:
            if data.get("message") != "exit":
                await original(sid, data)
                return
            self.events.append(("user_uttered", data))
            room = data.get("session_id")
            await asyncio.sleep(0.2)
            await sio.emit("bot_uttered", {"text": ERASED_TEXT}, room=room)
            await sio.emit("bot_uttered", {"erased": True}, room=room)

        return app


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """This module's fake Rasa also serves the erase route and erases on "exit"."""
    server = ErasingFakeRasa().start()
    try:
        yield server
    finally:
        server.stop()


def typed(fake_rasa: FakeRasa) -> list[str]:
    """What the widget sent, without its unseen greeting payload."""
    return [m["message"] for m in fake_rasa.received("user_uttered") if m["message"] != GREET]


def bubbles(driver: webdriver.Chrome) -> list[tuple[str, str]]:
    """(who, text) of every message bubble, who being "user" or "bot"."""
    # One script: the log may be redrawn between two element look-ups (stale elements).
    found = driver.execute_script(
        """return Array.from(document.querySelectorAll('.esea-msg')).map((node) => [
             node.classList.contains('esea-user') ? 'user' : 'bot',
             (node.querySelector('.esea-text') || {innerText: ''}).innerText]);"""
    )
    return [(who, text) for who, text in found]


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

    # The bot greets first: nobody has to type before seeing the welcome and the first choices.
    choices = wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    assert [c.text for c in choices] == [VICTIM_TITLE, WITNESS_TITLE]
    assert bubbles(driver) == [("bot", GREETING), ("bot", QUESTION)]
    driver.save_screenshot(str(artifacts / "chat-360-buttons.png"))

    box = driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
    box.send_keys("hello", Keys.ENTER)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".esea-typing:not([hidden])"), 3)
    wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")) == 2)
    assert bubbles(driver) == [
        ("bot", GREETING),
        ("bot", QUESTION),
        ("user", "hello"),
        ("bot", GREETING),
        ("bot", QUESTION),
    ]
    choices = driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")
    choices[0].click()
    wait_until(lambda: ("bot", THANKS) in bubbles(driver))
    expected = [
        ("bot", GREETING),
        ("bot", QUESTION),
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
    assert [m["message"] for m in messages] == [GREET, "hello", VICTIM_PAYLOAD]
    assert all(m["customData"] == HINT for m in messages)
    confirmed = messages[0]["session_id"]
    assert confirmed and all(m["session_id"] == confirmed for m in messages)

    # A reload keeps the conversation: same Rasa session, transcript redrawn from sessionStorage.
    driver.refresh()
    open_chat(driver, chat_url, fake_rasa, sessions=2)
    assert fake_rasa.received("session_request")[1] == {"session_id": confirmed}
    assert bubbles(driver) == expected
    time.sleep(1.0)  # A greeting would have been sent by now: a reload must not greet again.
    assert [m["message"] for m in fake_rasa.received("user_uttered")].count(GREET) == 1
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
    # The server is asked to erase the conversation too (a beacon: the page did not wait).
    erased = wait_until(lambda: fake_rasa.received("erase"))
    assert [json.loads(body) for body in erased] == [{"session_id": confirmed}]
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
    wait_until(lambda: ("user", "hi") in bubbles(driver))
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    session_id = driver.execute_script("return window.eseaChat.sessionId")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ESCAPE)
    assert driver.current_url == chat_url + "/"  # One Esc alone does nothing.
    time.sleep(0.3)
    assert not fake_rasa.received("erase")
    body.send_keys(Keys.ESCAPE)
    wait_until(lambda: driver.current_url == chat_url + "/neutral")
    assert widget_storage(driver) == {"session": {}, "local": {}}
    erased = wait_until(lambda: fake_rasa.received("erase"))
    assert [json.loads(body) for body in erased] == [{"session_id": session_id}]


def test_typed_exit_clears_the_screen_and_storage_and_a_reload_shows_nothing_of_it(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa, artifacts: Path
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    box = driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
    box.send_keys("Invented: someone shouted at me", Keys.ENTER)
    wait_until(lambda: len(bubbles(driver)) >= 5)
    stored = json.dumps(widget_storage(driver), ensure_ascii=False)
    assert "Invented: someone shouted at me" in stored

    box.send_keys("exit", Keys.ENTER)
    wait_until(lambda: bubbles(driver) == [("bot", ERASED_TEXT)])
    assert not driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")
    storage = widget_storage(driver)
    text = json.dumps(storage, ensure_ascii=False)
    for gone in ("Invented: someone shouted at me", GREETING, ERASED_TEXT, "exit"):
        assert gone not in text, gone
    assert storage["local"] == {}
    driver.save_screenshot(str(artifacts / "chat-360-after-typed-exit.png"))
    assert not fake_rasa.received("erase")  # the bot erased it; no beacon needed

    driver.refresh()
    open_chat(driver, chat_url, fake_rasa, sessions=2)
    wait_until(lambda: bubbles(driver) == [("bot", GREETING), ("bot", QUESTION)])  # a fresh start
    page = driver.page_source
    for gone in ("Invented: someone shouted at me", ERASED_TEXT):
        assert gone not in page, gone


def test_keyboard_order_starts_with_exit_then_log_input_send(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: FakeRasa
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)  # Nothing focused yet.
    wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")) == 2)
    order = []
    for _ in range(6):
        webdriver.ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        order.append((active.tag_name, active.get_attribute("class")))
    assert order == [
        ("button", "esea-exit"),
        ("div", "esea-log"),
        ("button", "esea-choice"),  # the greeting's choices, in the log
        ("button", "esea-choice"),
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
    wait_until(lambda: typed(fake_rasa) == ["still there?"])
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
    wait_until(lambda: driver.execute_script("return window.eseaChat.confirmed"))
    time.sleep(0.5)
    assert fake_rasa.received("user_uttered") == []  # only looking at the host page: no greeting
    launcher.click()
    wait_until(lambda: [m["message"] for m in fake_rasa.received("user_uttered")] == [GREET])
    box = driver.find_element(By.CSS_SELECTOR, "textarea.esea-input")
    assert driver.switch_to.active_element == box  # Opening moves focus into the chat.
    wait_until(lambda: driver.execute_script("return window.eseaChat.confirmed"))
    box.send_keys("hello", Keys.ENTER)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    assert all(m["customData"] == HINT for m in fake_rasa.received("user_uttered"))
    driver.save_screenshot(str(artifacts / "embedded-360.png"))
    driver.find_element(By.CSS_SELECTOR, ".esea-exit").click()
    wait_until(lambda: driver.current_url == chat_url + "/neutral")
    # Back on the host origin (without the widget this time), its storage holds nothing of ours.
    fake_rasa.host_page = "<!doctype html><title>Community centre</title>"
    driver.get(fake_rasa.url + "/host")
    assert widget_storage(driver) == {"session": {}, "local": {}}
