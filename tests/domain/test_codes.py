"""Voting codes: 70 bits, grouped for reading, forgiving when typed, stored only as hashes."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from app.domain import codes


def test_a_code_is_grouped_and_has_at_least_64_bits() -> None:
    code = codes.new_code()
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}",
        code,
    )
    assert codes.CODE_BITS >= 64
    assert not set("ILOU") & set(code)


def test_a_token_has_at_least_128_bits() -> None:
    assert codes.TOKEN_BYTES * 8 >= 128
    assert len(codes.new_token()) >= 22


@given(st.sampled_from(["lower", "spaces", "nodash", "confusable"]))
def test_a_code_is_accepted_however_it_is_typed(style: str) -> None:
    code = codes.new_code()
    typed = {
        "lower": code.lower(),
        "spaces": code.replace("-", " "),
        "nodash": code.replace("-", ""),
        "confusable": code.replace("1", "l").replace("0", "O"),
    }[style]
    assert codes.code_hash(typed) == codes.code_hash(code)


def test_what_cannot_be_a_code_is_refused() -> None:
    assert codes.normalise("ABCD-EFGH") is None
    assert codes.normalise("ABCD-EFGH-JKMN-PU") is None  # U is not in the alphabet
    assert codes.code_hash("") is None


def test_hashes_do_not_contain_the_secret() -> None:
    code, token = codes.new_code(), codes.new_token()
    assert str(codes.normalise(code)) not in str(codes.code_hash(code))
    assert token not in codes.token_hash(token)
    assert codes.code_hash(code) != codes.token_hash(code)
