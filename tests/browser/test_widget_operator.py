"""A live chat with a team member in the widget, in headless Chromium against a fake Rasa.

The fake emits what Rasa's socket.io output sends for the handoff responses (domain/people.yml):
each response's text, then its marker as a message of its own. The person must see (and hear) a
team member's words as a team member's, never as the assistant's, and no "Typing…" while a
person is expected."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.axe import assert_accessible
from tests.browser.conftest import GREETING, QUESTION, FakeRasa, wait_until
from tests.browser.test_chat_widget import open_chat

# Invented words; the widget takes whatever text Rasa sends.
QUEUED = "我已请求团队成员加入。您排在第 1 位。"
BACK = {"content_type": "text", "title": "返回助手", "payload": '/inform{"choice":"leave_queue"}'}
CONNECTED = "一位团队成员已加入对话。"
HELLO = "您好，我是这里团队的一名成员，我会尽力帮助您。"
SAFE_1, SAFE_2 = "您现在安全吗？", "不着急，慢慢说。"
CLOSED = "团队成员已结束对话。谢谢您和我们聊。"
RETURNED = "您已回到助手这里。"

WAITING = {"handoff": "waiting"}
LIVE = {"handoff": "live"}
FROM_OPERATOR = {"handoff": "live", "from": "operator"}
ENDED = {"handoff": "ended"}


class PausingFakeRasa(FakeRasa):
    """The fake Rasa, silent while ``paused`` (as Rasa is while a team member has the chat)."""

    paused = False

    def _build(self) -> web.Application:
        app = super()._build()
        sio = self._sio
        assert sio is not None
        original = sio.handlers["/"]["user_uttered"]

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: dict[str, Any]) -> None:
            if self.paused:
                self.events.append(("user_uttered", data))
                return
            await original(sid, data)

        return app


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """This module's fake Rasa can be paused."""
    server = PausingFakeRasa().start()
    try:
        yield server
    finally:
        server.stop()


def messages(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Every bubble: its kind (class), its text, its screen-reader text and visible name."""
    found: list[dict[str, Any]] = driver.execute_script(
        """return Array.from(document.querySelectorAll('.esea-msg')).map((node) => ({
             kind: ['user', 'bot', 'operator'].find((k) => node.classList.contains('esea-' + k)),
             text: (node.querySelector('.esea-text') || {textContent: ''}).textContent,
             spoken: Array.from(node.children)
               .filter((c) => c.getAttribute('aria-hidden') !== 'true')
               .map((c) => c.textContent).join(''),
             name: node.querySelector('.esea-from') &&
               [node.querySelector('.esea-from').innerText,
                node.querySelector('.esea-from').getAttribute('aria-hidden')],
             background: getComputedStyle(node).backgroundColor,
           }));"""
    )
    return found


def watch_typing(driver: webdriver.Chrome) -> None:
    """Records in the page whether "Typing…" is ever shown from now on."""
    driver.execute_script(
        """const typing = document.querySelector('.esea-typing');
           window.typingShown = false;
           if (window.typingWatch) window.typingWatch.disconnect();
           window.typingWatch = new MutationObserver(() => {
             if (!typing.hidden) window.typingShown = true;
           });
           window.typingWatch.observe(typing, {attributes: true});"""
    )


def typing_shown(driver: webdriver.Chrome) -> bool:
    return bool(driver.execute_script("return window.typingShown"))


def type_message(driver: webdriver.Chrome, text: str) -> None:
    driver.find_element(By.CSS_SELECTOR, "textarea.esea-input").send_keys(text, Keys.ENTER)


def test_team_member_is_shown_and_announced_as_such_and_nothing_types_for_them(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: PausingFakeRasa, artifacts: Path
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    session = driver.execute_script("return window.eseaChat.sessionId")
    t = driver.execute_script("return window.eseaChat.t")  # zh-CN browser: Chinese labels
    assert (t["operator"], t["operatorSr"], t["bot"]) == ("工作人员", "工作人员：", "助手：")

    # Asking for a person: the queued place (with its button), then the "waiting" marker.
    fake_rasa.say(session, {"text": QUEUED, "quick_replies": [BACK]}, WAITING)
    wait_until(lambda: driver.execute_script("return window.eseaChat.handoff") == "waiting")
    assert messages(driver)[-1]["kind"] == "bot"
    # While waiting the report carries on (the fake answers), but nothing says "Typing…".
    watch_typing(driver)
    before = len(messages(driver))
    type_message(driver, "我还在")
    wait_until(lambda: len(messages(driver)) >= before + 3)  # mine, then greeting + question
    assert not typing_shown(driver)

    # A team member accepts: the assistant is paused; their words are theirs.
    fake_rasa.paused = True
    fake_rasa.say(session, {"text": CONNECTED}, LIVE)
    fake_rasa.say(session, {"text": HELLO}, FROM_OPERATOR)
    # Rasa splits a message at blank lines: every part is the team member's.
    fake_rasa.say(session, {"text": SAFE_1}, {"text": SAFE_2}, FROM_OPERATOR)
    wait_until(
        lambda: [m["text"] for m in messages(driver)][-4:] == [CONNECTED, HELLO, SAFE_1, SAFE_2]
    )
    shown = messages(driver)
    assert [m["kind"] for m in shown[-4:]] == ["bot", "operator", "operator", "operator"]
    # The assistant's choices went with it: a press would reach nobody.
    assert not driver.find_elements(By.CSS_SELECTOR, "button.esea-choice")
    for message in shown[-3:]:
        assert message["name"] == ["工作人员", "true"]  # seen; the prefix below is what is read
        assert message["spoken"] == "工作人员：" + message["text"]
        assert not message["spoken"].startswith(t["bot"])
    assert shown[-4]["spoken"] == "助手：" + CONNECTED
    assert shown[-1]["background"] != shown[-4]["background"]  # not the assistant's bubble
    driver.save_screenshot(str(artifacts / "chat-operator-live.png"))
    assert_accessible(driver, "chat_operator_live")

    # The person answers the team member: the assistant stays silent and nothing "types".
    watch_typing(driver)
    type_message(driver, "我现在安全")
    wait_until(lambda: any(m["text"] == "我现在安全" for m in messages(driver)))
    time.sleep(1.0)  # the fake answers after 0.4 s when not paused
    assert not typing_shown(driver)
    assert messages(driver)[-1]["kind"] == "user"

    # A reload keeps who said what, and that a person is still talking.
    driver.refresh()
    open_chat(driver, chat_url, fake_rasa, sessions=2)
    again = messages(driver)
    assert [m["kind"] for m in again] == [m["kind"] for m in shown] + ["user"]
    assert driver.execute_script("return window.eseaChat.handoff") == "live"

    # Closed and handed back: the assistant's words again, and "Typing…" when it will answer.
    fake_rasa.say(session, {"text": CLOSED}, ENDED, {"text": RETURNED}, ENDED)
    fake_rasa.paused = False
    wait_until(lambda: [m["text"] for m in messages(driver)][-2:] == [CLOSED, RETURNED])
    assert [m["kind"] for m in messages(driver)][-2:] == ["bot", "bot"]
    assert driver.execute_script("return window.eseaChat.handoff") == ""
    watch_typing(driver)
    type_message(driver, "好的")
    wait_until(lambda: [m["text"] for m in messages(driver)][-2:] == [GREETING, QUESTION])
    assert typing_shown(driver)


def test_a_live_message_whose_marker_never_comes_is_still_the_team_members(
    driver: webdriver.Chrome, chat_url: str, fake_rasa: PausingFakeRasa
) -> None:
    open_chat(driver, chat_url, fake_rasa, sessions=1)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button.esea-choice"))
    session = driver.execute_script("return window.eseaChat.sessionId")
    fake_rasa.paused = True
    fake_rasa.say(session, {"text": CONNECTED}, LIVE, {"text": HELLO})
    wait_until(lambda: messages(driver)[-1]["text"] == HELLO, timeout=5)
    assert messages(driver)[-1]["kind"] == "operator"
    # An unknown marker changes nothing; "Exit quickly" still leaves at once.
    fake_rasa.say(session, {"handoff": "something else"})
    time.sleep(0.3)
    assert driver.execute_script("return window.eseaChat.handoff") == "live"
    driver.find_element(By.CSS_SELECTOR, ".esea-exit").click()
    wait_until(lambda: driver.current_url == chat_url + "/neutral")
