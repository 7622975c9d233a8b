"""Shared channel helpers: payloads (channels/payloads), language hints (channels/metadata),
numbered options and SMS segmentation (channels/render), per-person locks (channels/locks)."""

from __future__ import annotations

import regex

from channels.metadata import language_hint_from_locale, language_hint_from_phone
from channels.payloads import inform_payload, sanitise_text
from channels.render import (
    GSM7,
    UCS2,
    Option,
    match_option,
    render_numbered,
    sms_budget,
    sms_encoding,
    sms_text,
    sms_units,
    split_long,
    split_sms,
)

OPTIONS = [Option("我是受害者", '/inform{"choice":"victim"}'),
           Option("我是目击者", '/inform{"choice":"witness"}'),
           Option("代他人报告", '/inform{"choice":"on_behalf"}')]


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters of ``text``."""
    return regex.findall(r"\X", text)


def test_inform_payload_matches_the_contract() -> None:
    assert inform_payload("unsupported_media") == '/inform{"choice":"unsupported_media"}'


def test_language_hints_from_phone_and_locale() -> None:
    assert language_hint_from_phone("whatsapp:+8613700900123") == "zh-Hans"
    assert language_hint_from_phone("+85261234567") == "zh-Hant"
    assert language_hint_from_phone("+84912345678") == "vi"
    assert language_hint_from_phone("+447700900123") is None  # UK numbers hint nothing
    assert language_hint_from_phone("not a number") is None
    assert language_hint_from_locale("zh-TW") == "zh-Hant"
    assert language_hint_from_locale(None) is None


def test_match_option_accepts_numbers_in_many_forms_and_titles() -> None:
    for answer in ("2", " 2 ", "２", "2)", "2.", "我是目击者"):
        assert match_option(answer, OPTIONS) == '/inform{"choice":"witness"}', answer
    assert match_option("4", OPTIONS) is None
    assert match_option("0", OPTIONS) is None
    assert match_option("两个人", OPTIONS) is None
    assert match_option("1", []) is None


def test_render_numbered_needs_no_words() -> None:
    assert render_numbered("你想报告什么？", OPTIONS) == (
        "你想报告什么？\n1) 我是受害者\n2) 我是目击者\n3) 代他人报告")


def test_sanitise_text_defuses_typed_intents() -> None:
    assert sanitise_text(" /stop_contact") == "stop_contact"
    assert sanitise_text("hello / bye") == "hello / bye"


def test_encoding_detection() -> None:
    assert sms_encoding("Hello, are you safe? {yes}") == GSM7
    assert sms_units("€[]", GSM7) == 6  # extension characters cost two septets
    assert sms_encoding("Xin chào, bạn có an toàn không?") == UCS2  # Vietnamese tones
    assert sms_encoding("ok 👍") == UCS2
    assert sms_units("👍🏽", UCS2) == 4  # two surrogate pairs


def test_short_texts_are_not_split() -> None:
    assert split_sms("a" * 160) == ["a" * 160]
    assert split_sms("你" * 70) == ["你" * 70]


def test_twilio_concatenates_so_a_message_holds_ten_segments() -> None:
    # Twilio joins a body of up to 1,600 characters into one concatenated SMS: no need to cut a
    # question and its options into 153/67-character messages of our own.
    assert sms_budget(GSM7) == 1530 and sms_budget(UCS2) == 670
    assert split_sms("a" * 1530) == ["a" * 1530]
    assert split_sms("你" * 670) == ["你" * 670]


def test_long_chinese_is_split_into_ucs2_parts_at_sentence_ends_that_rejoin() -> None:
    text = "谢谢你告诉我们发生了什么。你可以随时停下来，也可以跳过任何问题。" * 30
    parts = split_sms(text)
    assert len(parts) > 1
    assert "".join(parts) == text
    assert all(sms_units(p, UCS2) <= 670 for p in parts)
    assert all(p.endswith("。") for p in parts)


def test_split_never_breaks_graphemes_in_thai_burmese_khmer_or_emoji() -> None:
    for text in ("ฉันไม่ปลอดภัยที่บ้านของฉัน" * 40, "ကျွန်ုပ်ကိုရန်ပြုခဲ့သည်" * 50,
                 "ខ្ញុំត្រូវបានគេវាយប្រហារ" * 50, "👍🏽🙏🏻" * 200):
        parts = split_sms(text)
        assert len(parts) > 1
        assert "".join(parts) == text
        assert all(sms_units(p, UCS2) <= 670 for p in parts)
        whole = graphemes(text)
        pieces = [g for p in parts for g in graphemes(p)]
        assert pieces == whole  # cutting created no new grapheme boundaries
        for p in parts:
            p.encode("utf-16-le")  # no lone surrogates


def test_gsm_text_is_split_at_word_boundaries_within_ten_segments() -> None:
    text = "Thank you for telling us what happened to you today " * 40
    parts = split_sms(text)
    assert len(parts) > 1
    assert "".join(parts) == text
    assert all(sms_units(p, GSM7) <= 1530 for p in parts)
    assert all(p.endswith(" ") for p in parts[:-1])


def test_numbered_option_lines_are_never_split() -> None:
    options = [Option(f"Ý kiến số {i} của tôi về chuyện này, nói dài hơn một chút", f"c{i}")
               for i in range(1, 40)]
    text = render_numbered("Chuyện gì đã xảy ra với bạn?", options)
    parts = split_sms(text)
    assert len(parts) > 1
    assert "".join(parts) == text
    lines = text.split("\n")
    for line in lines[1:]:
        assert any(line in p for p in parts), line


def test_nothing_is_ever_dropped_however_long() -> None:
    text = "你好。" * 2000  # 6,000 characters, the longest message a person may send
    parts = split_sms(text)
    assert "".join(parts) == text and not any(p.endswith("…") for p in parts)
    assert all(sms_units(p, UCS2) <= 670 for p in parts)


def test_bullets_and_curly_quotes_do_not_force_ucs2() -> None:
    text = "Would you like us to pass your report to the police?\n\n• Yes – it’s “fine”…"
    assert sms_encoding(text) == UCS2
    assert sms_text(text) == (
        "Would you like us to pass your report to the police?\n\n- Yes - it's \"fine\"..."
    )
    assert sms_encoding(sms_text(text)) == GSM7
    # A text that is UCS-2 anyway keeps its typography.
    assert sms_text("• 是的，匿名") == "• 是的，匿名"


def test_split_long_keeps_whatsapp_messages_whole_below_1600() -> None:
    assert split_long("x" * 1600, 1600) == ["x" * 1600]
    parts = split_long("Sentence one. " * 200, 1600)
    assert len(parts) == 2 and all(len(p) <= 1600 for p in parts)


# --------------------------------------------------------------------------------------------
# Per-person locks (explicit count, no asyncio internals)
# --------------------------------------------------------------------------------------------
async def test_keyed_locks_keep_arrival_order_and_forget_a_key_nobody_holds() -> None:
    import asyncio

    from channels.locks import KeyedLocks

    locks = KeyedLocks()
    order: list[tuple[str, int]] = []

    async def work(key: str, n: int) -> None:
        async with locks.hold(key):
            order.append((key, n))
            await asyncio.sleep(0.001 * (5 - n))  # later ones would finish first if unordered

    await asyncio.gather(*(work(k, n) for n in range(5) for k in ("a", "b")))
    assert [n for k, n in order if k == "a"] == list(range(5))
    assert [n for k, n in order if k == "b"] == list(range(5))
    assert len(locks) == 0


async def test_keyed_locks_a_cancelled_waiter_or_a_failure_frees_its_place() -> None:
    import asyncio

    import pytest

    from channels.locks import KeyedLocks

    locks = KeyedLocks()
    gate = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("a"):
            await gate.wait()

    async def failing() -> None:
        async with locks.hold("a"):
            raise RuntimeError("invented failure")

    first = asyncio.ensure_future(holder())
    await asyncio.sleep(0)
    waiter = asyncio.ensure_future(holder())
    await asyncio.sleep(0)
    waiter.cancel()
    gate.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiter
    with pytest.raises(RuntimeError):
        await failing()
    assert len(locks) == 0


def test_a_typed_title_matches_its_sms_look_alike() -> None:
    options = [Option("Yes – later", "/a"), Option("No, it’s fine", "/b")]
    assert match_option("yes - later", options) == "/a"
    assert match_option("No, it's fine", options) == "/b"
    assert match_option("Yes – later", options) == "/a"
