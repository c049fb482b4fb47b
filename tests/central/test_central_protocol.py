"""The wire protocol module on its own: pure, strict, bilingual, and stable hashes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from sync import protocol as p

COMMAND = {
    "id": uuid.uuid4().hex,
    "kind": "report_loss",
    "holder_id": "11010519491231002X",
    "base_version": 3,
    "payload": {"kind": "report_loss", "channel": "online"},
    "actor": "T001",
    "device": "dev-1",
    "branch": "GZ-TEST-001",
    "made_at": "2026-03-02T01:02:03+08:00",
    "seq": 7,
}


def test_sync_protocol_imports_nothing_with_io_or_ui() -> None:
    probe = "import json, sys, sync.protocol; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    modules = json.loads(done.stdout)
    loaded = {name.split(".")[0] for name in modules}
    forbidden = {"httpx", "textual", "tinydb", "sqlalchemy", "fastapi", "starlette"}
    assert not loaded & forbidden, sorted(loaded & forbidden)
    # Of ours, only the domain's vocabulary and identity kinds (the words both ends share).
    ours = {name for name in modules if name.split(".")[0] in {"branch_app", "readers", "central"}}
    expected = {"branch_app", "branch_app.domain", "branch_app.domain.vocabulary"}
    assert ours == expected | {"branch_app.domain.identity"}, ours


def test_the_body_hash_ignores_key_order_and_sees_every_field() -> None:
    a = p.decode(p.PushCommand, json.dumps(COMMAND).encode())
    b = p.decode(p.PushCommand, json.dumps(dict(reversed(list(COMMAND.items())))).encode())
    assert a.body_hash() == b.body_hash()
    for field, value in [("seq", 8), ("base_version", 2), ("payload", {"kind": "x"})]:
        other = p.PushCommand.model_validate(COMMAND | {field: value})
        assert other.body_hash() != a.body_hash(), field


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", p.ErrorCode.INVALID_JSON),
        (b"{'single': 'quotes'}", p.ErrorCode.INVALID_JSON),
        (b'{"commands": null}', p.ErrorCode.INVALID_BODY),
        (json.dumps({"commands": [COMMAND] * (p.MAX_BATCH_COMMANDS + 1)}).encode(),
         p.ErrorCode.BATCH_TOO_LARGE),
        (b" " * (p.MAX_BODY_BYTES + 1), p.ErrorCode.BODY_TOO_LARGE),
        (json.dumps({"commands": [COMMAND | {"base_version": True}]}).encode(),
         p.ErrorCode.INVALID_BODY),
        (json.dumps({"commands": [COMMAND | {"made_at": "2026-03-02"}]}).encode(),
         p.ErrorCode.INVALID_BODY),
    ],
)  # fmt: skip
def test_decode_refuses_with_a_code_and_a_message(body: bytes, code: p.ErrorCode) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.decode(p.PushRequest, body)
    error = caught.value
    assert error.code is code
    assert error.status == p.ERROR_STATUS[code]
    assert error.message and error.to_response().error.code is code
    assert COMMAND["holder_id"] not in repr(error.to_response())


def test_every_error_code_has_a_status_and_a_message() -> None:
    # The words a teller reads are the sync catalog's (tests/sync/test_sync_errors_catalog.py).
    for code in p.ErrorCode:
        assert 400 <= p.ERROR_STATUS[code] < 600
        assert p.ProtocolError(code).message


def test_a_lookup_needs_exactly_one_key() -> None:
    base = {"purpose": "counter_service"}
    assert p.LookupRequest.model_validate(base | {"holder_id": COMMAND["holder_id"]})
    for body in (base, base | {"holder_id": COMMAND["holder_id"], "card_number": "X00000019"}):
        with pytest.raises(p.ProtocolError):
            p.decode(p.LookupRequest, json.dumps(body))


def test_a_duplicate_counts_as_its_first_outcome() -> None:
    duplicate = p.PushResult(id="x" * 8, outcome=p.Outcome.DUPLICATE, first_outcome="conflict")
    assert duplicate.effective_outcome is p.Outcome.CONFLICT
    plain = p.PushResult(id="x" * 8, outcome="merged")
    assert plain.effective_outcome is p.Outcome.MERGED


def test_responses_tolerate_fields_added_later_in_v1() -> None:
    answer = p.decode(
        p.PushResponse, b'{"results": [{"id": "abcdefgh", "outcome": "applied", "new": 1}]}'
    )
    assert answer.results[0].outcome is p.Outcome.APPLIED


def test_offline_verifier_round_trip_with_cheap_parameters() -> None:
    params = p.VerifierParams(time_cost=1, memory_cost=8192, parallelism=1, hash_len=32)
    verifier = p.make_offline_verifier("secret pass", params)
    again = p.OfflineVerifier.model_validate_json(verifier.model_dump_json())
    assert p.offline_verifier_matches(again, "secret pass")
    assert not p.offline_verifier_matches(again, "secret pasS")
    assert not p.offline_verifier_matches(again.model_copy(update={"salt": "!!"}), "secret pass")
    assert not p.offline_verifier_matches(
        again.model_copy(update={"algorithm": "md5"}), "secret pass"
    )
