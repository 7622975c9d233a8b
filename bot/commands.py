"""Deterministic recognition of commands and danger words in every language.

The NLU model learns paraphrases; this lexicon makes the few words that must never be missed
("stop", "help", "I'm being attacked" ...) work the same in every language, whatever the model
thinks. Phrases live in `bot/lexicon/<language>.yml` (data: one list per command; adding a
language adds a file).
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import regex
import yaml

LEXICON_DIR = Path(__file__).parent / "lexicon"

#: Commands recognised only in short messages (a long message is an answer, not a command).
#: "erase" (exit/delete: end and erase the conversation) is tried before "stop" (stop the report,
#: after a confirmation); "my_report" opens a submitted report or a saved draft by its reference;
#: "save" keeps the unfinished report to continue later, on any channel.
SHORT_COMMANDS = (
    "erase",
    "stop",
    "help",
    "human",
    "skip",
    "done",
    "change_language",
    "change_answer",
    "my_report",
    "save",
)
SHORT_MESSAGE_WORDS = 6
SHORT_MESSAGE_CHARS = 40
#: A message of up to this size is still a command when it is short once its filler words are
#: dropped ("I want to talk to a person, please" is "talk person").
LONGEST_COMMAND_WORDS = 10
LONGEST_COMMAND_CHARS = 60
# Not `re`'s \W: it counts the combining vowel marks of Thai, Burmese and Khmer as punctuation.
_PUNCT = regex.compile(r"[^\p{L}\p{M}\p{N}]+")
# Phrases match as substrings in scripts written without spaces, and in Korean, whose endings
# attach to the word ("따라오고 있" must match "따라오고 있어요").
_UNSPACED = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Myanmar}\p{Khmer}\p{Hangul}]"
)


def _unspaced(phrase: str) -> bool:
    return bool(_UNSPACED.search(phrase))


def _squash(text: str) -> str:
    """Spaces removed from unspaced-script text (Burmese spaces phrases inconsistently)."""
    return text.replace(" ", "") if _unspaced(text) else text


def normalise(text: str) -> str:
    """Lower-cases, NFKC-normalises and reduces punctuation to single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(_PUNCT.sub(" ", text).split())


@functools.lru_cache(maxsize=1)
def _lexicons() -> dict[str, dict[str, set[str]]]:
    """`{language: {command: phrases}}`; fillers stay per language (Vietnamese "di" is a filler,
    Tagalog "di" means "not")."""
    result: dict[str, dict[str, set[str]]] = {}
    for path in sorted(LEXICON_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        result[path.stem] = {
            name: {_squash(normalise(str(w))) for w in words or [] if normalise(str(w))}
            for name, words in data.items()
        }
    return result


@functools.lru_cache(maxsize=1)
def _lexicon() -> dict[str, list[str]]:
    """Every language's phrases per command (longest first)."""
    merged: dict[str, set[str]] = {}
    for by_command in _lexicons().values():
        for name, phrases in by_command.items():
            merged.setdefault(name, set()).update(phrases)
    return {name: sorted(found, key=len, reverse=True) for name, found in merged.items()}


def _contains(haystack: str, phrase: str) -> bool:
    # Scripts written without spaces match as substrings; others on word boundaries.
    if _unspaced(phrase):
        return phrase in _squash(haystack)
    return f" {phrase} " in f" {haystack} "


def is_short(text: str) -> bool:
    """True for a message short enough to be a command rather than an answer."""
    norm = normalise(text)
    return len(norm.split()) <= SHORT_MESSAGE_WORDS and len(norm) <= SHORT_MESSAGE_CHARS


@functools.lru_cache(maxsize=1)
def _danger_phrases() -> tuple[frozenset[str], tuple[str, ...], int]:
    """Emergency phrases split once: spaced ones (whole words, and the most words one has) and
    unspaced ones (substrings)."""
    phrases = _lexicon().get("emergency", [])
    spaced = frozenset(p for p in phrases if not _unspaced(p))
    return (
        spaced,
        tuple(p for p in phrases if _unspaced(p)),
        max((len(p.split()) for p in spaced), default=0),
    )


@functools.lru_cache(maxsize=4096)
def is_danger(text: str) -> bool:
    """True when the message says the person is in danger now (any length, high recall).

    Danger said not to be there ("I'm not in danger, I just want to report", `_not_danger` in
    bot/lexicon/<code>.yml) is taken out first."""
    norm = normalise(text)
    if not norm:
        return False
    norm, squashed = _without_negated_danger(norm)
    spaced, unspaced, longest = _danger_phrases()
    words = norm.split()
    for size in range(1, min(len(words), longest) + 1):  # every run of words, looked up in the set
        for start in range(len(words) - size + 1):
            if " ".join(words[start : start + size]) in spaced:
                return True
    if any(p in squashed for p in unspaced):
        return True
    return _danger_with_now(norm, squashed)


@functools.lru_cache(maxsize=1)
def _not_danger_phrases() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`_not_danger` phrases of every language (`_lexicon`, longest first), spaced and unspaced."""
    phrases = _lexicon().get("_not_danger", [])
    return tuple(p for p in phrases if not _unspaced(p)), tuple(p for p in phrases if _unspaced(p))


def _without_negated_danger(norm: str) -> tuple[str, str]:
    """The normalised text and its squashed form with every `_not_danger` phrase masked."""
    spaced, unspaced = _not_danger_phrases()
    padded = f" {norm} "
    for phrase in spaced:
        padded = padded.replace(f" {phrase} ", " \u0000 ")
    masked = " ".join(padded.split())
    squashed = _squash(masked)
    for phrase in unspaced:
        squashed = squashed.replace(phrase, "\u0000")
    return masked, squashed


@functools.lru_cache(maxsize=1)
def _danger_now_words() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """`_danger_with_now` phrases, `_now` and `_not_now` words of every language (`_lexicon`)."""
    merged = _lexicon()
    return (
        tuple(merged.get("_danger_with_now", ())),
        tuple(merged.get("_now", ())),
        tuple(merged.get("_not_now", ())),
    )


def _danger_with_now(norm: str, squashed: str) -> bool:
    """Words that say danger only when it is happening now: "someone is following me, now, three
    streets" (Thai "ตามฉันมา … ตอนนี้", Korean "방금부터 계속 쫓아와요"). Without a "now" word
    they are an account of the past ("he followed me home last week") and stay an answer; so
    do they with a word of the past or of safety (`_not_now`: "last week … but I'm fine now")."""
    phrases, now, not_now = _danger_now_words()
    padded = f" {norm} "

    # Like `_contains`, but on the squashed text `is_danger` already masked (negations out).
    def found(word: str) -> bool:
        return word in squashed if _unspaced(word) else f" {word} " in padded

    return any(map(found, phrases)) and any(map(found, now)) and not any(map(found, not_now))


#: How sure the model must be that a conditional message is the "what if I'm in danger?" question.
ASK_DANGER_MIN_CONFIDENCE = 0.5


@functools.lru_cache(maxsize=1)
def _hypothetical_words() -> tuple[frozenset[str], tuple[str, ...]]:
    words = {w for by_command in _lexicons().values() for w in by_command.get("_hypothetical", ())}
    return frozenset(w for w in words if not _unspaced(w)), tuple(w for w in words if _unspaced(w))


@functools.lru_cache(maxsize=1)
def _not_hypothetical_words() -> tuple[str, ...]:
    """Words written without spaces that hold a conditional word but are not one (Khmer "បើក"
    "open/drive" holds "បើ" "if"; Thai "หากิน" holds "หาก"): `_not_hypothetical` in
    bot/lexicon/<code>.yml, longest first."""
    words = {
        w for by_command in _lexicons().values() for w in by_command.get("_not_hypothetical", ())
    }
    return tuple(sorted(words, key=len, reverse=True))


def _without_false_conditionals(squashed: str) -> str:
    """Squashed text with the words that only look conditional masked (same length, so positions
    found in it are positions in the text)."""
    for word in _not_hypothetical_words():
        squashed = squashed.replace(word, "\u0000" * len(word))
    return squashed


def is_hypothetical(text: str) -> bool:
    """True when the message is conditional: "if", "如果", "nếu", "もし", "ถ้า" … (per language,
    `_hypothetical` in bot/lexicon/<code>.yml)."""
    norm = normalise(text)
    spaced, unspaced = _hypothetical_words()
    words = norm.split()
    runs = {" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    squashed = _without_false_conditionals(_squash(norm))
    return bool(runs & spaced) or any(w in squashed for w in unspaced)


@functools.lru_cache(maxsize=1)
def _urgent_words() -> tuple[str, ...]:
    return tuple(w for by_command in _lexicons().values() for w in by_command.get("_urgent", ()))


def is_urgent(text: str) -> bool:
    """True when the message puts the person in it now: "I", "me", "now", "help", "here" …
    (per language, `_urgent` in bot/lexicon/<code>.yml; whole words, substrings in scripts
    written without spaces)."""
    norm = normalise(text)
    return any(_contains(norm, word) for word in _urgent_words())


#: How many polite particles or pronouns may follow a question word at the end ("ไหม คะ").
_MAX_TRAILING_FILLERS = 3


@functools.lru_cache(maxsize=1)
def _question_words() -> tuple[
    tuple[tuple[str, ...], frozenset[str], tuple[str, ...], tuple[str, ...]], ...
]:
    """Per language: the words that end a question (longest first), its fillers (polite
    particles, pronouns), the words that open a question and the question particles that may
    stand anywhere (`_question_end`, `_fillers`, `_question_start`, `_question_anywhere` in
    bot/lexicon/<code>.yml)."""
    return tuple(
        (
            tuple(sorted(by_command.get("_question_end", ()), key=len, reverse=True)),
            frozenset(by_command.get("_fillers", ())),
            tuple(by_command.get("_question_start", ())),
            tuple(by_command.get("_question_anywhere", ())),
        )
        for by_command in _lexicons().values()
    )


def _ends_with(text: str, phrase: str) -> str | None:
    """`text` without `phrase` when it ends with it (unspaced phrases as substrings, spaced
    ones as whole words), else None."""
    if _unspaced(phrase):
        squashed = _squash(text)
        return squashed[: -len(phrase)] if squashed.endswith(phrase) else None
    if f" {text}".endswith(f" {phrase}"):
        return text[: -len(phrase)].rstrip()
    return None


def reads_as_question(text: str) -> bool:
    """True when the message is a question: it ends with a question mark, or, as many people
    type without one, it ends with a question particle or word before any polite particles
    ("ไหมคะ", "လားဗျ", "ឬទេ", "boleh tak", "có được không", "어떡해요"), opens with a question
    word ("adakah", "what"), or holds a question word that is one wherever it stands (Tagalog
    "ba", Malay "macam mana", Khmer "តើ") — per language, `_question_end` / `_question_start` /
    `_question_anywhere` in bot/lexicon/<code>.yml."""
    if (text or "").strip().endswith(("?", "？", "؟")):
        return True
    norm = normalise(text)
    if not norm:
        return False
    for endings, fillers, starts, anywhere in _question_words():
        if any(f"{norm} ".startswith(f"{start} ") for start in starts) or any(
            _contains(norm, word) for word in anywhere
        ):
            return True
        rest = norm
        for _ in range(_MAX_TRAILING_FILLERS + 1):
            if any(_ends_with(rest, ending) is not None for ending in endings):
                return True
            shorter = next(
                (left for f in fillers if (left := _ends_with(rest, f)) is not None), None
            )
            if not shorter:
                break
            rest = shorter
    return False


#: A question the model gave another topic ("does this service help people in danger?") or ranked
#: the danger question close behind the emergency: how sure it must be.
ASK_OTHER_TOPIC_MIN_CONFIDENCE = 0.5
ASK_DANGER_CLOSE_CONFIDENCE = 0.25


def asks_about_danger(
    text: str, intent: str | None, confidence: float, ask_danger_confidence: float = 0.0
) -> bool:
    """A question about what to do IF in danger ("who do I call if I'm ever in danger?").

    The danger phrases match anywhere (high recall), so such a question contains one. It is not
    treated as an emergency only when the message is conditional AND reads as a question: the
    model takes it for the `ask_danger` question, or it is written as one (a question mark, or a
    question particle where people type none: `reads_as_question`, of the whole message or of
    what comes before its condition: `_heads`). Its answer leads with 999
    all the same. Anything else with a danger phrase stays an emergency ("I'm being attacked
    now", "help, is anyone there?": not conditional), and so does danger said before the
    condition ("he is hitting me, what do I do if the police don't come?": `_said_before_condition`).

    `ask_danger_confidence` is the model's confidence in `ask_danger` when it is not the top
    intent (from the intent ranking; 0 when unknown).
    """
    model_asks = intent == "ask_danger" and confidence >= ASK_DANGER_MIN_CONFIDENCE
    if not is_hypothetical(text):
        # A general question with nobody in danger in it ("in danger, what should one do?";
        # Thai and Khmer often leave "if" unsaid: "ตกอยู่ในอันตรายต้องทำอะไร"): the question when
        # the model reads it so, it is written as one, and nothing puts the person in it now
        # (`is_urgent`: I/me, now, help, here). "I'm in danger, what do I do?" stays an emergency.
        # The model reads it as a question when it says `ask_danger`, when it gives it another
        # question topic ("does the service help people in danger?" taken for "who is it for"),
        # or when `ask_danger` comes close behind its emergency.
        model_reads_question = (
            model_asks
            or ((intent or "").startswith("ask_") and confidence >= ASK_OTHER_TOPIC_MIN_CONFIDENCE)
            or (intent == "emergency" and ask_danger_confidence >= ASK_DANGER_CLOSE_CONFIDENCE)
        )
        return model_reads_question and reads_as_question(text) and not is_urgent(text)
    if _said_before_condition(text):
        return False
    if model_asks:
        return True
    return reads_as_question(text) or any(reads_as_question(head) for head in _heads(text))


def _said_before_condition(text: str) -> bool:
    """Danger said to be happening before the first conditional word: "เขากำลังทำร้ายฉัน ถ้า
    ตำรวจไม่มา ต้องทำยังไง", "he has a knife, what do I do if he comes in?" — what comes first
    holds a danger phrase and puts the person in it now (`is_urgent`)."""
    heads = [head for head in _heads(text) if head.strip()]
    if not heads:
        return False
    first = min(heads, key=len)
    # A message that opens with its condition ("if he is hitting me, ... if ...") has no
    # statement before it.
    return not is_hypothetical(first) and is_danger(first) and is_urgent(first)


def _heads(text: str) -> list[str]:
    """What comes before each conditional word: the question may come first and the condition
    after it ("ควรทำอย่างไร | หากตกอยู่ในอันตราย", "ខ្ញុំគួរធ្វើអ្វី | ប្រសិនបើ…", "what do I do |
    if …"), so the message as a whole ends with the condition, not with a question word."""
    norm = normalise(text)
    spaced, unspaced = _hypothetical_words()
    words = norm.split()
    heads = [
        " ".join(words[:i])
        for i in range(1, len(words))
        for n in (1, 2, 3)
        if " ".join(words[i : i + n]) in spaced
    ]
    squashed = _squash(norm)
    masked = _without_false_conditionals(squashed)
    for word in unspaced:
        at = masked.find(word, 1)
        while at > 0:
            heads.append(squashed[:at])
            at = masked.find(word, at + 1)
    return heads


@functools.lru_cache(maxsize=4096)
def command(text: str) -> str | None:
    """The command a message gives, if any: emergency first, then short commands.

    Short commands match the whole message (after dropping polite filler words such as
    "please"), so "they told me to stop" is an answer, not a request to stop.
    """
    if is_danger(text):
        return "emergency"
    norm = normalise(text)
    if not norm or len(norm.split()) > LONGEST_COMMAND_WORDS or len(norm) > LONGEST_COMMAND_CHARS:
        return None
    short = is_short(text)
    for language, by_command in _lexicons().items():
        fillers = _fillers(language)
        stripped = _strip(norm, fillers)
        if not short and len(stripped.split()) > SHORT_MESSAGE_WORDS:
            continue  # long even without "please", "I want to"...: an answer, not a command
        forms = {_squash(norm), _squash(stripped)} - {""}
        stripped_phrases = _stripped_phrases(language)
        for name in SHORT_COMMANDS:
            if forms & (by_command.get(name, set()) | stripped_phrases.get(name, set())):
                return name
    return None


def _fillers(language: str) -> list[str]:
    """A language's own fillers plus English ones (people code-switch: "tama na po, pls")."""
    lexicons = _lexicons()
    found = lexicons.get(language, {}).get("_fillers", set()) | lexicons.get("en", {}).get(
        "_fillers", set()
    )
    return sorted(found, key=len, reverse=True)


def _strip(text: str, fillers: list[str]) -> str:
    for filler in fillers:
        text = _remove(text, filler)
    return text


@functools.cache
def _stripped_phrases(language: str) -> dict[str, set[str]]:
    """Each phrase with the fillers dropped too: the message loses its fillers before matching,
    so "I want to talk to a person" (→ "talk person") must meet "talk to a person" (→ the same)."""
    fillers = _fillers(language)
    return {
        name: {s for s in (_squash(_strip(p, fillers)) for p in phrases) if s}
        for name, phrases in _lexicons().get(language, {}).items()
        if name in SHORT_COMMANDS
    }


def mentions(text: str, name: str, min_words: int = 3) -> bool:
    """True when the message contains one of the command's longer phrases ("talk to a person",
    "转人工"): used where the whole message need not be the command, but a single word such as
    "person" in a name ("Sam Person") must not count. Unspaced phrases count characters."""
    norm = normalise(text)
    if not norm:
        return False
    for phrase in _lexicon().get(name, []):
        size = len(phrase) if _unspaced(phrase) else len(phrase.split())
        if size >= min_words and _contains(norm, phrase):
            return True
    return False


def _remove(text: str, filler: str) -> str:
    if _unspaced(filler):
        return _squash(text).replace(filler, "").strip()
    return " ".join(f" {text} ".replace(f" {filler} ", " ").split())
