"""Names and number text (core.text): one rule for strategy and API-key names, plain decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.core.text import copy_name, name_key, name_problem, normalize_name, plain_decimal_problem

# -------------------------------------------------------------------------------------------------
# names


def test_names_are_stored_nfc_and_stripped() -> None:
    assert normalize_name("  e\u0301te\u0301 \t") == "\u00e9t\u00e9"


@pytest.mark.parametrize("spelling", ["ÉTÉ", "été", "e\u0301te\u0301", "E\u0301TE\u0301", " été "])
def test_the_same_name_in_any_case_or_composition_has_one_key(spelling: str) -> None:
    assert name_key(spelling) == name_key("été")


def test_case_folding_is_full_unicode_not_ascii_lower() -> None:
    assert name_key("STRASSE") == name_key("straße")  # casefold, not lower()
    assert name_key("A") != name_key("B")


@pytest.mark.parametrize("name", [
    "a\u0000b\u0007\u001b[31m",  # NUL, BEL, a terminal colour escape
    "\u0001\u0002",
    "line1\nline2",
    "tab\there",
    "\u200b",  # zero-width space only
    "pay\u202eusd",  # right-to-left override: displays reversed
    "a\u2066b",  # bidi isolate
    "\ufeffname",  # byte-order mark
    "soft\u00adhyphen",
    "a\u2028b",  # line separator
])
def test_control_and_invisible_characters_are_refused(name: str) -> None:
    problem = name_problem(name, max_length=100)
    assert problem is not None and "control or invisible" in problem


@pytest.mark.parametrize("name", ["", "   ", "\u3000", "\n"])
def test_empty_after_stripping_is_refused(name: str) -> None:
    assert name_problem(name, max_length=100) == "must not be empty"


@pytest.mark.parametrize("name", ["BTC weekly", "été", "Nifty ९:३० strangle", "🚀 moon", "a" * 100, "  padded  "])
def test_ordinary_names_pass(name: str) -> None:
    assert name_problem(name, max_length=100) is None


def test_length_is_judged_after_normalisation() -> None:
    assert name_problem("e\u0301" * 100, max_length=100) is None  # 200 code points typed, 100 stored
    assert name_problem("a" * 101, max_length=100) == "must be at most 100 characters"


_names = st.text(min_size=0, max_size=120)


@given(_names, st.sets(_names, max_size=8), st.integers(min_value=20, max_value=120))
def test_copy_name_fits_is_free_and_is_a_valid_name(name: str, others: set[str], max_length: int) -> None:
    taken = {name_key(n) for n in others} | {name_key(name)}
    copy = copy_name(name, taken, max_length=max_length)
    assert len(copy) <= max_length
    assert name_key(copy) not in taken
    assert name_problem(copy, max_length=max_length) is None
    assert copy == normalize_name(copy)


def test_copies_of_a_full_length_name_stay_distinct() -> None:
    name = "C" * 100
    taken = {name_key(name)}
    copies = []
    for _ in range(12):
        copy = copy_name(name, taken, max_length=100)
        copies.append(copy)
        taken.add(name_key(copy))
    assert len(set(copies)) == 12
    assert copies[0] == "C" * 93 + " (copy)" and copies[1] == "C" * 91 + " (copy) 2" and copies[10] == "C" * 90 + " (copy) 11"


def test_copy_name_drops_characters_the_name_rule_refuses() -> None:
    assert copy_name("a\u0000b\u200b", set(), max_length=100) == "ab (copy)"


# -------------------------------------------------------------------------------------------------
# number text


@pytest.mark.parametrize("text", ["1000", "0.05", "-2.5", "+3", ".5", "5.", "1E-8", "1e+6", "0"])
def test_plain_decimals_pass(text: str) -> None:
    assert plain_decimal_problem(text) is None


@pytest.mark.parametrize("text", ["1_000", "1_0.5", "1e1_0"])
def test_underscores_are_refused_in_plain_words(text: str) -> None:
    problem = plain_decimal_problem(text)
    assert problem is not None and "underscores" in problem and "1000" in problem


@pytest.mark.parametrize("text", [" 1", "1 ", "1\n", "\u0661", "１", "0x10", "NaN", "Infinity", "", "1,000", "1.2.3"])
def test_other_lax_forms_are_refused(text: str) -> None:
    assert plain_decimal_problem(text) is not None


def test_the_message_does_not_echo_a_huge_input() -> None:
    problem = plain_decimal_problem("1_" * 500_000)
    assert problem is not None and len(problem) < 200


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_every_finite_decimal_as_printed_reads_back_as_plain(value: Decimal) -> None:
    # what the API itself sends back (str of a Decimal, e.g. "1E-8") must be accepted when re-sent
    assert plain_decimal_problem(str(value)) is None
    assert plain_decimal_problem(format(value, "f")) is None


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=6))
def test_only_ascii_digits_count(digits: str) -> None:
    ascii_only = all("0" <= ch <= "9" for ch in digits)
    assert (plain_decimal_problem(digits) is None) == ascii_only
