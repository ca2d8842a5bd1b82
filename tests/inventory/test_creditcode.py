"""Unified social credit code (GB 32100-2015): check characters computed by hand, error messages,
and properties of :func:`make_credit_code`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.inventory.creditcode import (
    CHARSET,
    WEIGHTS,
    check_character,
    credit_code_problem,
    credit_code_problems,
    make_credit_code,
)

# Character values are positions in CHARSET = 0123456789ABCDEFGHJKLMNPQRTUWXY, so
# 0-9 -> 0-9, A=10 … H=17, J=18 … N=22, P=23, Q=24, R=25, T=26, U=27, W=28, X=29, Y=30.


def test_commonly_cited_code_is_valid_by_hand():
    # 91350100M000100Y4|3, weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28:
    #   9*1 + 1*3 + 3*9 + 5*27 + 0*19 + 1*26 + 0*16 + 0*17      =   9 + 3 + 27 + 135 + 26 = 200
    #   M(21)*20 + 0*29 + 0*25 + 0*13 + 1*8 + 0*24 + 0*10        = 420 + 8               = 428
    #   Y(30)*30 + 4*28                                          = 900 + 112             = 1012
    #   sum = 1640; 1640 mod 31 = 1640 - 52*31 = 28; check = 31 - 28 = 3 -> "3"
    assert check_character("91350100M000100Y4") == "3"
    assert credit_code_problem("91350100M000100Y43") is None


def test_invalid_check_character_by_hand():
    # 91110108000000000|?:  9*1 + 1*3 + 1*9 + 1*27 + 0*19 + 1*26 + 0*16 + 8*17 = 210, rest 0;
    #   210 mod 31 = 210 - 6*31 = 24; check = 31 - 24 = 7 -> "7", so a final "0" is wrong.
    assert check_character("91110108000000000") == "7"
    assert credit_code_problem("911101080000000007") is None
    assert credit_code_problem("911101080000000000") == "check character should be 7, not 0"
    assert credit_code_problem("91350100M000100Y44") == "check character should be 3, not 4"


def test_check_value_31_becomes_0():
    # All zeros: sum 0, 0 mod 31 = 0, 31 - 0 = 31 -> 0.
    assert check_character("0" * 17) == "0"


def test_weights_are_powers_of_three_mod_31():
    assert tuple(pow(3, i, 31) for i in range(17)) == WEIGHTS
    assert len(CHARSET) == 31 and not set("IOZSV") & set(CHARSET)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "credit code is empty"),
        ("91350100M000100Y4", "credit code must have 18 characters, not 17"),
        ("91350100M000100Y433", "credit code must have 18 characters, not 19"),
        ("91350100M000I00Y43", "character 13 'I' is not allowed (credit codes never use I, O, Z, S or V)"),
        ("91350100M000O00Y43", "character 13 'O' is not allowed (credit codes never use I, O, Z, S or V)"),
        ("91350100m000100Y43", "character 9 'm' must be a capital letter"),
        (
            "91350100M000100Y4-",
            "character 18 '-' is not allowed (only 0-9 and capital letters except I, O, Z, S, V)",
        ),
        ("9135A100M000100Y43", "characters 3-8 (administrative division code) must be digits"),
    ],
)
def test_messages(code, message):
    assert credit_code_problem(code) == message


def test_check_character_rejects_bad_input():
    with pytest.raises(ValueError, match="need 17 characters, got 3"):
        check_character("123")
    with pytest.raises(ValueError, match="character 'O' is not allowed"):
        check_character("9135010OM000100Y4")


def test_make_credit_code_appends_check():
    assert make_credit_code("91350100M000100Y4") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="must be digits"):
        make_credit_code("91ABCDEFM000100Y4")  # division code must be digits


def test_vectorised_matches_scalar():
    codes = [
        "91350100M000100Y43",
        "91350100M000100Y44",
        "",
        "short",
        "91350100m000100Y43",
        "911101080000000007",
        "９1350100M000100Y43",
        None,
    ]
    assert credit_code_problems(codes) == [
        credit_code_problem(c) if c is not None else "credit code is empty" for c in codes
    ]


first17 = st.tuples(
    st.text(alphabet=CHARSET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CHARSET, min_size=9, max_size=9),
).map("".join)


@settings(max_examples=300, deadline=None)
@given(first17)
def test_make_credit_code_is_always_accepted(head):
    code = make_credit_code(head)
    assert len(code) == 18 and code.startswith(head)
    assert credit_code_problem(code) is None
    assert credit_code_problems([code]) == [None]


@settings(max_examples=300, deadline=None)
@given(first17, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_any_single_substitution_is_detected(head, position, replacement):
    code = make_credit_code(head)
    if code[position] == replacement:
        replacement = CHARSET[(CHARSET.index(replacement) + 1) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    # The weights are non-zero mod the prime 31, so a single change always alters the check sum;
    # a letter in positions 3-8 is caught even earlier.
    assert credit_code_problem(changed) is not None


def test_full_width_code_gets_the_half_width_spelling():
    # issue 14: a code typed with a Chinese input method in full-width mode
    code = make_credit_code("91350100M000100Y4")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert credit_code_problems([wide]) == [
        f"the code is written in full-width characters; write it in half-width: {code}"
    ]
    assert credit_code_problem(wide[:-1] + "Ｘ").startswith("character 1 '９' is not allowed")
