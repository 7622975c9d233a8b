"""A tokenizer for every script the service supports, including those written without spaces.

Rasa's WhitespaceTokenizer turns a whole Chinese, Japanese, Thai, Burmese or Khmer sentence into
one token; Jieba covers Chinese only, and the ICU word breaker needs a native library that does
not install from PyPI here. So this splits runs of those scripts into grapheme clusters (as
multilingual BERT-style models do for CJK) plus the overlapping pairs of neighbouring graphemes
(the "bigram indexing" of CJK search engines: いいえ → い, いい, い, いえ, え), so that the
featurizers see two-character words such as 不要, 취소 or ไม่ as units, and splits everything else
on whitespace/punctuation. Held-out macro-F1 with pairs vs graphemes alone: `make eval`.

Words in Latin script also get a *lemma* without accents ("báo cáo" → "bao cao", "đã" → "da"):
people often type Vietnamese (and Malay, Tagalog, English with borrowed words) without accents on
a phone. The character n-gram featurizer reads the lemma (`use_lemma`, Rasa's default), so an
unaccented message shares its n-grams with the accented training examples; the word featurizer
reads the text as typed (`use_lemma: false` in config.yml), so accents still tell words apart.
Other scripts are never folded (their marks are letters: Thai vowels, Khmer and Burmese signs).
"""

from __future__ import annotations

import unicodedata
from typing import Any

import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

# Han, Hiragana, Katakana, Thai, Lao, Myanmar, Khmer: scripts written without spaces.
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Myanmar}\p{Khmer}"
_TOKEN = regex.compile(
    rf"(?:(?=[{_UNSPACED}])\X)|[^\s{_UNSPACED}\p{{P}}\p{{S}}]+|[\p{{So}}]", regex.UNICODE
)
_UNSPACED_START = regex.compile(rf"[{_UNSPACED}]")
_LATIN_WORD = regex.compile(r"^[\p{Latin}\p{N}\p{M}]+$")


def fold_accents(word: str) -> str:
    """A Latin-script word without its accents ("Việt" → "Viet", "đường" → "duong"); any other
    word unchanged."""
    if word.isascii() or not _LATIN_WORD.match(word):
        return word
    bare = "".join(
        c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn"
    )
    return bare.replace("đ", "d").replace("Đ", "D")


def split_words(text: str) -> list[tuple[str, int]]:
    """(token, start offset) pairs: graphemes in unspaced scripts, words elsewhere."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]


def split_with_pairs(text: str) -> list[tuple[str, int]]:
    """Like :func:`split_words`, plus each pair of adjacent graphemes of an unspaced-script run."""
    pieces = split_words(text)
    result: list[tuple[str, int]] = []
    for index, (word, start) in enumerate(pieces):
        result.append((word, start))
        if index + 1 == len(pieces) or not _UNSPACED_START.match(word):
            continue
        following, next_start = pieces[index + 1]
        if next_start == start + len(word) and _UNSPACED_START.match(following):
            result.append((word + following, start))
    return result


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ScriptAwareTokenizer(Tokenizer):
    """Whitespace tokens for spaced scripts, grapheme tokens for unspaced ones."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (Rasa's tokenizer options)."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScriptAwareTokenizer:
        """Creates the component."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenizes one attribute of a message."""
        text = message.get(attribute) or ""
        pieces = split_with_pairs(text)
        if not pieces:
            return [Token(text, 0)] if text else []
        return self._apply_token_pattern(
            [Token(word, start, lemma=fold_accents(word)) for word, start in pieces]
        )
