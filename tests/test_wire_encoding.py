"""The wire's query strings: parse_query reads exactly what urllib's parse_qsl reads."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openecs.faces.encoding import parse_query

# Texts built from the characters that matter to the parser, and percent escapes valid or not.
_PIECES = st.sampled_from(["a", "B", "0", "=", "&", "+", "%", "%2", "%20", "%2B", "%26", "%E4%BD%A0",
                           "%ff", "%zz", ";", " ", "é", "你"])


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_parse_query_agrees_with_parse_qsl_on_any_text(text: str) -> None:
    assert parse_query(text) == parse_qsl(text, keep_blank_values=True)


@given(st.lists(st.tuples(st.text(), st.text()), max_size=8))
def test_parse_query_reads_back_what_a_client_encoded(pairs: list[tuple[str, str]]) -> None:
    text = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    assert parse_query(text) == pairs


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("", []),
        ("a=1&&b=", [("a", "1"), ("b", "")]),
        ("flag", [("flag", "")]),
        ("k=a+b%2Bc", [("k", "a b+c")]),
        ("Name=%E4%BD%A0%FF", [("Name", "你\ufffd")]),
    ],
)
def test_parse_query_examples(text: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_query(text) == pairs
