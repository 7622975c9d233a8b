"""The language the prepared messages are listed in on the live page: the operator's own choice
(English by default, the English beside any other), kept for their account across chats, chosen
with a plain form (CSRF field, post/redirect/get); what is sent is always in the person's
language, whatever the listing says."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.handoff import canned
from tests.service.console.conftest import MakeConsole, login, queue_live_chat

CHOOSE = "/console/live/{id}/canned-language"


def _enqueue(session_factory: Any, users: Any, cid: str, language: str) -> int:
    return queue_live_chat(session_factory, users, language, cid)


async def _operator_on_a_chat(
    make_console: MakeConsole, users: Any, session_factory: Any, language: str = "vi"
) -> tuple[Any, int]:
    """The operator signed in, and a chat waiting in `language`: (client, request id)."""
    request_id = _enqueue(session_factory, users, "web-sid-listing-1", language)
    client = await make_console()
    await login(client, "operator@example.org")
    return client, request_id


async def _page(client: Any, request_id: int, query: str = "") -> str:
    response = await client.get(f"/console/live/{request_id}{query}")
    assert response.status == 200
    return html.unescape(await response.text())


def _form_token(page: str) -> str:
    form = page.split('id="canned-language-form"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]


def _selected_language(page: str) -> str:
    select = page.split('id="canned-language"', 1)[1].split("</select>", 1)[0]
    return re.search(r'<option value="([^"]+)" selected>', select).group(1)  # type: ignore[union-attr]


def _prepared(page: str) -> list[str]:
    select = page.split('<select id="canned"', 1)[1].split("</select>", 1)[0]
    return re.findall(r"<option [^>]*>([^<]*)</option>", select)


async def _choose(client: Any, request_id: int, language: str, token: str) -> Any:
    return await client.post(
        CHOOSE.format(id=request_id),
        data={"language": language, "csrf_token": token},
        allow_redirects=False,
    )


def test_titles_are_listed_in_the_chosen_language_with_the_english_beside_them() -> None:
    english = canned.canned_choices("en")
    assert canned.canned_titles("en") == [(key, title, None) for key, title in english]
    listed = canned.canned_titles("zh-Hant")
    assert [key for key, _t, _e in listed] == list(canned.CANNED)
    for (key, title, beside), (_key, title_en) in zip(listed, english, strict=True):
        assert title == dict(canned.canned_choices("zh-Hant"))[key] and title != title_en
        assert beside == title_en
    # Any letter case of a code we speak; anything else lists English.
    assert canned.canned_titles("ZH-hant") == listed
    for unknown in ("xx", "", None, "<b>en</b>"):
        assert canned.canned_titles(unknown) == canned.canned_titles("en")
        assert canned.listing_language(unknown) is None


async def test_english_by_default_every_language_offered_in_words(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    client, request_id = await _operator_on_a_chat(make_console, users, session_factory)
    page = await _page(client, request_id)
    assert _selected_language(page) == "en"
    assert _prepared(page) == [title for _key, title in canned.canned_choices("en")]
    assert "(English:" not in page.split('<select id="canned"', 1)[1].split("</select>")[0]
    offered = page.split('id="canned-language"', 1)[1].split("</select>", 1)[0]
    names = re.findall(r">([^<]+)</option>", offered)
    assert len(names) == 12 and names[0] == "English"
    assert "Chinese (Traditional)" in names and "Vietnamese" in names
    assert '<label for="canned-language">' in page
    assert f'action="{CHOOSE.format(id=request_id)}"' in page and 'method="post"' in page


async def test_the_choice_lasts_across_chats_and_is_the_operators_own(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    first = _enqueue(session_factory, users, "web-sid-listing-1", "vi")
    second = _enqueue(session_factory, users, "web-sid-listing-2", "ko")
    client = await make_console()
    await login(client, "operator@example.org")
    token = _form_token(await _page(client, first))
    response = await _choose(client, first, "zh-Hant", token)
    assert response.status == 303
    assert response.headers["Location"] == f"/console/live/{first}#canned"

    for request_id in (first, second):
        page = await _page(client, request_id)
        assert _selected_language(page) == "zh-Hant"
        titles = dict(canned.canned_choices("zh-Hant"))
        assert _prepared(page) == [
            f"{titles[key]} (English: {title_en})" for key, title_en in canned.canned_choices("en")
        ]
        assert 'lang="zh-Hant"' in page and "listed in Chinese (Traditional)" in page

    # Another account is not changed; the operator finds theirs on signing in again.
    await login(client, "admin@example.org")
    assert _selected_language(await _page(client, first)) == "en"
    await login(client, "operator@example.org")
    page = await _page(client, second)
    assert _selected_language(page) == "zh-Hant"

    # Back to English: no English beside English.
    assert (await _choose(client, second, "en", _form_token(page))).status == 303
    page = await _page(client, first)
    assert _selected_language(page) == "en"
    assert _prepared(page) == [title for _key, title in canned.canned_choices("en")]


async def test_the_message_sent_is_in_the_persons_language_whatever_the_listing(
    make_console: MakeConsole, users: Any, session_factory: Any, fake_rasa: Any
) -> None:
    from tests.service.console.test_live_chat import _audit_rows, _post

    fake, _server = fake_rasa
    request_id = _enqueue(session_factory, users, "web-sid-listing-1", "vi")
    client = await make_console()
    csrf = await login(client, "operator@example.org")
    assert csrf is not None
    assert (await _choose(client, request_id, "zh-Hant", csrf)).status == 303
    assert (await _post(client, csrf, request_id, "accept")).status == 200
    # Whatever a client adds, the server takes the language from the chat.
    sent = await _post(client, csrf, request_id, "canned", key="call_back", language="zh-Hant")
    assert sent.status == 200
    said = [e[2] for e in fake.executed if e[1] == "utter_operator_message"]
    assert said == [canned.canned_text("call_back", "vi")]
    assert canned.canned_text("call_back", "zh-Hant") not in said
    rows = [r for r in _audit_rows(session_factory) if r[1] == "live.reply_canned"]
    op = users["op"].id
    assert rows == [(op, "live.reply_canned", f"chat-{request_id}", {"canned": "call_back"})]
    # Choosing a listing language is not a change of the chat: no audit row for it.
    assert not [r for r in _audit_rows(session_factory) if "language" in r[1]]


async def test_an_unknown_language_is_refused_kindly_and_nothing_changes(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    client, request_id = await _operator_on_a_chat(make_console, users, session_factory)
    token = _form_token(await _page(client, request_id))
    assert (await _choose(client, request_id, "vi", token)).status == 303
    for unknown in ("xx", "", "en-US-x-<b>", "klingon"):
        response = await _choose(client, request_id, unknown, token)
        assert response.status == 303
        location = response.headers["Location"]
        assert location == f"/console/live/{request_id}?problem=language#canned-language"
        page = await _page(client, request_id, "?problem=language")
        assert "cannot be listed in that language, so they are still listed in Vietnamese" in page
        assert 'role="alert"' in page and 'aria-describedby="canned-language-problem"' in page
        assert _selected_language(page) == "vi"
    # A code in another letter case is ours.
    assert (await _choose(client, request_id, "ZH-HANS", token)).status == 303
    assert _selected_language(await _page(client, request_id)) == "zh-Hans"
    # Without the problem in the address, no problem is shown.
    assert "cannot be listed" not in await _page(client, request_id)


async def test_an_unknown_stored_choice_falls_back_to_english(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    from tests.service.console.conftest import console_state

    client, request_id = await _operator_on_a_chat(make_console, users, session_factory)
    console_state(client).canned_listing[users["op"].id] = "no-longer-spoken"
    page = await _page(client, request_id)
    assert _selected_language(page) == "en"
    assert _prepared(page) == [title for _key, title in canned.canned_choices("en")]


async def test_the_form_needs_its_csrf_field_and_our_origin_like_every_form(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    client, request_id = await _operator_on_a_chat(make_console, users, session_factory)
    token = _form_token(await _page(client, request_id))
    origin = str(client.make_url("")).rstrip("/")
    for headers, data in (
        ({}, {"language": "ko"}),
        ({"Origin": origin}, {"language": "ko", "csrf_token": "stale"}),
        ({"Origin": "https://elsewhere.example"}, {"language": "ko", "csrf_token": token}),
    ):
        response = await client.post(
            CHOOSE.format(id=request_id), data=data, headers=headers, allow_redirects=False
        )
        text = await response.text()
        assert response.status == 403 and response.content_type == "text/html", text
        assert "Nothing was changed" in text or "nothing was changed" in text
    assert _selected_language(await _page(client, request_id)) == "en"


async def test_caseworkers_and_strangers_cannot_choose(
    make_console: MakeConsole, users: Any, session_factory: Any
) -> None:
    request_id = _enqueue(session_factory, users, "web-sid-listing-1", "vi")
    client = await make_console()
    csrf = await login(client, "cw@lotus.example.org")
    assert csrf is not None
    assert (await _choose(client, request_id, "vi", csrf)).status == 403
    assert (await client.get(f"/console/live/{request_id}")).status == 403
    stranger = await make_console()
    response = await stranger.post(
        CHOOSE.format(id=request_id), data={"language": "vi"}, allow_redirects=False
    )
    assert response.status in (401, 403)
    # Only a chat number: anything else is no such page.
    operator = await make_console()
    token = await login(operator, "operator@example.org")
    response = await operator.post(
        "/console/live/abc/canned-language",
        data={"language": "vi", "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 404
