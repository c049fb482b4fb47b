"""The push body's guard on payload nesting: refused exactly past the limit, never recursing."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sync.protocol import MAX_PAYLOAD_DEPTH, PushCommand


def _recursive_depth(value: Any, level: int = 0) -> int:
    """The plain definition the protocol's level-by-level check must agree with."""
    if isinstance(value, dict):
        return max((_recursive_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_recursive_depth(v, level + 1) for v in value), default=level + 1)
    return level


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=40,
)


def _command(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "c" * 32,
        "kind": "report_loss",
        "holder_id": "11010519491231002X",
        "base_version": 0,
        "payload": payload,
        "actor": "T001",
        "device": "dev-1",
        "branch": "B1",
        "made_at": "2026-11-28T09:00:00+00:00",
        "seq": 1,
    }


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=3), _JSON, max_size=4))
def test_payload_nesting_is_refused_exactly_past_the_limit(payload: dict[str, Any]) -> None:
    too_deep = _recursive_depth(payload) > MAX_PAYLOAD_DEPTH
    body = orjson.dumps(_command(payload))
    if too_deep:
        with pytest.raises(ValidationError, match="nested deeper"):
            PushCommand.model_validate_json(body)
    elif len(orjson.dumps(payload)) <= 4096:
        assert PushCommand.model_validate_json(body).payload == payload


def test_a_payload_one_level_too_deep_is_refused() -> None:
    payload: dict[str, Any] = {"kind": "report_loss"}
    inner = payload
    for _ in range(MAX_PAYLOAD_DEPTH):  # the payload is level 1: this makes it one too deep
        inner["x"] = {}
        inner = inner["x"]
    assert _recursive_depth(payload) == MAX_PAYLOAD_DEPTH + 1
    with pytest.raises(ValidationError, match="nested deeper"):
        PushCommand.model_validate_json(orjson.dumps(_command(payload)))
    inner.clear()
    shallower = orjson.loads(orjson.dumps(payload))
    del shallower["x"]["x"]
    PushCommand.model_validate_json(orjson.dumps(_command(shallower)))
