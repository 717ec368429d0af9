"""The hot path's JSON codec agrees with the standard module, errors included."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recall_plugin import fastjson

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_round_trip_matches_the_standard_module(value: object, sort_keys: bool) -> None:
    text = fastjson.dumps(value, sort_keys=sort_keys)
    assert text == json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)
    assert fastjson.loads(text) == json.loads(text)
    assert fastjson.loads(f" \n{text}\t ".encode()) == json.loads(text)


@pytest.mark.parametrize("bad", ["", "   ", "{", "[1,]", "[1] x", '{"a" 1}', "nul", b"\xff\xfe"])
def test_bad_documents_raise_value_error(bad: str | bytes) -> None:
    with pytest.raises(ValueError):
        fastjson.loads(bad)
