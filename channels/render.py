"""Text for channels without buttons: numbered options (and a typed answer mapped back to its
payload), and splitting a long text into messages (SMS in GSM-7 / UCS-2 segments, WhatsApp and
Telegram above their character limits) without cutting a grapheme or a numbered option."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import regex


# --------------------------------------------------------------------------------------------
# Numbered options (channels without buttons)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One button offered as a numbered option."""

    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        """Returns the JSON-able form kept in channel state."""
        return {"title": self.title, "payload": self.payload}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Option:
        """Rebuilds an option from channel state."""
        return cls(title=str(data["title"]), payload=str(data["payload"]))


def options_from_buttons(buttons: Sequence[dict[str, Any]]) -> list[Option]:
    """Converts Rasa buttons (``title``/``payload``) to options.

    Args:
        buttons: Buttons as Rasa passes them to an output channel.

    Returns:
        Options in the same order; a button without payload uses its title.
    """
    return [
        Option(title=str(b.get("title", "")), payload=str(b.get("payload") or b.get("title", "")))
        for b in buttons
    ]


_OPTION_LINE = re.compile(r"^\s*\d+\) ", re.MULTILINE)


def render_numbered(text: str, options: Sequence[Option]) -> str:
    """Renders a prompt with numbered options, one per line: ``1) Title``.

    No words are added, so nothing here needs translating.

    Args:
        text: The prompt (already in the person's language).
        options: The options to number from 1.

    Returns:
        The message text.
    """
    lines = [f"{i}) {opt.title}" for i, opt in enumerate(options, start=1)]
    return "\n".join([text.rstrip(), *lines]) if text.strip() else "\n".join(lines)


def _normalise_answer(text: str) -> str:
    """NFKC-folds (full-width digits to ASCII), trims and case-folds a typed answer; typography
    and its GSM-7 look-alike compare equal (an SMS showed "Yes - later" for "Yes – later")."""
    return unicodedata.normalize("NFKC", text.translate(_GSM7_LOOKALIKES)).strip().casefold()


def match_option(answer: str, options: Sequence[Option]) -> str | None:
    """Maps a typed answer to an option's payload.

    Accepts the number (``2``, `` 2 ``, full-width ``２``, ``2)``, ``2.``) or the title itself.

    Args:
        answer: What the person typed.
        options: The options last offered.

    Returns:
        The payload, or None when the answer is not one of the options.
    """
    if not options:
        return None
    norm = _normalise_answer(answer)
    number = norm.rstrip(").").strip()
    if number.isdigit():
        index = int(number)
        if 1 <= index <= len(options):
            return options[index - 1].payload
        return None
    for opt in options:
        if _normalise_answer(opt.title) == norm:
            return opt.payload
    return None


# --------------------------------------------------------------------------------------------
# SMS segmentation
# --------------------------------------------------------------------------------------------
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + character).
_GSM7_EXTENDED = set("^{}\\[~]|€\f")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# (single message, per part when concatenated)
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
# Twilio's most characters in one message body (it concatenates the segments itself).
TWILIO_MAX_BODY = 1600
# Most segments in one SMS message we send (see `split_sms`).
SMS_MAX_SEGMENTS = 10

_SENTENCE_END_CJK = set("。！？｡．!?")
_SENTENCE_END_LATIN = set(".!?…")
_CLAUSE = set("，、；：,;:၊။។៕")
_MIN_FILL = 0.5


def sms_encoding(text: str) -> str:
    """Tells which encoding an SMS will use.

    Args:
        text: Message text.

    Returns:
        ``GSM-7`` if every character is in the GSM 03.38 default alphabet or its extension,
        else ``UCS-2`` (CJK, Thai, Burmese, Khmer, Vietnamese tones, emoji ...).
    """
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        return GSM7
    return UCS2


def sms_units(text: str, encoding: str) -> int:
    """Counts the length that the SMS limits apply to.

    Args:
        text: Message text.
        encoding: ``GSM-7`` or ``UCS-2``.

    Returns:
        Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2
        (characters outside the BMP, such as most emoji, count two).
    """
    if encoding == GSM7:
        return sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def _break_scores(graphemes: list[str]) -> list[int | None]:
    """Scores each position *after* grapheme i as a place to cut (higher is better).

    5 paragraph, 4 line, 3 sentence, 2 word/clause, 1 any grapheme, None inside a numbered
    option line (``1) ...``) where we would rather not cut at all.
    """
    newlines = ("\n", "\r\n", "\r")
    protected: list[bool] = []
    line: list[str] = []

    def close_line() -> None:
        is_option = bool(_OPTION_LINE.match("".join(line)))
        protected.extend([is_option] * len(line))
        line.clear()

    for g in graphemes:
        if g in newlines:
            close_line()
            protected.append(False)
        else:
            line.append(g)
    close_line()

    scores: list[int | None] = []
    for i, g in enumerate(graphemes):
        nxt = graphemes[i + 1] if i + 1 < len(graphemes) else ""
        prev = graphemes[i - 1] if i > 0 else ""
        if g in ("\n", "\r\n", "\r"):
            scores.append(5 if prev in newlines else 4)
            continue
        if protected[i]:
            scores.append(None)
            continue
        if g in _SENTENCE_END_CJK and not nxt.isspace():
            scores.append(3)
        elif g.isspace():
            scores.append(3 if prev and prev[-1] in _SENTENCE_END_LATIN | _SENTENCE_END_CJK else 2)
        elif g in _CLAUSE and not nxt.isspace():
            scores.append(2)
        else:
            scores.append(1)
    return scores


def _choose_cut(
    graphemes: list[str],
    scores: list[int | None],
    start: int,
    end: int,
    costs: list[int],
    limit: int,
) -> int:
    """Chooses where to end the part that starts at ``start`` and may reach ``end`` (exclusive).

    Returns:
        Index of the last grapheme of the part.
    """
    filled: list[int] = []
    fill = 0
    for i in range(start, end):
        fill += costs[i]
        filled.append(fill)
    # 1) The best kind of break that still fills the part reasonably.
    for level in (5, 4, 3, 2, 1):
        for i in range(end - 1, start - 1, -1):
            if scores[i] == level and filled[i - start] >= _MIN_FILL * limit:
                return i
    # 2) Any allowed break, however early (keeps numbered options whole).
    for level in (5, 4, 3, 2, 1):
        for i in range(end - 1, start - 1, -1):
            if scores[i] == level:
                return i
    # 3) An option line longer than a whole part: cut it after a space, else anywhere.
    for i in range(end - 1, start - 1, -1):
        if graphemes[i].isspace():
            return i
    return end - 1


def _split(text: str, per_part: int, cost: Callable[[str], int]) -> list[str]:
    """Greedy split on the best boundaries; see :func:`split_sms`."""
    graphemes: list[str] = regex.findall(r"\X", text)
    costs = [cost(g) for g in graphemes]
    scores = _break_scores(graphemes)
    parts: list[str] = []
    start = 0
    while start < len(graphemes):
        fill = 0
        end = start
        while end < len(graphemes) and fill + costs[end] <= per_part:
            fill += costs[end]
            end += 1
        if end == start:  # one grapheme longer than a part (pathological): send it alone
            end = start + 1
        if end == len(graphemes):
            parts.append("".join(graphemes[start:end]))
            break
        cut = _choose_cut(graphemes, scores, start, end, costs, per_part)
        parts.append("".join(graphemes[start : cut + 1]))
        start = cut + 1
    return parts


def split_long(text: str, limit: int) -> list[str]:
    """Splits a text longer than ``limit`` characters (WhatsApp: 1600) on good boundaries.

    Args:
        text: The message.
        limit: Most characters per message.

    Returns:
        The parts (the text itself when it fits).
    """
    if len(text) <= limit:
        return [text]
    return _split(text, limit, len)


def split_sms(text: str) -> list[str]:
    """Splits a text into SMS messages, each one whole concatenated SMS; nothing is ever dropped.

    Twilio takes a body of up to 1,600 characters and sends it as one concatenated SMS that the
    phone shows as one message, so a question and all its numbered options normally travel
    together. We still split, on paragraph, line, sentence and word boundaries (a numbered option
    line is never cut unless it alone is longer than a message), for two reasons:

    * a body over 1,600 characters is refused by Twilio (error 21617): a report summary with a long
      description can be that long, and we must never lose it;
    * we hold every message to ``SMS_MAX_SEGMENTS`` segments. In GSM-7 that is 1,530 characters,
      just under Twilio's limit; in UCS-2 (Chinese, Thai, Burmese, Khmer, Vietnamese tones, emoji)
      a segment holds only 67 characters, and a 1,600-character body would be 24 segments billed
      and reassembled as one, so UCS-2 messages are held to the same 10 segments (670 units).

    Joining the parts gives the text back exactly. Cuts never fall inside a grapheme cluster.

    Args:
        text: The message (see `sms_text` for the GSM-7 look-alikes applied before).

    Returns:
        The parts, each within ``sms_budget`` of the text's encoding.
    """
    encoding = sms_encoding(text)
    budget = sms_budget(encoding)
    if sms_units(text, encoding) <= budget:
        return [text]
    return _split(text, budget, lambda g: sms_units(g, encoding))


def sms_budget(encoding: str) -> int:
    """Most units (septets or UTF-16 code units) in one SMS message we send."""
    per_part = _LIMITS[encoding][1]
    return min(SMS_MAX_SEGMENTS * per_part, TWILIO_MAX_BODY)


# Typography outside GSM-7 with a GSM-7 look-alike that reads the same. One such character turns a
# whole SMS into UCS-2 (70 instead of 160 characters a segment), e.g. the "•" bullets of a list.
_GSM7_LOOKALIKES = str.maketrans(
    {
        "•": "-",
        "‣": "-",
        "◦": "-",
        "·": "-",
        "–": "-",
        "—": "-",
        "‑": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2007": " ",
    }
)


def sms_text(text: str) -> str:
    """The text as an SMS carries it: GSM-7 look-alikes for typography when that makes the whole
    message GSM-7 ("•" → "-", "’" → "'"); a text that needs UCS-2 anyway keeps its typography."""
    plain = text.translate(_GSM7_LOOKALIKES)
    return plain if sms_encoding(plain) == GSM7 else text
