"""The central's OpenAPI document fuzzed with schemathesis, on SQLite and on PostgreSQL (issue 10).

Every operation of `/v1/openapi.json` gets generated requests, schema-valid ones (positive) and
schema-breaking ones (negative), sent through the ASGI app in process with a valid device token
and a valid supervisor's staff session, so the fuzzer gets past the doors and reaches the
bodies, the service and the database. Each answer is checked:

- `not_a_server_error`: no 5xx, ever;
- `status_code_conformance`: only statuses the document declares;
- `content_type_conformance` and `response_schema_conformance`: the body is what the document
  says for that status (the error bodies included);
- `negative_data_rejection`: a request the schema refuses is refused (4xx), so the document is
  no looser than the server.

Bounded: `FUZZ_EXAMPLES` examples per operation and mode, and a total budget per database
(`FUZZ_SECONDS`); operations left when the budget is spent run a few examples only. The run is
derandomised when `CI` is set (the same examples every time: a red CI is a real finding, not a
new roll of the dice); locally each run draws new examples.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, Unsatisfiable

from central.app import create_app
from tests.central.conftest import (
    LOSS_AT_BRANCH,
    TEST_SETTINGS,
    World,
    active_record,
    holder_id,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.config import SchemathesisConfig
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation.modes import GenerationMode
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_schema_conformance,
        status_code_conformance,
    )

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: Examples per operation and mode (positive, negative).
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
#: The whole run's budget on one database, in seconds.
FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "70"))

CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    app: Any,
    headers: dict[str, str],
    examples: int,
    statuses: Counter[int],
) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(app=app, headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=checks, headers=headers)

    run()


def test_openapi_fuzz_with_valid_credentials(world: World) -> None:
    """0 server errors and 0 answers off the document, on both databases, within the budget."""
    # The world's database, staff and devices, in an app whose enrolment limit does not turn
    # nearly every enrolment into a 429 (the limit has its own tests).
    app = create_app(
        dataclasses.replace(TEST_SETTINGS, enrol_attempts_per_minute=100_000),
        database=world.database,
    )
    session = world.login(world.counter, "S001")  # a supervisor: every operation is open to them
    headers = world.headers(world.counter, session)
    document = world.client.get("/v1/openapi.json").json()
    # Every refusal is a 4xx with its error body (413 for an oversized batch too).
    config = SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": ["4XX"]}}}
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    started = time.monotonic()
    seen: dict[str, Counter[int]] = {op.label: Counter() for op in operations}
    findings: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            spent = time.monotonic() - started
            examples = FUZZ_EXAMPLES if spent < FUZZ_SECONDS else 3
            try:
                _fuzz_operation(operation, mode, app, headers, examples, seen[operation.label])
            except Unsatisfiable:
                # Nothing to break: an operation without parameters or body (GET /v1/ping).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (FailureGroup, Flaky) as exc:
                findings.append(f"{mode.value} {operation.label}: {exc}")
    elapsed = time.monotonic() - started
    total = sum(sum(c.values()) for c in seen.values())
    print(f"fuzz: {total} requests over {len(operations)} operations in {elapsed:.1f} s")
    for label, statuses in seen.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert not findings, "\n\n".join(findings)
    # The credentials were good: every operation was answered past its doors at least once.
    for label, statuses in seen.items():
        assert set(statuses) - {401}, f"{label} answered only 401"


def test_the_document_declares_every_refusal_with_its_codes(world: World) -> None:
    """What the fuzz run's status and schema checks rest on: each operation lists the statuses
    it really gives, each with the error codes of that status, and FastAPI's own validation
    body (never sent: the app reads bodies itself) is not in the document."""
    document = world.client.get("/v1/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    push = document["paths"]["/v1/commands/push"]["post"]["responses"]
    assert set(push) == {"200", "400", "401", "413", "415", "422", "500"}
    codes = push["413"]["content"]["application/json"]["schema"]["allOf"][1]
    assert codes["properties"]["error"]["properties"]["code"]["enum"] == [
        "batch_too_large",
        "body_too_large",
    ]
    lookup = document["paths"]["/v1/lookups"]["post"]["responses"]
    assert "404" in lookup and "403" not in lookup
    changes = document["paths"]["/v1/changes"]["get"]["parameters"]
    assert [(q["name"], q["schema"]["type"]) for q in changes] == [
        ("since", "integer"),
        ("limit", "integer"),
    ]


# Findings of the fuzzer, kept as regression tests ------------------------------------------


@pytest.mark.parametrize(
    ("path", "session"),
    [("/v1/changes?since=0&%C3%B3=", False), ("/v1/conflicts?status=open&x=%11", True)],
)
def test_an_unknown_query_parameter_is_refused(world: World, path: str, session: bool) -> None:
    """The fuzzer's ST201: an undeclared query parameter was ignored with a 200; it is refused
    like an unknown body field (422 invalid_query), so the document is no looser than the server.
    """
    token = world.login(world.counter, "S001") if session else None
    answer = world.client.get(path, headers=world.headers(world.counter, token))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_query"


@pytest.mark.parametrize(
    ("path", "session"),
    [("/v1/changes?since=", False), ("/v1/conflicts?limit=&status=resolved", True)],
)
def test_an_empty_number_in_the_query_is_refused(world: World, path: str, session: bool) -> None:
    """The fuzzer's ST201 on SQLite: `limit=` (no number) was read as the default; a number the
    document declares as an integer is refused when it is empty (422 invalid_query)."""
    token = world.login(world.counter, "S001") if session else None
    answer = world.client.get(path, headers=world.headers(world.counter, token))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_query"


@pytest.mark.parametrize("conflict_id", ["85388240907", "2147483648", "999999999999999999"])
def test_a_conflict_id_past_the_column_is_not_found(world: World, conflict_id: str) -> None:
    """The fuzzer's ST101 on PostgreSQL: resolving conflict 85388240907 gave a 500 (DataError:
    the id column is a 32-bit integer); any id past it names no conflict (404)."""
    token = world.login(world.counter, "S001")
    answer = world.client.post(
        f"/v1/conflicts/{conflict_id}/resolve",
        json={"note": "\u00ab", "decision": "upheld"},
        headers=world.headers(world.counter, token),
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


# Control characters inside a command's payload ---------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\x1b[2J", "\n", "\x85"])
def test_a_control_character_in_a_payload_refuses_that_command_only(world: World, bad: str) -> None:
    """Issue 10: free text inside a command (here an address) with a control character is that
    command's `malformed_payload`; the batch's other command is applied. On PostgreSQL a NUL
    would otherwise reach a text column; nothing of the text comes back in the answer."""
    world.service.put_record(active_record(1))
    world.service.put_record(active_record(2))
    spoiled = world.command(
        world.counter,
        holder_id(1),
        {"kind": "change_contact", "mobile": None, "address": f"Room 1{bad}, 2 Huacheng Road"},
        base_version=1,
    )
    fine = world.command(world.counter, holder_id(2), LOSS_AT_BRANCH, base_version=1)
    first, second = world.push(world.counter, spoiled, fine)
    assert (first["outcome"], first["reason"]) == ("rejected", "malformed_payload")
    assert "Huacheng" not in str(first)
    assert second["outcome"] == "applied"
    assert (world.record(holder_id(1)) or {}).get("version") == 1  # unchanged
