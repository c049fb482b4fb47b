"""The central makes its answers' JSON itself, for speed: it must be what pydantic makes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from branch_app.domain.vocabulary import Outcome, RejectReason
from central.service import _Answer, _repeat
from sync.protocol import PushResponse, PushResult, encode

RECORD = {"holder_id": "11010519491231002X", "version": 2, "bank": "工商银行", "application": None}

ANSWERS: list[dict[str, Any]] = [
    {"id": "a1", "outcome": Outcome.APPLIED, "version": 2, "record": RECORD},
    {"id": "a2", "outcome": Outcome.MERGED, "version": 2, "record": RECORD},
    {
        "id": "a3",
        "outcome": Outcome.CONFLICT,
        "version": 2,
        "reason": "no_live_card",
        "message": "没有有效的卡",
        "record": RECORD,
    },
    {"id": "a4", "outcome": Outcome.REJECTED, "reason": RejectReason.ID_REUSED, "message": "x"},
    {
        "id": "a5",
        "outcome": Outcome.DUPLICATE,
        "version": 2,
        "record": RECORD,
        "first_outcome": Outcome.APPLIED,
    },
]


@pytest.mark.parametrize("fields", ANSWERS, ids=[a["id"] for a in ANSWERS])
def test_an_answers_json_is_the_models_json_byte_for_byte(fields: dict[str, Any]) -> None:
    answer = _Answer(**fields)
    model = PushResult(**fields)
    assert answer.wire() == encode(model)
    assert answer.result() == model
    again = _Answer.from_stored(answer.wire().decode())
    assert again.wire() == answer.wire() and again.result() == model


def test_a_push_response_is_joined_from_the_answers() -> None:
    answers = [_Answer(**fields) for fields in ANSWERS]
    joined = b'{"results":[' + b",".join(a.wire() for a in answers) + b"]}"
    assert joined == encode(PushResponse(results=[a.result() for a in answers]))
    assert PushResponse.model_validate_json(joined).results[2].reason == "no_live_card"


def test_a_repeat_answers_with_the_first_answer_as_stored() -> None:
    first = _Answer(id="c1", outcome=Outcome.CONFLICT, version=4, reason="no_live_card")
    stored = first.wire().decode()
    same = _repeat("c1", "hash-1", "hash-1", stored)
    assert orjson.loads(same.wire()) == orjson.loads(first.wire()) | {
        "outcome": "duplicate",
        "first_outcome": "conflict",
    }
    assert same.result().effective_outcome is Outcome.CONFLICT
    reused = _repeat("c1", "hash-2", "hash-1", stored)
    assert reused.outcome is Outcome.REJECTED and reused.reason == RejectReason.ID_REUSED
