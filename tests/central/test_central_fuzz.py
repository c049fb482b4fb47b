"""Findings of the central's OpenAPI fuzz run (schemathesis), kept as regression tests, on SQLite
and on PostgreSQL (issue 10)."""

from __future__ import annotations

import pytest

from tests.central.conftest import World

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
