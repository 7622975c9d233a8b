"""The tokenizer gives sub-sentence units in scripts written without spaces."""

from __future__ import annotations

from bot.nlu.tokenizer import split_with_pairs, split_words


def test_spaced_scripts_split_on_spaces_and_punctuation() -> None:
    assert [w for w, _ in split_words("Hôm qua, tôi bị chửi!")] == [
        "Hôm",
        "qua",
        "tôi",
        "bị",
        "chửi",
    ]
    assert split_with_pairs("stop now") == [("stop", 0), ("now", 5)]


def test_unspaced_runs_give_graphemes_and_adjacent_pairs() -> None:
    assert split_with_pairs("不要") == [("不", 0), ("不要", 0), ("要", 1)]
    assert [w for w, _ in split_with_pairs("いいえ")] == ["い", "いい", "い", "いえ", "え"]


def test_thai_pairs_keep_combining_marks_inside_graphemes() -> None:
    words = [w for w, _ in split_with_pairs("ไม่ใช่")]
    assert "ไม่" in words and "ม่" in words  # the grapheme ม่ keeps its tone mark
    assert all(not w.startswith("\u0e48") for w in words)


def test_no_pair_across_a_space_or_into_latin_text() -> None:
    assert [w for w, _ in split_with_pairs("好 ok")] == ["好", "ok"]
    assert [w for w, _ in split_with_pairs("停 停")] == ["停", "停"]


def test_latin_words_get_a_lemma_without_accents_other_scripts_never() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.tokenizer import ScriptAwareTokenizer, fold_accents

    assert fold_accents("báo") == "bao"
    assert fold_accents("Đường") == "Duong"
    assert fold_accents("hello") == "hello"
    for word in ("ไม่", "ខ្ញុំ", "မြန်မာ", "안녕", "你好"):
        assert fold_accents(word) == word  # their marks are letters
    tokenizer = ScriptAwareTokenizer(ScriptAwareTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"text": "tôi bị đánh ไม่"}), "text")
    assert [t.lemma for t in tokens[:3]] == ["toi", "bi", "danh"]
    thai = tokens[3:]
    assert thai and all(t.lemma == t.text for t in thai)
