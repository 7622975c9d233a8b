"""Acceptance crawl of the console, as each role, in a real browser (issue #12's "Done when").

An invented day's store: cases told in Vietnamese, Simplified Chinese, Thai, Korean and English;
one with no contact and no caseworker; one whose partner-sharing consent was withdrawn; one
overdue; one with notes, contact attempts and something the person added later; callbacks; a
waiting live chat that needs an interpreter; a caseworker of one partner organisation with a
consented case, and other organisations' cases they must never see; an admin.

For each role the test signs in and follows every same-origin link from the console's nav (GET
only, never /logout, at most ``MAX_PAGES`` pages). On every page it checks:

1. axe-core finds no critical or serious violation (a screenshot and the axe result are kept under
   ``artifacts/console_day_<role>_<n>.*``);
2. the visible text holds no raw data: no JSON, no button payload, no ISO timestamp, no
   ``null``/``None``/``undefined``/``NaN``/``[object Object]``, no snake_case internal code;
3. the browser console has no severe error;
4. from the top, Tab reaches the main content's first interactive element, and every element Tab
   stops on is the one focused, is inside the viewport and shows a focus indicator.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urldefrag, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select

from bot.crypto import Keyring
from bot.handoff import live
from bot.handoff.accounts import User
from bot.handoff.partners import load_partners
from bot.handoff.queue import add_note, record_attempt, sync_queue
from bot.hours import OpeningHours
from bot.settings import Settings
from bot.store.db import make_engine, make_session_factory
from bot.store.handoff_models import ConsoleUser
from bot.store.models import Case
from bot.store.person import add_to_case, withdraw_consent
from tests.bot.store.drafts import make_draft
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS, make_driver, run_service, wait_until
from tests.browser.console_kit import prepare_store, serve_fake_rasa, sign_in
from tests.service.console.cases import consent
from tests.service.console.conftest import FakeRasa

MAX_PAGES: Final = 60
#: Tab stops checked per page (a long case list has many; the first ones show the pattern).
MAX_TAB_STOPS: Final = 40

#: Invented staff: (e-mail, role, languages, organisation). No underscores anywhere, so that any
#: snake_case word on a page is an internal code, never something a person wrote.
STAFF: Final = (
    ("op@example.org", "operator", "en,vi", None),
    ("admin@example.org", "admin", "en", None),
    ("cw@lotus.example.org", "caseworker", "vi,en", "lotus-bridge-london"),
    ("cw@lantern.example.org", "caseworker", "ko,en", "northern-lantern"),
)
ROLES: Final = {
    "operator": "op@example.org",
    "caseworker": "cw@lotus.example.org",
    "admin": "admin@example.org",
}

NOTE: Final = "Invented note: rang twice, will try again after lunch"
ADDITION: Final = "Invented addition: there was a second man with him, in a blue hat"

#: Raw data that must never be shown to staff, with what it would mean.
RAW: Final = (
    (re.compile(r'\{"|":'), "JSON"),
    (re.compile(r"/(inform|affirm|deny|restart|start|stop)\b|(^|\s)/[a-z_]+\b"), "a payload"),
    (re.compile(r"\d{4}-\d\d-\d\dT|\d\d:\d\d:\d\d\.\d+|[+-]00:00\b"), "an ISO timestamp"),
    (re.compile(r"\b(null|None|undefined|NaN)\b|\[object Object\]"), "a programming value"),
    (re.compile(r"\b[a-z]+_[a-z_]+\b"), "a snake_case code"),
    (re.compile(r"\([a-z]{2,3}(-[A-Z][a-z]{3})?\)"), "a language code in brackets"),
    (re.compile(r"\b(socketio|whatsapp|telegram|sms|web-day-[a-z-]+)\b"), "a channel or sender id"),
    (
        re.compile(r"\b(" + "|".join(re.escape(p.id) for p in load_partners()) + r")\b"),
        "a partner's id",
    ),
)
#: Words with an underscore that are legitimately shown (none yet: the invented data has none).
ALLOWED: Final[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class Day:
    base: str
    references: dict[str, str]
    chats: dict[str, int]
    tmp: Path


@pytest.fixture(scope="module")
def fake_rasa() -> Iterator[tuple[FakeRasa, str]]:
    """The fake Rasa HTTP API on a loopback port (module-wide: the three crawls share it)."""
    with serve_fake_rasa() as served:
        yield served


def store_case(
    factory: Any,
    keyring: Keyring,
    key: str,
    *,
    created: dt.datetime,
    language: str,
    location: str = "near E1 6AN",
    channel: str = "socketio",
    sharing: str = "yes",
    caseworker: bool = True,
    contact: bool = True,
    police: str = "named",
) -> str:
    """An invented case submitted at ``created``; returns its reference."""
    from bot.store.service import submit_report

    overrides: dict[str, Any] = {
        "language": language,
        "channel": channel,
        "conversation_key": f"web-day-{key}",
        "location": location,
        "police": police,
        "caseworker": caseworker,
        "support_needs": ["emotional", "legal_advice"],
        "consents": [
            consent("police_referral", police),
            consent("caseworker_referral", "yes" if caseworker else "no"),
            consent("partner_sharing", sharing),
        ],
    }
    if not contact:
        overrides["contact"] = None
    with factory() as session:
        reference = submit_report(
            session, keyring, make_draft(**overrides), submission_key=f"day-{key}"
        ).reference
        row = session.scalar(select(Case).where(Case.reference == reference))
        row.created_at = created
        session.commit()
    return reference


VICTIM: Final = '/inform{"choice":"victim"}'


def chat_so_far(fake: FakeRasa) -> None:
    """What the people in the live chats said before asking for a person: the Vietnamese one
    pressed a button the bot offered (its payload is in the tracker) and wrote a line; the Thai
    one wrote a line and pressed a button of an earlier turn (no offer in the events)."""
    now = time.time() - 120
    fake.events["web-day-live-vi"] = [
        {
            "event": "bot",
            "text": "Trước tiên, bạn báo cáo cho ai?",
            "data": {"buttons": [{"title": "Chuyện xảy ra với tôi", "payload": VICTIM}]},
            "metadata": {"utter_action": "utter_ask_reporter_role"},
            "timestamp": now,
        },
        {"event": "user", "text": VICTIM, "timestamp": now + 1},
        {"event": "user", "text": "Tôi muốn nói chuyện với một người", "timestamp": now + 2},
    ]
    fake.events["web-day-live-th"] = [
        {"event": "user", "text": VICTIM, "timestamp": now},
        {"event": "user", "text": "ฉันอยากคุยกับเจ้าหน้าที่", "timestamp": now + 1},
    ]


def make_day(env: dict[str, str]) -> tuple[dict[str, str], dict[str, int]]:
    """Fills the store with an invented day; returns the cases' references by what they are and
    the live chats' ids by language."""
    settings = Settings.from_env(env)
    keyring = Keyring.load(settings)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        refs = {
            # Vietnamese, London, shared: the London partner's case, worked today
            "vi": store_case(
                factory, keyring, "vi", created=now - dt.timedelta(hours=5), language="vi"
            ),
            # Simplified Chinese, London, shared, three weeks old: overdue
            "zh": store_case(
                factory, keyring, "zh", created=now - dt.timedelta(days=21), language="zh-Hans"
            ),
            # Thai, Scotland: another partner's case
            "th": store_case(
                factory,
                keyring,
                "th",
                created=now - dt.timedelta(days=1),
                language="th",
                location="near EH1 1YZ",
                channel="telegram",
            ),
            # Korean, Manchester: the northern partner's case
            "ko": store_case(
                factory,
                keyring,
                "ko",
                created=now - dt.timedelta(days=2),
                language="ko",
                location="M1 1AE",
                channel="sms",
            ),
            # English, no contact details, no caseworker: only operators and admins see it
            "bare": store_case(
                factory,
                keyring,
                "bare",
                created=now - dt.timedelta(hours=2),
                language="en",
                channel="whatsapp",
                sharing="no",
                caseworker=False,
                contact=False,
                police="none",
            ),
            # Vietnamese, London, shared, then the person withdrew the sharing consent
            "withdrawn": store_case(
                factory, keyring, "withdrawn", created=now - dt.timedelta(days=3), language="vi"
            ),
        }
        with factory() as session:
            sync_queue(session, keyring, hours=OpeningHours(), partners=load_partners())
            session.commit()  # the handoff functions never commit (bot.store.uow)
        with factory() as session:
            withdraw_consent(
                session,
                keyring,
                refs["withdrawn"],
                "partner_sharing",
                channel="socketio",
                language="vi",
                now=now - dt.timedelta(hours=1),
            )
            session.commit()
        with factory() as session:
            row = session.scalar(select(ConsoleUser).where(ConsoleUser.email == "op@example.org"))
            operator = User(row.id, row.email, "operator", None, ("en", "vi"))
            add_note(session, keyring, operator, refs["vi"], NOTE, now=now - dt.timedelta(hours=3))
            record_attempt(
                session, operator, refs["vi"], "no_answer", now=now - dt.timedelta(hours=4)
            )
            record_attempt(
                session, operator, refs["vi"], "voicemail", now=now - dt.timedelta(hours=2)
            )
            add_to_case(
                session,
                keyring,
                refs["vi"],
                ADDITION,
                channel="socketio",
                language="vi",
                now=now - dt.timedelta(minutes=90),
            )
            session.commit()
            # A live chat waiting in Thai (nobody on duty speaks it) and one in Vietnamese
            live.enqueue(
                session,
                conversation_id="web-day-live-th",
                channel="socketio",
                language="th",
                now=now - dt.timedelta(minutes=4),
                interpreter=True,
            )
            live.enqueue(
                session,
                conversation_id="web-day-live-vi",
                channel="socketio",
                language="vi",
                now=now - dt.timedelta(minutes=2),
            )
            session.commit()
            # ... the Vietnamese one accepted by the operator (the queue links to it)
            chats = {
                key: live.open_request(session, f"web-day-live-{key}").id for key in ("th", "vi")
            }
            live.accept(session, chats["vi"], operator.id, now=now - dt.timedelta(minutes=1))
            session.commit()
        return refs, chats
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, fake_rasa: tuple[FakeRasa, str]) -> Iterator[Day]:
    fake, rasa_url = fake_rasa
    tmp = tmp_path_factory.mktemp("console-day")
    env = prepare_store(tmp / "var", staff=STAFF)
    references, chats = make_day(env)
    chat_so_far(fake)
    # nobody's wait runs out during the crawls (the time-out has its own tests)
    env["HANDOFF_WAIT_SECONDS"] = "3600"
    with run_service(rasa_url, extra_env=env) as base:
        yield Day(base, references, chats, tmp)


# -- the checks ---------------------------------------------------------------------------------


def raw_data(text: str) -> list[str]:
    """What in ``text`` looks like raw data, each with a little of its surroundings."""
    found = []
    for pattern, what in RAW:
        for match in pattern.finditer(text):
            if what == "a snake_case code" and match.group(0) in ALLOWED:
                continue
            start, end = max(0, match.start() - 30), match.end() + 30
            found.append(f"{what}: {match.group(0)!r} in {text[start:end]!r}")
    return found


def settle(driver: Any) -> str:
    """Waits for the page to load and its scripts to fill it (text unchanged for 0.6 s)."""
    wait_until(lambda: driver.execute_script("return document.readyState") == "complete", 15)
    wait_until(lambda: driver.find_elements(By.ID, "main"), 15)
    last, since = None, time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = driver.execute_script("return document.body.innerText")
        if text != last:
            last, since = text, time.monotonic()
        elif time.monotonic() - since > 0.6 and "Loading" not in text:
            break
        time.sleep(0.1)
    return str(last)


FOCUSABLE_JS: Final = """
const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
const visible = (e) => e.offsetParent !== null || getComputedStyle(e).position === 'fixed';
const ok = (e) => !e.disabled && e.tabIndex >= 0 && visible(e);
return Array.from(document.querySelectorAll('#main ' + sel.split(', ').join(', #main ')))
  .filter(ok)[0] || null;
"""

FOCUS_STATE_JS: Final = """
const e = document.activeElement;
if (!e || e === document.body) return null;
const r = e.getBoundingClientRect();
const s = getComputedStyle(e);
const inView = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth
  && r.width > 0 && r.height > 0;
const shown = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
  || s.boxShadow !== 'none';
return {inView: inView, shown: shown, date: /^(date|time|datetime-local|month|week)$/.test(e.type),
        what: e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.innerText || e.value || '').slice(0, 40)};
"""


def check_keyboard(driver: Any, page: str) -> None:
    """Tab from the top: every stop is focused, in view and visibly so; the main content's first
    interactive element is reached."""
    first = driver.execute_script(FOCUSABLE_JS)
    driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
    driver.find_element(By.TAG_NAME, "body")
    reached_main = first is None
    previous = None
    for _ in range(MAX_TAB_STOPS):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        state = driver.execute_script(FOCUS_STATE_JS)
        if state is None:  # focus left the page: the whole page was tabbed through
            break
        active = driver.switch_to.active_element
        # a date field takes one Tab per part (day, month, year): the same element again
        if active == previous and state["date"]:
            continue
        assert active != previous, f"{page}: Tab did not move on from {state['what']}"
        assert state["inView"], f"{page}: {state['what']} has focus but is out of view"
        assert state["shown"], f"{page}: {state['what']} has focus but shows no focus indicator"
        previous = active
        if first is not None and active == first:
            reached_main = True
    assert reached_main, f"{page}: Tab never reached the main content's first interactive element"


def severe_errors(driver: Any) -> list[str]:
    """Severe browser console entries (the browser's own favicon request aside, as elsewhere)."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e.get("level") == "SEVERE" and "favicon.ico" not in e["message"]
    ]


def links(driver: Any, base: str) -> list[str]:
    """The page's same-origin links (no fragment), in page order."""
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map((a) => a.href)"
    )
    origin = urlsplit(base).netloc
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == origin:
            found.append(url)
    return found


def wanted(url: str) -> bool:
    path = urlsplit(url).path
    return path not in ("/logout", "/login") and not path.startswith("/console/static/")


@pytest.mark.parametrize("role", list(ROLES))
def test_a_day_in_the_console_shows_only_words(day: Day, role: str) -> None:
    hidden = (
        {day.references["th"], day.references["ko"], day.references["withdrawn"]}
        | {day.references["bare"]}
        if role == "caseworker"
        else set()
    )
    driver: Any = make_driver(
        width=1280, height=900, languages="en-GB,en", profile_dir=day.tmp / f"profile-{role}"
    )
    visited: list[str] = []
    problems: list[str] = []
    try:
        sign_in(driver, day.base, ROLES[role])
        settle(driver)
        todo = [day.base + "/console"] + links(driver, day.base)
        if role != "caseworker":
            # a waiting chat's page is reached by its Accept button (a POST): opened directly
            todo += [f"{day.base}/console/live/{chat}" for chat in day.chats.values()]
        todo = [u for u in todo if wanted(u)]
        while todo and len(visited) < MAX_PAGES:
            url = todo.pop(0)
            if url in visited:
                continue
            visited.append(url)
            driver.get(url)
            text = settle(driver)
            page = f"{role} {urlsplit(url).path}{'?' + urlsplit(url).query if urlsplit(url).query else ''}"
            name = f"console_day_{role}_{len(visited):02d}"
            # the page's visible words beside its screenshot (invented data only), for review
            (ARTIFACTS / f"{name}.txt").write_text(f"{page}\n\n{text}", encoding="utf-8")
            try:
                assert_accessible(driver, name)
            except AssertionError as error:
                problems.append(f"{page}: {error}")
            problems += [f"{page}: {p}" for p in raw_data(text)]
            problems += [f"{page}: browser error {e}" for e in severe_errors(driver)]
            for reference in hidden:
                if reference in text or reference in url:
                    problems.append(f"{page}: a case this caseworker must not see: {reference}")
            try:
                check_keyboard(driver, page)
            except AssertionError as error:
                problems.append(str(error))
            todo += [u for u in links(driver, day.base) if wanted(u) and u not in visited]
        print(f"{role} visited {len(visited)} pages:", *visited, sep="\n  ")
        assert not problems, "\n".join(problems)
        # Overdue in words on the queue, not by colour alone: the three-week-old case's rows.
        queue = (ARTIFACTS / f"console_day_{role}_01.txt").read_text(encoding="utf-8")
        rows = [line for line in queue.splitlines() if line.startswith(day.references["zh"])]
        assert rows and all("(overdue)" in line for line in rows), rows
        paths = {urlsplit(u).path for u in visited}
        assert "/console/cases" in paths
        if role == "caseworker":
            assert f"/console/cases/{day.references['vi']}" in paths
            assert "/console/admin" not in paths
        else:
            for reference in day.references.values():
                assert f"/console/cases/{reference}" in paths, reference
        if role == "admin":
            assert "/console/admin" in paths
        if role in ("operator", "admin"):
            for chat in day.chats.values():
                assert f"/console/live/{chat}" in paths
    finally:
        driver.quit()
