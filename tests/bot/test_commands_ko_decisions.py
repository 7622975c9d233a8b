"""Korean lexicon decisions that the training data (data/nlu/ko) must agree with (#15)."""

import pytest

from bot import commands


@pytest.mark.parametrize("text", ["틀렸어요", "아뇨 틀렸어요", "싫어요 안 할래요", "아니요 안 할게요"])
def test_a_no_is_left_to_the_model_as_deny(text: str) -> None:
    # "That's wrong" answers a read-back with no; a no said in front keeps "I won't" a no.
    assert commands.command(text) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("안 할래요", "stop"),
        ("안 할게요", "stop"),
        ("신고 안 할게요", "stop"),
        ("잘못 적었어요", "change_answer"),
        ("제가 틀렸어요", "change_answer"),
        ("거기 누구 있어요", "human"),
    ],
)
def test_explicit_phrases_stay_commands(text: str, name: str) -> None:
    assert commands.command(text) == name
