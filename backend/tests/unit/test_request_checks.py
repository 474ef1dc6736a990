"""The request checks' pure rules: canonical integer ids in paths, readable JSON body problems,
and naming the key msgspec reports against its parent object."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.core.errors import locate_body_error
from deltaplane.core.request_checks import json_body_problem, non_canonical_path_param

TEMPLATE = "/api/strategies/{strategy_id}/clone"


@pytest.mark.parametrize("segment", ["+7", "07", "7\n", " 7", "7 ", "٧", "７", "7_0"])
def test_ids_int_would_accept_are_refused_unless_plain_digits(segment):
    value = int(segment)
    assert non_canonical_path_param(f"/api/strategies/{segment}/clone", TEMPLATE, {"strategy_id": value}) == "strategy_id"


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_plain_digits_pass(n):
    assert non_canonical_path_param(f"/api/strategies/{n}/clone", TEMPLATE, {"strategy_id": n}) is None


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8))
def test_any_segment_passes_only_if_it_is_how_its_number_is_written(segment):
    try:
        value = int(segment)
    except ValueError:
        return  # Litestar does not route it to an int parameter at all
    bad = non_canonical_path_param(f"/api/strategies/{segment}/clone", TEMPLATE, {"strategy_id": value})
    assert (bad is None) == (segment == str(value))


def test_text_params_and_path_routes_are_left_alone():
    assert non_canonical_path_param("/api/sessions/007", "/api/sessions/{session_id}", {"session_id": "007"}) is None
    assert non_canonical_path_param("/a/b/c", "/{path}", {"path": "a/b/c"}) is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b'{"name": "\xff\xfe"}', "body", "must be UTF-8 encoded JSON (byte 10 is not UTF-8)"),
        (b'{"username": "ab', "body", "is not valid JSON: it ends early (truncated)"),
        (b"name=x", "body", "is not valid JSON: invalid character (byte 4)"),
        (b'{"name": "x", "quantity": 1e999}', "quantity", "is a number too large to store"),
        (b'{"a": [1, {"b": 2e400}]}', "a[1].b", "is a number too large to store"),
        (b"-1e400", "body", "is a number too large to store"),
    ],
)
def test_body_problems_name_the_field(body, field, message):
    problem = json_body_problem(body)
    assert problem is not None and problem.status_code == 400
    assert problem.extra == [{"field": field, "message": message}]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_any_json_a_client_can_encode_passes(value):
    assert json_body_problem(json.dumps(value).encode()) is None
    assert json_body_problem(msgspec.json.encode(value)) is None


@pytest.mark.parametrize(
    ("field", "message", "expected"),
    [
        ("body", "Object missing required field `username`", ("username", "is required")),
        ("body", "Object contains unknown field `bogus`", ("bogus", "is not a known field")),
        ("body", "Object contains unknown field `bogus` - at `$.execution`", ("execution.bogus", "is not a known field")),
        ("body", "Object missing required field `lock_pct` - at `$.trailing_rules[0]`", ("trailing_rules[0].lock_pct", "is required")),
        ("$.execution", "Object missing required field `limit_attempts`", ("execution.limit_attempts", "is required")),
        ("quantity", "Expected `int`, got `str`", ("quantity", "Expected `int`, got `str`")),
    ],
)
def test_missing_and_unknown_keys_are_named(field, message, expected):
    assert locate_body_error(field, message) == expected
