"""Regenerates tests/hostile/corpus.json (committed): hostile message texts and raw bodies.

    .venv/bin/python -m tests.hostile.make_corpus

Each entry: ``{"id", "kind": "text"|"raw", ...}``. ``text`` entries are message texts (sent inside
well-formed requests of every webhook); ``raw`` entries are whole request bodies
(``body_b64``) with a ``content_type`` (sent as they are, to see the parsers refuse them).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("corpus.json")


def texts() -> list[tuple[str, str]]:
    """(id, text) pairs."""
    items: list[tuple[str, str]] = []
    add = items.append
    for n in (2_000, 6_000, 20_000, 100_000):
        add((f"oversized_ascii_{n}", "a" * n))
        add((f"oversized_words_{n}", ("racist abuse " * n)[:n]))
    add(("oversized_cjk_20000", "仇恨" * 10_000))
    add(("oversized_thai_20000", "ก่" * 10_000))
    add(("oversized_newlines", "\n" * 50_000))
    for i, ch in enumerate(["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f",
                            "\x85", "\x9b", "\r", "\t"]):
        add((f"control_{i}", f"hello{ch}world{ch * 20}"))
    add(("control_only", "".join(chr(c) for c in range(0, 32))))
    add(("ansi_escape", "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[2J"))
    for i, ch in enumerate(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
                            "\u180e", "\u034f"]):
        add((f"zero_width_{i}", f"h{ch}e{ch}l{ch}l{ch}o"))
        add((f"zero_width_only_{i}", ch * 200))
    for i, ch in enumerate(["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066",
                            "\u2067", "\u2068", "\u2069", "\u200f", "\u200e", "\u061c"]):
        add((f"bidi_{i}", f"{ch}my phone is 07700 900123{ch} /inform{ch}"))
    add(("bidi_payload_spoof", '\u202e}"mitciv":"eciohc"{mrofni/'))
    for n in (10, 500, 5_000):
        add((f"emoji_flood_{n}", "😡" * n))
        add((f"emoji_zwj_flood_{n}", "👨‍👩‍👧‍👦" * (n // 5 + 1)))
    add(("emoji_flags", "🇬🇧🇨🇳🇻🇳🇰🇷🇯🇵🇹🇭🇵🇭🇲🇾🇮🇩🇲🇲🇰🇭" * 50))
    add(("emoji_skin_tones", "👍🏻👍🏼👍🏽👍🏾👍🏿" * 200))
    add(("zalgo", "h" + "\u0301\u0316\u0337\u0360" * 500 + "i"))
    add(("lone_combining", "\u0301\u0302\u0303"))
    for i, html in enumerate([
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
        "javascript:alert(1)", "<iframe src=//evil.example></iframe>", "</textarea><script>x</script>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", "{{7*7}} ${7*7} <%= 7*7 %>",
        "<style>*{display:none}</style>", "<!--", "]]>", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
        "<marquee>hi</marquee>" * 100, "&lt;script&gt;", "\"><script>alert(document.cookie)</script>",
    ]):
        add((f"html_{i}", html))
    for i, sql in enumerate([
        "'; DROP TABLE cases; --", "1 OR 1=1", "\" OR \"\"=\"", "admin'--",
        "1; SELECT pg_sleep(10)", "' UNION SELECT * FROM channel_addresses --",
        "Robert'); DROP TABLE events;--", "%' AND 1=0 UNION ALL SELECT NULL--",
        "'; EXEC xp_cmdshell('dir'); --", "\\'; DELETE FROM delivery_claims; --",
    ]):
        add((f"sql_{i}", sql))
    for i, fmt in enumerate([
        "{reference}", "{0}", "{__class__}", "%s%s%s%n", "%(password)s", "${HOME}",
        "{{reference}}", "{s_description}", "{limit:999999999}", "%999999999d",
    ]):
        add((f"format_{i}", fmt))
    for i, inj in enumerate([
        "/restart", "/session_start", "/inform", "/inform{", "/inform{\"choice\":", "/inform{}",
        "/inform{\"choice\":null}", "/inform{\"choice\":123}", "/inform{\"choice\":[\"a\"]}",
        "/inform{\"choice\":{\"x\":1}}", "/inform{\"choice\":\"" + "x" * 5000 + "\"}",
        "/nonexistent_intent", "/greet{\"language\":\"xx\"}", "/inform{\"language\":\"km\"}",
        "/stop{\"confirm\":true}", "/inform{\"choice\":\"lang:../../etc\"}",
        "/inform{\"choice\":\"lang:\"}", "/inform{\"requested_slot\":\"contact_phone\"}",
        "/action_finish_report", "/inform{\"choice\":\"confirm\"}", "//", "/", "/ ",
        "/human", "/inform{\"choice\":\"\\u0000\"}", "/inform{\"choice\":\"done\"}" * 50,
    ]):
        add((f"payload_{i}", inj))
    for i, weird in enumerate([
        "", " ", "\u3000", "\u00a0" * 10, ".", "?", "0", "-1", "NaN", "null", "true", "[]",
        "{}", "9" * 400, "1e308", "../../../../etc/passwd", "C:\\Windows\\system32",
        "http://169.254.169.254/latest/meta-data/", "file:///etc/shadow", "mailto:x@example.com",
        "+44 7700 900123", "07700900123", "test@example.com", "AAAA-BBBB", "SM" + "0" * 32,
        "\ud7ff\ue000\uffff", "𝕳𝖊𝖑𝖑𝖔", "Ｈｅｌｌｏ", "ﷺ" * 100, "𒐫" * 100,
        "a\u0000b", "\\x00\\xff", "\\u202e", "ＳＴＯＰ", "stop stop stop stop",
        "STOP", "START", "UNSUBSCRIBE", "help", "999", "١٢٣٤", "٩٩٩", "〇〇〇",
    ]):
        add((f"weird_{i}", weird))
    return items


def raw_bodies() -> list[tuple[str, bytes, str]]:
    """(id, body, content type) triples."""
    items: list[tuple[str, bytes, str]] = []
    add = items.append
    js = "application/json"
    for i, body in enumerate([
        b"\xff\xfe\xfd", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc",
        b"{\"sender\":\"x\",\"message\":\"\xff\xfe\"}", b"\xed\xa0\x80", b"\xc0\xaf",
        b"{\"message\":\"\\ud800\"}", b"{\"message\":\"\\udfff\\ud800\"}",
    ]):
        add((f"invalid_utf8_{i}", body, js))
    for i, body in enumerate([
        b"", b"{", b"}", b"{\"sender\":", b"{'sender':'x'}", b"{sender:x}", b"[", b"null",
        b"\"string\"", b"123", b"true", b"[]", b"[{}]", b"{}{}", b"{\"a\":1,}", b"NaN",
        b"{\"sender\":\"x\",\"message\":\"hi\"} trailing", b"\x00" * 10,
        b"{\"sender\":\"x\",\"message\":\"hi\"" + b" " * 1000,
        b"[" * 5000 + b"]" * 5000, b"{\"a\":" * 5000 + b"1" + b"}" * 5000,
    ]):
        add((f"malformed_json_{i}", body, js))
    sender_values: list[Any] = [None, 1, 1.5, True, [], ["x"], {}, {"a": 1}, "", "x" * 10_000,
                                "../x", "\u202e", "a\u0000b"]
    for i, value in enumerate(sender_values):
        add((f"type_sender_{i}", json.dumps({"sender": value, "message": "hello"}).encode(), js))
    message_values: list[Any] = [None, 1, 1.5, False, [], ["hello"], {}, {"text": "hi"},
                                 [{"a": 1}], 10 ** 30]
    for i, value in enumerate(message_values):
        add((f"type_message_{i}", json.dumps({"sender": "hostile", "message": value}).encode(), js))
    metadata_values: list[Any] = [None, 1, "x", [], ["x"], {"language_hint": 5},
                                  {"language_hint": "../../x"}, {"channel": {"x": 1}},
                                  {"x": "y" * 100_000}, {"language_hint": "zz-ZZ"}]
    for i, value in enumerate(metadata_values):
        add((f"type_metadata_{i}", json.dumps({"sender": "hostile", "message": "hi",
                                                "metadata": value}).encode(), js))
    for i, body in enumerate([
        json.dumps({}).encode(), json.dumps({"sender": "hostile"}).encode(),
        json.dumps({"message": "hi"}).encode(), json.dumps({"text": "hi"}).encode(),
        json.dumps({"update_id": 1}).encode(), json.dumps({"update_id": "x", "message": 1}).encode(),
        json.dumps({"update_id": 2, "message": {"text": "hi"}}).encode(),
        json.dumps({"update_id": 3, "message": {"chat": {"id": "x"}, "text": 5}}).encode(),
        json.dumps({"update_id": 4, "callback_query": {"data": None}}).encode(),
        json.dumps({"update_id": -1, "message": {"message_id": 1, "date": 0,
                                                 "chat": {"id": 1, "type": "private"}}}).encode(),
    ]):
        add((f"missing_fields_{i}", body, js))
    ok = json.dumps({"sender": "hostile", "message": "hello"}).encode()
    for i, ctype in enumerate([
        "text/plain", "text/html", "application/xml", "application/x-www-form-urlencoded",
        "multipart/form-data", "multipart/form-data; boundary=x", "application/octet-stream",
        "", "application/json; charset=latin-1", "application/json; charset=utf-16",
        "image/png", "application/javascript",
    ]):
        add((f"content_type_{i}", ok, ctype))
    form = "application/x-www-form-urlencoded"
    for i, body in enumerate([
        b"Body=%ff%fe&From=x", b"%%%", b"=&=&=", b"Body", b"&&&&", b"Body=" + b"a" * 200_000,
        b"From=whatsapp%3A&Body=hi", b"NumMedia=-5&Body=hi", b"NumMedia=abc",
        b"MediaUrl0=file:///etc/passwd&NumMedia=1", b"\xff=\xfe",
    ]):
        add((f"form_{i}", body, form))
    add(("oversized_json_2mb", json.dumps({"sender": "hostile", "message": "a" * 2_000_000}).encode(), js))
    return items


def _runs(value: str) -> tuple[str, str, int, str] | None:
    """(prefix, unit, times, suffix) when ``value`` is mostly one short unit repeated."""
    if len(value) < 1000:
        return None
    for start in range(0, 64):
        for size in range(1, 33):
            unit = value[start:start + size]
            times = 0
            while value.startswith(unit, start + times * size):
                times += 1
            if times * size >= len(value) - 200:
                end = start + times * size
                return value[:start], unit, times, value[end:]
    return None


def _packed(text: str) -> dict[str, Any]:
    """A text entry, long repetitions stored as prefix + unit × times + suffix."""
    runs = _runs(text)
    if runs is None:
        return {"text": text}
    prefix, unit, times, suffix = runs
    return {"prefix": prefix, "unit": unit, "times": times, "suffix": suffix}


def _packed_bytes(body: bytes) -> dict[str, Any]:
    """A raw body entry (base64), long repetitions packed the same way (latin-1 round trip)."""
    runs = _runs(body.decode("latin-1"))
    if runs is None:
        return {"body_b64": base64.b64encode(body).decode()}
    prefix, unit, times, suffix = (x.encode("latin-1") if isinstance(x, str) else x for x in runs)
    return {"prefix_b64": base64.b64encode(prefix).decode(),
            "unit_b64": base64.b64encode(unit).decode(), "times": times,
            "suffix_b64": base64.b64encode(suffix).decode()}


def expand(entry: dict[str, Any]) -> str | bytes:
    """The text (text entries) or body bytes (raw entries) of a corpus entry."""
    if entry["kind"] == "text":
        if "text" in entry:
            return str(entry["text"])
        return entry["prefix"] + entry["unit"] * entry["times"] + entry["suffix"]
    if "body_b64" in entry:
        return base64.b64decode(entry["body_b64"])
    parts = [base64.b64decode(entry[k]) for k in ("prefix_b64", "unit_b64", "suffix_b64")]
    return parts[0] + parts[1] * int(entry["times"]) + parts[2]


def main() -> None:
    """Writes the corpus file."""
    entries: list[dict[str, Any]] = [{"id": i, "kind": "text", **_packed(t)} for i, t in texts()]
    entries += [{"id": i, "kind": "raw", "content_type": c, **_packed_bytes(b)}
                for i, b, c in raw_bodies()]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    for (i, t), e in zip(texts(), entries, strict=False):
        assert expand(e) == t, i
    for (i, b, _), e in zip(raw_bodies(), entries[len(texts()):], strict=True):
        assert expand(e) == b, i
    OUT.write_text(json.dumps(entries, ensure_ascii=True, indent=0) + "\n", encoding="utf-8")
    print(f"{len(entries)} entries -> {OUT}")


if __name__ == "__main__":
    main()
