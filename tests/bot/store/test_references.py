"""Tests of bot.store.references."""

from __future__ import annotations

import re

import pytest

from bot.store.references import ALPHABET, generate_reference, normalise_reference


def test_alphabet_has_no_ambiguous_letters() -> None:
    assert len(ALPHABET) == 32 and len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_generate_reference_has_display_format() -> None:
    for _ in range(200):
        reference = generate_reference()
        assert re.fullmatch(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", reference)


def test_generate_reference_is_random() -> None:
    assert len({generate_reference() for _ in range(500)}) == 500


@pytest.mark.parametrize(
    "typed",
    ["ABCD-2345", "abcd-2345", "ABCD2345", " abcd 2345 ", "abcd_2345", "AbCd-2345\n"],
)
def test_normalise_accepts_case_spacing_and_missing_dash(typed: str) -> None:
    assert normalise_reference(typed) == "ABCD-2345"


@pytest.mark.parametrize(
    "typed,expected",
    [("AB0D-1234", "AB0D-1234"), ("ABOD-I234", "AB0D-1234"), ("abod-l234", "AB0D-1234")],
)
def test_normalise_maps_o_to_zero_and_i_l_to_one(typed: str, expected: str) -> None:
    assert normalise_reference(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "ABC-2345", "ABCD-23456", "ABCD-234U", "ABCD-23?5", "案件-2345"]
)
def test_normalise_rejects_non_references(typed: str) -> None:
    assert normalise_reference(typed) is None


def test_normalise_round_trips_generated_references() -> None:
    for _ in range(50):
        reference = generate_reference()
        assert normalise_reference(reference.lower().replace("-", "")) == reference
