"""Hostile and malformed bodies: always a clear 4xx JSON error, never a 500, nothing changed."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from central import models
from sync.protocol import MAX_BATCH_COMMANDS, MAX_BODY_BYTES, MAX_PAYLOAD_BYTES
from tests.central.conftest import World, active_record, holder_id

LOSS = {"kind": "report_loss", "channel": "card_bank_branch"}


def state(world: World) -> tuple[int, ...]:
    """Row counts of everything a push could change, and the card's version."""
    with world.database.read() as conn:
        counts = tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (models.commands, models.changes, models.conflicts, models.cards)
        )
        version = conn.execute(select(func.sum(models.cards.c.version))).scalar_one()
    return (*counts, int(version or 0))


def post_raw(world: World, body: bytes, **headers: str) -> Any:
    return world.client.post(
        "/v1/commands/push",
        content=body,
        headers=world.headers(world.counter) | {"Content-Type": "application/json"} | headers,
    )


def assert_error(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"] and isinstance(error["params"], dict)  # words: sync.central.<code>


def test_malformed_json_wrong_types_and_missing_fields(world: World) -> None:
    world.service.put_record(active_record(1))
    before = state(world)
    good = world.command(world.counter, holder_id(1), LOSS)
    cases: list[tuple[bytes, int, str]] = [
        (b"", 400, "invalid_json"),
        (b"{", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json"),
        (b"[]", 422, "invalid_body"),
        (b'{"commands": "all"}', 422, "invalid_body"),
        (b'{"commands": [], "extra": 1}', 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"base_version": "1"}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"base_version": -1}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"seq": 1.5}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"made_at": "yesterday"}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"made_at": "2026-01-01T00:00"}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"id": "short"}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"holder_id": "x" * 40}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [good | {"payload": [1]}]}), 422, "invalid_body"),
        (orjson.dumps({"commands": [{k: v for k, v in good.items() if k != "actor"}]}), 422,
         "invalid_body"),
        (orjson.dumps({"commands": [good, good | {"unexpected": True}]}), 422, "invalid_body"),
    ]  # fmt: skip
    for body, status, code in cases:
        answer = post_raw(world, body)
        assert_error(answer, status, code)
        assert holder_id(1) not in answer.text
    assert state(world) == before


def test_limits_on_body_batch_and_payload_size(world: World) -> None:
    world.service.put_record(active_record(2))
    before = state(world)
    good = world.command(world.counter, holder_id(2), LOSS)
    too_many = [good | {"id": uuid.uuid4().hex} for _ in range(MAX_BATCH_COMMANDS + 1)]
    deep: Any = "x"
    for _ in range(10):
        deep = {"a": deep}
    big_payload = LOSS | {"padding": "x" * MAX_PAYLOAD_BYTES}

    assert_error(post_raw(world, orjson.dumps({"commands": too_many})), 413, "batch_too_large")
    assert_error(post_raw(world, b" " * (MAX_BODY_BYTES + 1)), 413, "body_too_large")
    chunked = world.client.post(
        "/v1/commands/push",
        content=iter([b"{" + b" " * 65536] * (MAX_BODY_BYTES // 65536 + 2)),
        headers=world.headers(world.counter),
    )
    assert_error(chunked, 413, "body_too_large")
    for payload in (deep, big_payload):
        answer = post_raw(world, orjson.dumps({"commands": [good | {"payload": payload}]}))
        assert_error(answer, 422, "invalid_body")
    assert state(world) == before


def test_unknown_paths_methods_and_queries_answer_in_the_same_shape(world: World) -> None:
    headers = world.headers(world.counter)
    assert_error(world.client.get("/v1/nothing", headers=headers), 404, "not_found")
    assert_error(world.client.get("/v1/commands/push", headers=headers), 405, "method_not_allowed")
    for params in ({"since": "-1"}, {"since": "abc"}, {"limit": "0"}, {"limit": "100000"}):
        answer = world.client.get("/v1/changes", params=params, headers=headers)
        assert_error(answer, 422, "invalid_query")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
COMMAND_FIELDS = ["id", "kind", "holder_id", "base_version", "payload", "actor", "device",
                  "branch", "made_at", "seq"]  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    whole=st.one_of(st.none(), json_values),
    field=st.sampled_from(COMMAND_FIELDS),
    value=json_values,
    payload=st.dictionaries(st.text(max_size=12), json_values, max_size=4),
    raw=st.binary(max_size=64),
)
def test_random_bodies_never_break_the_push(
    world: World, whole: Any, field: str, value: Any, payload: dict[str, Any], raw: bytes
) -> None:
    world.service.put_record(active_record(3))
    good = world.command(world.counter, holder_id(3), LOSS)
    bodies = [
        json.dumps(whole).encode(),
        json.dumps({"commands": [good | {field: value}]}).encode(),
        json.dumps({"commands": [good | {"payload": payload}]}).encode(),
        raw,
    ]
    applied = False
    for body in bodies:
        answer = post_raw(world, body)
        assert answer.status_code < 500, answer.text
        data = answer.json()
        if answer.status_code == 200:
            # A well-formed body is answered per command (a bad payload is a recorded rejection).
            for result in data["results"]:
                assert result["outcome"] in {"rejected", "applied", "merged", "duplicate"}
                applied = applied or result["outcome"] == "applied"
        else:
            assert 400 <= answer.status_code < 500
            assert data["error"]["code"]
    record = world.record(holder_id(3))
    if applied:  # only a well-formed loss report can change the card
        assert (record["card_state"], record["version"]) == ("loss_reported", 2)
    else:
        assert (record["card_state"], record["version"]) == ("active", 1)
    forget_cards(world)


def forget_cards(world: World) -> None:
    """Back to no cards and no commands, keeping staff and devices (between examples)."""
    with world.database.write() as conn:
        for table in (models.branch_interest, models.changes, models.conflicts, models.commands,
                      models.cards, models.cardholders):  # fmt: skip
            conn.execute(delete(table))


def test_an_unexpected_failure_is_a_json_500_that_quotes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from central.app import create_app
    from tests.central.conftest import TEST_SETTINGS, TestClient

    secret = holder_id(4)

    def broken(*_args: object) -> None:
        raise ValueError(f"record of {secret} is broken")

    app = create_app(TEST_SETTINGS, database=world.database)
    monkeypatch.setattr(app.state.service, "changes", broken)
    with caplog.at_level(logging.DEBUG), TestClient(app, raise_server_exceptions=True) as client:
        answer = client.get("/v1/changes", headers=world.headers(world.counter))

    assert_error(answer, 500, "internal_error")
    assert secret not in answer.text
    assert secret not in caplog.text
    assert "ValueError" in caplog.text
